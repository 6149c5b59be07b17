package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/cmd/enact-run/internal/clienttest"
	"github.com/enact-run/enact/cmd/enact-run/internal/httpapi"
	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// testPolicy lets admins run anything; agents are blocked by the
// run-level role check.
const testPolicy = `version: 1
allow: [kv.*]
policies:
  - use: require_actor_role
    with: {allowed_roles: [admin]}
`

const (
	adminToken = "admin-token"
	agentToken = "agent-token"
)

func authenticate(token string) (policy.Actor, bool) {
	switch token {
	case adminToken:
		return policy.Actor{Email: "admin@acme.com", Roles: []string{"admin"}}, true
	case agentToken:
		return policy.Actor{Email: "agent@acme.com", Roles: []string{"agent"}}, true
	}
	return policy.Actor{}, false
}

const spins = "enact: 1.0.0\nid: Spins\ndescription: spins forever\nenv:\n  resources:\n    timeout: 300ms\ntasks:\n  - id: t\n    type: script\n    language: js\n    code: for (;;) {}\n"

const slow = `enact: 1.0.0
id: Slow
description: busy for half a second
outputs:
  type: object
  properties:
    done: {type: boolean}
tasks:
  - id: t
    type: script
    language: js
    code: |
      const t0 = Date.now();
      while (Date.now() - t0 < 500) {}
      return { done: true };
`

type fixture struct {
	url    string
	keys   *receipts.Keyring
	client *http.Client
}

// serverHandler builds a real client (engine, kv connector, SQLite
// receipts, policy) in a temporary directory and the API over it.
func serverHandler(t testing.TB) (http.Handler, *receipts.Keyring) {
	t.Helper()
	h, keys, _, _ := setup(t)
	return h, keys
}

