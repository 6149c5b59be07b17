package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/cmd/enact-run/internal/clienttest"
	"github.com/enact-run/enact/cmd/enact-run/internal/httpapi"
	"github.com/enact-run/enact/policy"
)

// actorsPolicy lets every actor run; audit@acme.com may read all runs.
const actorsPolicy = `version: 1
allow: [kv.*]
actors:
  - {email: audit@acme.com, roles: [auditor]}
`

// actorsFixture serves the shipped examples under actorsPolicy to three
// actors: alice, bob and the auditor.
func actorsFixture(t *testing.T) *fixture {
	t.Helper()
	wired := clienttest.New(t, actorsPolicy)
	caps := map[string]*capabilities.Capability{}
	for name, data := range capabilities.Examples() {
		if strings.HasSuffix(name, ".policy.yaml") {
			continue
		}
		c, err := capabilities.Load(data, name)
		if err != nil {
			t.Fatal(err)
		}
		caps[c.ID] = c
	}
	tokens := map[string]string{"alice-token": "alice@acme.com", "bob-token": "bob@acme.com", "audit-token": "audit@acme.com"}
	h, err := httpapi.New(httpapi.Config{
		Runner:       wired.Client,
		Receipts:     wired.Client,
		Capabilities: func() map[string]*capabilities.Capability { return caps },
		Auth: func(token string) (policy.Actor, bool) {
			email, ok := tokens[token]
			// Roles a token claims do not make an auditor: the policy does.
			return policy.Actor{Email: email, Roles: []string{"auditor"}}, ok
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{url: srv.URL, keys: wired.Keys, client: srv.Client()}
}

func convert(celsius int, key string) map[string]any {
	return map[string]any{"capability": "TemperatureConverterJS", "inputs": map[string]any{"celsius": celsius}, "idempotency_key": key}
}

// Over HTTP an actor's key is its own: another actor reusing or squatting
// it neither collides nor learns the first actor's run id, and refusals
// name only the caller's runs.
func TestHostileActorsHTTPKeys(t *testing.T) {
	t.Parallel()
	f := actorsFixture(t)
	status, a := f.run(t, "alice-token", convert(10, "order-42"))
	if status != 200 || a.ReceiptID == "" {
		t.Fatalf("alice: %d %+v", status, a)
	}
	// Bob reuses Alice's key with other inputs: his own run, not a 422
	// carrying hers.
	status, data, _ := do(t, f.client, "POST", f.url+"/v1/runs", "bob-token", convert(20, "order-42"))
	if status != 200 || strings.Contains(string(data), a.ReceiptID) {
		t.Fatalf("bob reusing alice's key: %d %s", status, data)
	}
	_, b := f.run(t, "bob-token", convert(20, "order-42"))
	if !b.Replayed || b.ReceiptID == a.ReceiptID || b.Outputs["fahrenheit"] != float64(68) {
		t.Fatalf("bob's retry replays his own run: %+v", b)
	}
	// Bob with Alice's very inputs under her key: his key holds his other
	// inputs, so a 422 that names his run only.
	status, data, _ = do(t, f.client, "POST", f.url+"/v1/runs", "bob-token", convert(10, "order-42"))
	if status != 422 || strings.Contains(string(data), a.ReceiptID) || !strings.Contains(string(data), b.ReceiptID) {
		t.Fatalf("bob's own key with other inputs: %d %s", status, data)
	}
	// Bob squats a key before Alice uses it: Alice still runs.
	if status, _ := f.run(t, "bob-token", convert(1, "future-1")); status != 200 {
		t.Fatal(status)
	}
	status, a2 := f.run(t, "alice-token", convert(100, "future-1"))
	if status != 200 || a2.Replayed || a2.Outputs["fahrenheit"] != float64(212) {
		t.Fatalf("alice after bob squatted her key: %d %+v", status, a2)
	}
}

// Over HTTP an actor reads its own runs only: another actor's run id is
// a 404 indistinguishable from an unknown id, unless the policy makes the
// reader an auditor.
func TestHostileActorsHTTPReads(t *testing.T) {
	t.Parallel()
	f := actorsFixture(t)
	status, a := f.run(t, "alice-token", convert(37, ""))
	if status != 200 || a.ReceiptID == "" {
		t.Fatalf("alice: %d %+v", status, a)
	}
	const unknown = "0123456789abcdef0123456789abcdef"
	for _, path := range []string{"/v1/runs/", "/v1/receipts/"} {
		if status, data, _ := do(t, f.client, "GET", f.url+path+a.ReceiptID, "alice-token", nil); status != 200 {
			t.Errorf("alice reads her own %s: %d %s", path, status, data)
		}
		wantStatus, want, _ := do(t, f.client, "GET", f.url+path+unknown, "bob-token", nil)
		status, got, _ := do(t, f.client, "GET", f.url+path+a.ReceiptID, "bob-token", nil)
		if status != http.StatusNotFound || wantStatus != http.StatusNotFound ||
			strings.ReplaceAll(string(got), a.ReceiptID, "ID") != strings.ReplaceAll(string(want), unknown, "ID") {
			t.Errorf("bob reads alice's %s: %d %s (an unknown id: %d %s)", path, status, got, wantStatus, want)
		}
		if strings.Contains(string(got), "fahrenheit") || strings.Contains(string(got), "alice") {
			t.Errorf("bob's 404 leaks alice's run: %s", got)
		}
		if status, data, _ := do(t, f.client, "GET", f.url+path+a.ReceiptID, "audit-token", nil); status != 200 || !strings.Contains(string(data), "alice@acme.com") {
			t.Errorf("the auditor reads alice's %s: %d %s", path, status, data)
		}
	}
}
