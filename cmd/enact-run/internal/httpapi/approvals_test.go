package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/cmd/enact-run/internal/clienttest"
	"github.com/enact-run/enact/cmd/enact-run/internal/httpapi"
	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// approvalsPolicy holds every kv.put under release/ for a maintainer.
const approvalsPolicy = `version: 1
actors:
  - {email: agent@acme.com, roles: [agent, maintainer]}   # a maintainer, but not of its own requests
  - {email: lee@acme.com, roles: [maintainer]}
  - {email: dev@acme.com, roles: [developer]}
  - {email: audit@acme.com, roles: [auditor]}
allow: [kv.*]
policies:
  - use: require_approval
    name: maintainer_releases
    actions: [kv.put]
    with:
      when: 'action.args.key.startsWith("release/")'
      approver_roles: [maintainer]
notify:
  webhook_url_env: UNSET_IN_THIS_TEST
  console_url: http://console.example
`

// TestApprovalsOverHTTP: a run held for approval answers 200 PENDING with
// the request; the approvals endpoints scope the requests per actor and
// refuse votes with their documented codes; an approval lets the retry
// perform the action.
func TestApprovalsOverHTTP(t *testing.T) {
	t.Parallel()
	wired := clienttest.New(t, approvalsPolicy)
	p, err := policy.Load([]byte(approvalsPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := capabilities.Load([]byte(clienttest.ReleaseCapability), "release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	caps := map[string]*capabilities.Capability{c.ID: c}
	tokens := map[string]string{"t-agent": "agent@acme.com", "t-lee": "lee@acme.com", "t-dev": "dev@acme.com", "t-audit": "audit@acme.com"}
	h, err := httpapi.New(httpapi.Config{
		Runner: wired.Client, Receipts: wired.Client, Approvals: wired.Client,
		Capabilities: func() map[string]*capabilities.Capability { return caps },
		Auth: func(token string) (policy.Actor, bool) {
			email, ok := tokens[token]
			return policy.Actor{Email: email, Roles: p.Roles(email)}, ok
		},
		ConsoleURL: p.Notify().ConsoleURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	hc := srv.Client()
	runBody := map[string]any{"capability": "Release", "inputs": map[string]any{"version": "7.0.0"}, "idempotency_key": "rel-7"}

	status, data, _ := do(t, hc, "POST", srv.URL+"/v1/runs", "t-agent", runBody)
	var held report.Report
	if err := json.Unmarshal(data, &held); err != nil || status != http.StatusOK || held.Status != "PENDING" || held.Approval == nil ||
		held.Approval.URL != "http://console.example/ui/approvals/"+held.Approval.ID || held.Error == nil || held.Error.Code != "approval_required" {
		t.Fatalf("held run: %d %v %s", status, err, data)
	}
	id := held.Approval.ID

	// Scoping: the requester, the maintainer and the auditor see it; a
	// developer sees nothing, and its id is not found.
	for token, want := range map[string]int{"t-agent": 1, "t-lee": 1, "t-audit": 1, "t-dev": 0} {
		status, data, _ := do(t, hc, "GET", srv.URL+"/v1/approvals", token, nil)
		var list []receipts.ApprovalRequest
		if err := json.Unmarshal(data, &list); err != nil || status != 200 || len(list) != want || (want == 1 && list[0].ID != id) {
			t.Errorf("GET /v1/approvals as %s: %d %s, want %d", token, status, data, want)
		}
	}
	if status, data, _ := do(t, hc, "GET", srv.URL+"/v1/approvals/"+id, "t-dev", nil); status != 404 || !strings.Contains(string(data), `"not_found"`) {
		t.Errorf("another's request: %d %s", status, data)
	}
	status, data, _ = do(t, hc, "GET", srv.URL+"/v1/approvals/"+id[:12], "t-lee", nil)
	var got receipts.ApprovalRequest
	if err := json.Unmarshal(data, &got); err != nil || status != 200 || got.ID != id || got.State != "pending" || got.Binding.Action != "kv.put" || got.Binding.Actor != "agent@acme.com" {
		t.Errorf("GET by prefix: %d %s", status, data)
	}

	vote := func(token, verb string, body any) (int, string) {
		t.Helper()
		status, data, _ := do(t, hc, "POST", srv.URL+"/v1/approvals/"+id+"/"+verb, token, body)
		return status, string(data)
	}
	for _, tc := range []struct {
		name, token, verb string
		body              any
		status            int
		code              string
	}{
		{"self-approval", "t-agent", "approve", map[string]any{}, 403, "self_approval"},
		{"an auditor is no approver", "t-audit", "approve", map[string]any{"reason": "looks fine"}, 403, "not_an_approver"},
		{"invisible to a developer", "t-dev", "approve", map[string]any{}, 404, "not_found"},
		{"deny without a reason", "t-lee", "deny", map[string]any{}, 400, "invalid_request"},
		{"unknown field", "t-lee", "approve", map[string]any{"reasn": "x"}, 400, "invalid_request"},
		{"no token", "", "approve", map[string]any{}, 401, "unauthorized"},
	} {
		if status, body := vote(tc.token, tc.verb, tc.body); status != tc.status || !strings.Contains(body, `"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
	}
	if status, body := vote("t-lee", "approve", map[string]any{"reason": "ship it"}); status != 200 || !strings.Contains(body, `"state":"approved"`) {
		t.Fatalf("approve: %d %s", status, body)
	}
	if status, body := vote("t-lee", "deny", map[string]any{"reason": "changed my mind"}); status != 409 || !(strings.Contains(body, `"not_pending"`) || strings.Contains(body, `"already_voted"`)) {
		t.Errorf("a vote on a decided request: %d %s", status, body)
	}

	// The retry performs the action under the approval.
	status, data, _ = do(t, hc, "POST", srv.URL+"/v1/runs", "t-agent", runBody)
	var done report.Report
	if err := json.Unmarshal(data, &done); err != nil || status != 200 || done.Status != "PASS" || len(done.Actions) != 1 ||
		done.Actions[0].Approval == nil || done.Actions[0].Approval.Request != id || done.Outputs["version"] != float64(1) {
		t.Errorf("retry: %d %v %s", status, err, data)
	}

	// An expired request cannot be approved: 410.
	b := receipts.Binding{CapabilityID: "Release", CapabilityVersion: "1.0.0", CapabilityDigest: c.Digest, Action: "kv.put", ArgsDigest: "sha256:" + strings.Repeat("0", 64), Actor: "agent@acme.com", Seq: 1}
	bd, err := receipts.Digest(b)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-2 * time.Hour)
	old, _, err := wired.Store.RequestApproval(t.Context(), receipts.ApprovalRequest{
		Binding: b, BindingDigest: bd, RunID: "run-old", Created: past, Expires: past.Add(time.Minute),
		Requirements: []receipts.Requirement{{Policy: "maintainer_releases", Roles: []string{"maintainer"}, Count: 1, Expiry: time.Minute}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if status, data, _ := do(t, hc, "POST", srv.URL+"/v1/approvals/"+old.ID+"/approve", "t-lee", map[string]any{}); status != 410 || !strings.Contains(string(data), `"expired"`) {
		t.Errorf("an expired request: %d %s", status, data)
	}
	if status, data, _ := do(t, hc, "GET", srv.URL+"/v1/approvals?state=expired", "t-lee", nil); status != 200 || !strings.Contains(string(data), old.ID) || strings.Contains(string(data), id) {
		t.Errorf("?state=expired: %d %s", status, data)
	}
	if status, data, _ := do(t, hc, "GET", srv.URL+"/v1/approvals?state=bogus", "t-lee", nil); status != 400 {
		t.Errorf("?state=bogus: %d %s", status, data)
	}
}
