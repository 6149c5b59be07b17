package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/cmd/enact-run/internal/console"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// The approvals fixture's approver.
const (
	leeToken = "tok-lee-0123456789"
	lee      = "lee@acme.com"
)

const approvalsPolicy = `version: 1
actors:
  - {email: agent@acme.com, roles: [agent]}
  - {email: lee@acme.com, roles: [maintainer]}
  - {email: ops@acme.com, roles: [auditor]}
allow: [kv.*]
`

// held is a run held for approval in the fixture's store: the request
// and the PENDING run that made it.
type held struct {
	id, runID string
}

// addHeld records, as the gate does, a kv.put held for a maintainer's
// approval: the request in the store's approvals and the PENDING run's
// receipt that links it.
func (f *fixture) addHeld(t testing.TB) held {
	t.Helper()
	digest := "sha256:" + strings.Repeat("cd", 32)
	runID := "runheld0123456789abcdef"
	b := receipts.Binding{CapabilityID: "acme/release", CapabilityVersion: "1.0.0", CapabilityDigest: digest, Action: "kv.put", ArgsDigest: digest, Actor: agent, Seq: 1}
	bd, err := receipts.Digest(b)
	if err != nil {
		t.Fatal(err)
	}
	reason := "needs 1 approval from role maintainer (expires after 24h)"
	now := time.Now().UTC()
	req, _, err := f.store.RequestApproval(t.Context(), receipts.ApprovalRequest{
		Binding: b, BindingDigest: bd, RunID: runID, Created: now, Expires: now.Add(24 * time.Hour),
		Requirements: []receipts.Requirement{{Policy: "maintainer_releases", Roles: []string{"maintainer"}, Count: 1, Expiry: 24 * time.Hour}},
		Args:         map[string]any{"key": "release/current", "value": "7.0.0"},
		Reasons:      []string{"maintainer_releases: " + reason},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &receipts.Receipt{
		RunID: runID, Capability: receipts.Capability{ID: "acme/release", Version: "1.0.0", Digest: digest},
		Actor: receipts.Actor{Email: agent, Roles: []string{"agent"}}, Inputs: map[string]any{"version": "7.0.0"},
		Decision: receipts.DecisionPending, Status: "pending_approval",
		Error: &receipts.Error{Code: "approval_required", Message: "action kv.put is held for approval " + req.ID},
		Actions: []receipts.Action{{
			Seq: 1, Action: "kv.put", ArgsDigest: digest, Decision: receipts.ActionHeld,
			PolicyResults: []receipts.PolicyResult{{Policy: "maintainer_releases", Passed: false, Reason: reason}},
			Error:         &receipts.Error{Code: "approval_required", Message: "held for approval " + req.ID},
			Approval:      &receipts.ActionApproval{Request: req.ID, State: receipts.ApprovalPending},
			Started:       now,
		}},
		Started: now, Finished: now.Add(time.Millisecond), Timestamp: now.Add(time.Millisecond),
	}
	if _, err := f.store.Append(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return held{id: req.ID, runID: runID}
}

// approvalsHandler is the console over the fixture with approvals: a
// client over the fixture's store and the approvals policy, as serve
// wires it.
func (f *fixture) approvalsHandler(t testing.TB) http.Handler {
	t.Helper()
	p, err := policy.Load([]byte(approvalsPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gate, err := hostfns.New(hostfns.Config{Policy: p, Store: f.store})
	if err != nil {
		t.Fatal(err)
	}
	h, err := console.New(console.Config{
		Store: f.store, Keys: f.keys, Approvals: enact.New(nil, gate),
		Auth: func(token string) (policy.Actor, bool) {
			switch token {
			case leeToken:
				return policy.Actor{Email: lee, Roles: []string{"maintainer"}}, true
			case opsToken:
				// The auditor is a maintainer too: it reads every run and
				// may approve.
				return policy.Actor{Email: ops, Roles: []string{policy.RoleAuditor, "maintainer"}}, true
			}
			return f.auth(token)
		},
		MayReadAll: func(a policy.Actor) bool { return strings.EqualFold(a.Email, ops) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestApprovalPages: the approvals list and page, scoped per viewer; the
// vote form needs its CSRF token; an approval by a maintainer shows.
func TestApprovalPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hd := f.addHeld(t)
	srv := httptest.NewServer(f.approvalsHandler(t))
	defer srv.Close()

	agentC, leeC := newClient(t, srv), newClient(t, srv)
	agentC.login(agentToken)
	leeC.login(leeToken)
	for _, c := range []*client{agentC, leeC} {
		code, _, body := c.get("/ui/approvals")
		if code != 200 || !strings.Contains(body, hd.id) || !strings.Contains(body, "kv.put") {
			t.Errorf("approvals list: %d\n%s", code, body)
		}
	}
	// The requester sees the request but is offered no vote; the
	// maintainer is.
	code, _, body := agentC.get("/ui/approvals/" + hd.id)
	if code != 200 || strings.Contains(body, `id="approve"`) || !strings.Contains(body, "release/current") || !strings.Contains(body, "needs 1 approval from role maintainer") {
		t.Errorf("the requester's page: %d\n%s", code, body)
	}
	// The held run's page links the request: the requester reads it
	// without buttons, an auditor who is a maintainer gets them.
	code, _, body = agentC.get("/ui/runs/" + hd.runID)
	if code != 200 || !strings.Contains(body, `id="approval-link"`) || strings.Contains(body, `id="approve"`) {
		t.Errorf("the held run's page for the requester: %d\n%s", code, body)
	}
	opsC := newClient(t, srv)
	opsC.login(opsToken)
	if code, _, body := opsC.get("/ui/runs/" + hd.runID); code != 200 || !strings.Contains(body, `id="approval-link"`) || !strings.Contains(body, `id="approve"`) {
		t.Errorf("the held run's page for an auditor and maintainer: %d\n%s", code, body)
	}
	// Another actor's run stays hidden from the maintainer, as before.
	if code, _, _ := leeC.get("/ui/runs/" + hd.runID); code != http.StatusNotFound {
		t.Errorf("the held run for the maintainer: %d", code)
	}
	code, _, body = leeC.get("/ui/approvals/" + hd.id)
	if code != 200 || !strings.Contains(body, `id="approve"`) {
		t.Errorf("the request's page for the maintainer: %d\n%s", code, body)
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the page")
	}
	// Without the CSRF token: refused, nothing recorded.
	if code, _, body := leeC.do("POST", "/ui/approvals/"+hd.id+"/approve", url.Values{"reason": {"ok"}}, nil); code != http.StatusForbidden || !strings.Contains(body, "CSRF") {
		t.Errorf("vote without CSRF: %d %s", code, body)
	}
	// The requester's own vote, forged past the missing button, is
	// refused by the store's rules.
	am := csrfField.FindStringSubmatch(func() string { _, _, b := agentC.get("/ui/"); return b }())
	if code, _, body := agentC.do("POST", "/ui/approvals/"+hd.id+"/approve", url.Values{"csrf": {am[1]}}, nil); code != http.StatusForbidden || !strings.Contains(body, "Your vote was refused") {
		t.Errorf("the requester's vote: %d %s", code, body)
	}
	code, h, _ := leeC.do("POST", "/ui/approvals/"+hd.id+"/approve", url.Values{"csrf": {m[1]}, "reason": {"ship it"}}, nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/ui/approvals/"+hd.id) {
		t.Fatalf("approve: %d %v", code, h)
	}
	code, _, body = leeC.get(h.Get("Location"))
	if code != 200 || !strings.Contains(body, `id="approval-state">approved`) || !strings.Contains(body, "ship it") || strings.Contains(body, `id="approve"`) {
		t.Errorf("after the approval: %d\n%s", code, body)
	}
}