// setup is serverHandler, also returning the runner and the capabilities.
func setup(t testing.TB) (http.Handler, *receipts.Keyring, *enact.Client, map[string]*capabilities.Capability) {
	t.Helper()
	wired := clienttest.New(t, testPolicy)
	keys := wired.Keys
	caps := map[string]*capabilities.Capability{}
	for _, set := range []map[string][]byte{capabilities.Examples(), capabilities.Workflows(), {"spins.yaml": []byte(spins), "slow.yaml": []byte(slow), "twice.yaml": []byte(twice)}} {
		for name, data := range set {
			if strings.HasSuffix(name, ".policy.yaml") {
				continue
			}
			c, err := capabilities.Load(data, name)
			if err == nil {
				c, err = (&capabilities.Resolver{}).Resolve(c)
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			caps[c.ID] = c
		}
	}
	client := wired.Client
	h, err := httpapi.New(httpapi.Config{
		Runner:       client,
		Receipts:     wired.Client,
		Capabilities: func() map[string]*capabilities.Capability { return caps },
		Auth:         authenticate,
		MaxBodyBytes: 64 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, keys, client, caps
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	h, keys := serverHandler(t)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{url: srv.URL, keys: keys, client: srv.Client()}
}

type runReport struct {
	Status    string          `json:"status"`
	Outputs   map[string]any  `json:"outputs"`
	ReceiptID string          `json:"receipt_id"`
	Receipt   json.RawMessage `json:"receipt"`
	Error     *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Output   string `json:"output"`
	Replayed bool   `json:"replayed"`
}

func (r runReport) code() string {
	if r.Error == nil {
		return ""
	}
	return r.Error.Code
}

func do(t testing.TB, c *http.Client, method, url, token string, body any, header ...string) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data, resp.Header
}

func (f *fixture) run(t testing.TB, token string, body any, header ...string) (int, runReport) {
	t.Helper()
	status, data, _ := do(t, f.client, "POST", f.url+"/v1/runs", token, body, header...)
	var rep runReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("status %d, body %s: %v", status, data, err)
	}
	return status, rep
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	status, data, _ := do(t, f.client, "GET", f.url+"/healthz", "", nil)
	if status != 200 || strings.TrimSpace(string(data)) != `{"status":"ok"}` {
		t.Errorf("%d %s", status, data)
	}
}

func TestListCapabilities(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	status, data, _ := do(t, f.client, "GET", f.url+"/v1/capabilities", adminToken, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, data)
	}
	var list []struct {
		ID           string          `json:"id"`
		Version      string          `json:"version"`
		Description  string          `json:"description"`
		InputSchema  json.RawMessage `json:"input_schema"`
		OutputSchema json.RawMessage `json:"output_schema"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var tc bool
	for _, c := range list {
		ids = append(ids, c.ID)
		if c.ID == "TemperatureConverterJS" {
			tc = true
			if c.Version != "1.0.0" || c.Description == "" || !strings.Contains(string(c.InputSchema), `"celsius"`) || !strings.Contains(string(c.OutputSchema), `"fahrenheit"`) {
				t.Errorf("TemperatureConverterJS: %+v", c)
			}
		}
	}
	if !tc {
		t.Errorf("TemperatureConverterJS not listed: %v", ids)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Errorf("not sorted by id: %v", ids)
		}
	}
}

func TestPassingRunThenReadItBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	status, rep := f.run(t, adminToken, map[string]any{"capability": "TemperatureConverterJS", "inputs": map[string]any{"celsius": 100}})
	if status != 200 || rep.Status != "PASS" || rep.Outputs["fahrenheit"] != float64(212) || rep.ReceiptID == "" || rep.Error != nil || rep.Replayed {
		t.Fatalf("%d %+v", status, rep)
	}
	if _, err := receipts.Open(rep.Receipt, f.keys.Verifiers()); err != nil {
		t.Errorf("the receipt in the report does not verify: %v", err)
	}

	status, data, _ := do(t, f.client, "GET", f.url+"/v1/runs/"+rep.ReceiptID, adminToken, nil)
	var got runReport
	if err := json.Unmarshal(data, &got); err != nil || status != 200 {
		t.Fatalf("%d %s %v", status, data, err)
	}
	if got.Status != "PASS" || got.Outputs["fahrenheit"] != float64(212) || got.ReceiptID != rep.ReceiptID || !bytes.Equal(got.Receipt, rep.Receipt) {
		t.Errorf("GET /v1/runs: %+v", got)
	}

	status, data, h := do(t, f.client, "GET", f.url+"/v1/receipts/"+rep.ReceiptID, adminToken, nil)
	if status != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", status, data)
	}
	r, err := receipts.Open(data, f.keys.Verifiers())
	if err != nil {
		t.Fatalf("the receipt does not verify: %v", err)
	}
	if r.RunID != rep.ReceiptID || r.Decision != receipts.DecisionPass || r.Actor.Email != "admin@acme.com" || r.Capability.ID != "TemperatureConverterJS" {
		t.Errorf("receipt %+v", r)
	}
	if !bytes.Equal(data, rep.Receipt) {
		t.Errorf("the receipt bytes differ from the report's:\n%s\n%s", data, rep.Receipt)
	}

	for _, path := range []string{"/v1/runs/nope", "/v1/receipts/nope", "/v1/runs/..%2f..", "/v1/nothing"} {
		status, data, _ := do(t, f.client, "GET", f.url+path, adminToken, nil)
		if status != 404 || !strings.Contains(string(data), `"code":"not_found"`) {
			t.Errorf("GET %s: %d %s", path, status, data)
		}
	}
	status, data, h = do(t, f.client, "DELETE", f.url+"/v1/runs/"+rep.ReceiptID, adminToken, nil)
	if status != 405 || h.Get("Allow") == "" || !strings.Contains(string(data), "method_not_allowed") {
		t.Errorf("DELETE: %d %s", status, data)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tc := func(in map[string]any) map[string]any {
		return map[string]any{"capability": "TemperatureConverterJS", "inputs": in}
	}
	cases := []struct {
		name   string
		token  string
		body   any
		status int
		code   string
		want   string // in the message
	}{
		{"invalid input", adminToken, tc(map[string]any{"celsius": "hot"}), 400, "invalid_input", "celsius"},
		{"missing input", adminToken, tc(map[string]any{}), 400, "invalid_input", "celsius"},
		{"unknown capability", adminToken, map[string]any{"capability": "NoSuchThing"}, 404, "not_found", "NoSuchThing"},
		{"no capability", adminToken, map[string]any{"inputs": map[string]any{}}, 400, "invalid_request", "capability"},
		{"unknown field", adminToken, map[string]any{"capability": "TemperatureConverterJS", "input": map[string]any{}}, 400, "invalid_request", "input"},
		{"malformed", adminToken, []byte(`{"capability": `), 400, "invalid_request", ""},
		{"two values", adminToken, []byte(`{"capability": "TemperatureConverterJS"} {}`), 400, "invalid_request", ""},
		{"too large", adminToken, []byte(`{"capability": "TemperatureConverterJS", "inputs": {"celsius": 1, "pad": "` + strings.Repeat("x", 70<<10) + `"}}`), 413, "too_large", ""},
		{"denied", agentToken, tc(map[string]any{"celsius": 1}), 403, "denied", "require_actor_role"},
		{"timeout", adminToken, map[string]any{"capability": "Spins"}, 200, "timeout", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, rep := f.run(t, c.token, c.body)
			if status != c.status || rep.code() != c.code || !strings.Contains(rep.Error.Message, c.want) {
				t.Errorf("%d %+v, want %d %s", status, rep, c.status, c.code)
			}
			if c.code == "denied" && (rep.Status != "BLOCK" || rep.ReceiptID == "") {
				t.Errorf("denied run: %+v", rep)
			}
			if c.code == "timeout" {
				if _, err := receipts.Open(rep.Receipt, f.keys.Verifiers()); rep.Status != "FAILED" || err != nil {
					t.Errorf("timed out run: %+v %v", rep, err)
				}
			}
		})
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := map[string]any{"capability": "TemperatureConverterJS", "inputs": map[string]any{"celsius": 1}}
	for _, token := range []string{"", "wrong"} {
		for _, r := range []struct {
			method, path string
			body         any
		}{{"POST", "/v1/runs", body}, {"GET", "/v1/capabilities", nil}, {"GET", "/v1/receipts/x", nil}, {"GET", "/v1/runs/x", nil}} {
			status, data, h := do(t, f.client, r.method, f.url+r.path, token, r.body)
			if status != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(string(data), `"code":"unauthorized"`) {
				t.Errorf("%s %s with %q: %d %s %v", r.method, r.path, token, status, data, h)
			}
		}
	}
}

func TestContentTypeAndHost(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	status, data, _ := do(t, f.client, "POST", f.url+"/v1/runs", adminToken, []byte(`{"capability":"TemperatureConverterJS","inputs":{"celsius":1}}`), "Content-Type", "text/plain")
	if status != 415 {
		t.Errorf("text/plain: %d %s", status, data)
	}
	req, _ := http.NewRequest("GET", f.url+"/healthz", nil)
	req.Host = "evil.example:8080"
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("rebound host: %d", resp.StatusCode)
	}
}

func TestAnonymous(t *testing.T) {
	t.Parallel()
	if _, err := httpapi.New(httpapi.Config{Runner: nopRunner{}, Receipts: nopStore{}, Capabilities: func() map[string]*capabilities.Capability { return nil }}); err == nil {
		t.Error("New accepted no Auth and no AnonymousActor")
	}
	h, err := httpapi.New(httpapi.Config{Runner: nopRunner{}, Receipts: nopStore{}, Capabilities: func() map[string]*capabilities.Capability { return nil }, AnonymousActor: "local@localhost"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	status, data, _ := do(t, srv.Client(), "GET", srv.URL+"/v1/capabilities", "", nil)
	if status != 200 || strings.TrimSpace(string(data)) != "[]" {
		t.Errorf("%d %s", status, data)
	}
}

type nopRunner struct{}

func (nopRunner) Run(context.Context, enact.RunRequest) (*enact.Result, error) {
	return nil, fmt.Errorf("no")
}

type nopStore struct{}

func (nopStore) Receipt(context.Context, policy.Actor, string) (*receipts.Envelope, error) {
	return nil, receipts.ErrNotFound
}

func TestIdempotentRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := map[string]any{"capability": "TemperatureConverterJS", "inputs": map[string]any{"celsius": 100}, "idempotency_key": "k-1"}
	status, first := f.run(t, adminToken, body)
	if status != 200 || first.Replayed {
		t.Fatalf("%d %+v", status, first)
	}
	status, again := f.run(t, adminToken, body)
	if status != 200 || !again.Replayed || again.ReceiptID != first.ReceiptID || again.Outputs["fahrenheit"] != float64(212) {
		t.Errorf("retry: %d %+v", status, again)
	}
	// The header carries the key too.
	delete(body, "idempotency_key")
	status, again = f.run(t, adminToken, body, "Idempotency-Key", "k-1")
	if status != 200 || !again.Replayed || again.ReceiptID != first.ReceiptID {
		t.Errorf("retry with the header: %d %+v", status, again)
	}
	body["inputs"] = map[string]any{"celsius": 0}
	body["idempotency_key"] = "k-1"
	status, other := f.run(t, adminToken, body)
	if status != 422 || other.code() != "idempotency_mismatch" {
		t.Errorf("same key, other inputs: %d %+v", status, other)
	}
	status, other = f.run(t, adminToken, body, "Idempotency-Key", "k-2")
	if status != 400 || other.code() != "invalid_request" {
		t.Errorf("header and body keys differ: %d %+v", status, other)
	}
}

func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range 8 {
		wg.Go(func() {
			status, rep := f.run(t, adminToken, map[string]any{"capability": "TemperatureConverterJS", "inputs": map[string]any{"celsius": i}})
			want := float64(i)*9/5 + 32
			if status != 200 || rep.Outputs["fahrenheit"] != want {
				t.Errorf("run %d: %d %+v", i, status, rep)
			}
			ids[i] = rep.ReceiptID
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("receipt id %s twice", id)
		}
		seen[id] = true
	}
}

func TestGracefulShutdownFinishesInFlightRun(t *testing.T) {
	t.Parallel()
	h, keys := serverHandler(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- httpapi.ServeListener(ctx, ln, h, nil) }()
	f := &fixture{url: "http://" + ln.Addr().String(), keys: keys, client: &http.Client{}}
	type result struct {
		status int
		rep    runReport
	}
	done := make(chan result, 1)
	go func() {
		status, rep := f.run(t, adminToken, map[string]any{"capability": "Slow"})
		done <- result{status, rep}
	}()
	time.Sleep(150 * time.Millisecond) // the run is under way
	cancel()
	select {
	case err := <-served:
		t.Fatalf("Serve returned before the run finished: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	r := <-done
	if r.status != 200 || r.rep.Status != "PASS" || r.rep.Outputs["done"] != true {
		t.Errorf("in-flight run: %d %+v", r.status, r.rep)
	}
	if _, err := receipts.Open(r.rep.Receipt, keys.Verifiers()); err != nil {
		t.Error(err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(f.url + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}

func BenchmarkRunsThroughput(b *testing.B) {
	h, _ := serverHandler(b)
	srv := httptest.NewServer(h)
	defer srv.Close()
	const clients = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	body := []byte(`{"capability":"TemperatureConverterJS","inputs":{"celsius":100}}`)
	post := func() error {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/runs", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	throughput(b, clients, post)
}

// BenchmarkDirectRunsBaseline is BenchmarkRunsThroughput without HTTP: the
// same runs through enact.Client.Run from 8 goroutines, to tell the API's
// overhead from the runner's cost.
func BenchmarkDirectRunsBaseline(b *testing.B) {
	_, _, client, caps := setup(b)
	c := caps["TemperatureConverterJS"]
	run := func() error {
		res, err := client.Run(context.Background(), enact.RunRequest{Capability: c, Inputs: map[string]any{"celsius": 100}, Actor: policy.Actor{Email: "admin@acme.com", Roles: []string{"admin"}}})
		if err == nil && res.Status != enact.StatusPass {
			err = fmt.Errorf("status %s", res.Status)
		}
		return err
	}
	throughput(b, 8, run)
}

// throughput runs one warm-up, then b.N runs from clients goroutines at
// once, and reports runs per second.
func throughput(b *testing.B, clients int, run func() error) {
	if err := run(); err != nil { // warm the engine
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var next sync.Mutex
	n := 0
	for range clients {
		wg.Go(func() {
			for {
				next.Lock()
				if n >= b.N {
					next.Unlock()
					return
				}
				n++
				next.Unlock()
				if err := run(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
}

// twice is a composite of two shipped examples, one feeding the other.
const twice = `enact: 1.0.0
id: Twice
description: converts, then converts the result again
type: composite
imports: [{id: TemperatureConverterJS, version: 1.0.0}]
inputs: {type: object, properties: {celsius: {type: number}}, required: [celsius]}
flow:
  steps:
    - {id: once, capability: TemperatureConverterJS, inputs: {celsius: "{{ inputs.celsius }}"}}
    - {id: again, capability: TemperatureConverterJS, inputs: {celsius: "{{ steps.once.outputs.fahrenheit }}"}}
outputs: {type: object, source: {fahrenheit: "{{ steps.again.outputs.fahrenheit }}"}}
`

func TestCompositeRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	status, data, _ := do(t, f.client, "POST", f.url+"/v1/runs", adminToken, map[string]any{"capability": "Twice", "inputs": map[string]any{"celsius": 0}})
	var rep struct {
		runReport
		Steps []report.Step `json:"steps"`
	}
	if err := json.Unmarshal(data, &rep); err != nil || status != 200 || rep.Status != "PASS" || rep.Outputs["fahrenheit"] != 89.6 {
		t.Fatalf("%d %s %v", status, data, err)
	}
	if len(rep.Steps) != 2 || rep.Steps[1].Status != "passed" || rep.Steps[1].Receipt == "" {
		t.Fatalf("steps %+v", rep.Steps)
	}
	// Each step's receipt is readable under its own run id.
	status, data, _ = do(t, f.client, "GET", f.url+"/v1/receipts/"+rep.Steps[1].RunID, adminToken, nil)
	r, err := receipts.Open(data, f.keys.Verifiers())
	if err != nil || status != 200 || r.Capability.ID != "TemperatureConverterJS" || r.Parent == nil || r.Parent.RunID != rep.ReceiptID {
		t.Errorf("step receipt: %d %v %+v", status, err, r)
	}
	status, data, _ = do(t, f.client, "GET", f.url+"/v1/runs/"+rep.ReceiptID, adminToken, nil)
	var got struct {
		Steps []report.Step `json:"steps"`
	}
	if err := json.Unmarshal(data, &got); err != nil || status != 200 || len(got.Steps) != 2 || got.Steps[0].ID != "once" || got.Steps[0].RunID != rep.Steps[0].RunID {
		t.Errorf("GET /v1/runs of a composite: %d %s", status, data)
	}
}
