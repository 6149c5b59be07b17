package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/receipts"
)

// approvalPolicy holds every kv.put under release/ for one maintainer's
// approval and announces new requests to the webhook in $HOOK.
const approvalPolicy = `version: 1
actors:
  - {email: agent@acme.com, roles: [agent]}
  - {email: lee@acme.com, roles: [maintainer]}
  - {email: dev@acme.com, roles: [developer]}
allow: [kv.*]
policies:
  - use: require_approval
    name: maintainer_releases
    actions: [kv.put]
    with:
      when: 'action.args.key.startsWith("release/")'
      approver_roles: [maintainer]
notify:
  webhook_url_env: HOOK
  console_url: http://console.example
`

// releaseCapability writes the release's version under release/current
// and returns what the kv connector answered.
const releaseCapability = `enact: 1.0.0
id: Release
description: Records the current release (held for a maintainer)
version: 1.0.0
x-enact:
  actions: [kv.put]
inputs:
  type: object
  properties:
    version: {type: string}
  required: [version]
tasks:
  - id: release
    type: script
    language: javascript
    code: |
      const r = enact.request("kv.put", { key: "release/current", value: version });
      if (!r.ok) throw new enact.ActionError(r.error);
      return { version: r.result.version, already_existed: r.already_existed === true };
outputs:
  type: object
  properties:
    version: {type: integer}
    already_existed: {type: boolean}
`

// hookReceiver is a local webhook that keeps every body it gets.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var m map[string]any
		if json.Unmarshal(data, &m) == nil {
			h.mu.Lock()
			h.bodies = append(h.bodies, m)
			h.mu.Unlock()
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) got() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.bodies...)
}

// TestApprovalsEndToEnd drives the real binary through the whole flow: a
// run held for approval (exit 8, the webhook told), the requester refused
// as their own approver, a maintainer's approval, the retry with the same
// key performing the action once, and a further retry replaying it.
func TestApprovalsEndToEnd(t *testing.T) {
	t.Parallel()
	bin := realBinary(t)
	home, dir := t.TempDir(), t.TempDir()
	pol := writeFile(t, dir, "policy.yaml", approvalPolicy)
	capFile := writeFile(t, dir, "release.yaml", releaseCapability)
	hook := newHookReceiver(t)
	env := append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+home, "ENACT_POLICY="+pol, "HOOK="+hook.srv.URL+"/hook/s3cr3t")
	enactRun := func(args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stdout.String(), stderr.String()
	}
	runArgs := []string{"run", capFile, "--actor", "agent@acme.com", "--idempotency-key", "rel-7", "--input", `{"version": "7.0.0"}`}

	// 1. Held: exit 8, the report names the request, the text says what
	// to do next.
	code, stdout, stderr := enactRun(runArgs...)
	if code != exitPending || !strings.Contains(stderr, "PENDING: action kv.put is held for approval apr_") ||
		!strings.Contains(stderr, "enact-run approvals approve apr_") || !strings.Contains(stderr, "--idempotency-key rel-7") {
		t.Fatalf("held run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = enactRun(append(runArgs, "--json")...)
	var held report.Report
	if err := json.Unmarshal([]byte(stdout), &held); err != nil || code != exitPending {
		t.Fatalf("held run --json: exit %d %v\n%s\n%s", code, err, stdout, stderr)
	}
	if held.Status != "PENDING" || held.Approval == nil || !strings.HasPrefix(held.Approval.ID, "apr_") || held.Approval.State != receipts.ApprovalPending ||
		held.Approval.URL != "http://console.example/ui/approvals/"+held.Approval.ID || held.Error == nil || held.Error.Code != "approval_required" ||
		len(held.Actions) != 1 || held.Actions[0].Decision != "held" || held.RunID == "" || held.ReceiptHash == "" {
		t.Fatalf("held report: %s", stdout)
	}
	id := held.Approval.ID
	// The second held run found the same request: one announcement.
	hooks := hook.got()
	if len(hooks) != 1 || hooks[0]["approval_id"] != id || hooks[0]["action"] != "kv.put" || hooks[0]["requester"] != "agent@acme.com" ||
		hooks[0]["url"] != "http://console.example/ui/approvals/"+id || !strings.Contains(hooks[0]["text"].(string), "agent@acme.com asks to run kv.put") {
		t.Errorf("webhook bodies: %v", hooks)
	}
	if strings.Contains(stderr, "s3cr3t") {
		t.Errorf("the webhook's secret URL was printed:\n%s", stderr)
	}

	// 2. Refusals: the requester, an actor without the role, a missing id.
	code, _, stderr = enactRun("approvals", "approve", id, "--actor", "agent@acme.com")
	if code != exitBlocked || !strings.Contains(stderr, "vote refused") {
		t.Errorf("the requester's own vote: exit %d %s", code, stderr)
	}
	code, _, stderr = enactRun("approvals", "approve", id, "--actor", "dev@acme.com")
	if code != exitBlocked || !strings.Contains(stderr, "not_an_approver") {
		t.Errorf("not an approver: exit %d %s", code, stderr)
	}
	code, _, stderr = enactRun("approvals", "approve", "apr_zzzzzzzzzzzzzzzzzzzzzzzzzz", "--actor", "lee@acme.com")
	if code != exitInvalid || !strings.Contains(stderr, "no approval request") {
		t.Errorf("unknown id: exit %d %s", code, stderr)
	}
	code, _, stderr = enactRun("approvals", "deny", id, "--actor", "lee@acme.com")
	if code != exitUsage || !strings.Contains(stderr, "--reason") {
		t.Errorf("deny without a reason: exit %d %s", code, stderr)
	}

	// 3. A maintainer approves, by a prefix of the id.
	code, stdout, stderr = enactRun("approvals", "approve", id[:10], "--actor", "lee@acme.com", "--reason", "ship it", "--json")
	var approved receipts.ApprovalRequest
	if err := json.Unmarshal([]byte(stdout), &approved); err != nil || code != exitPass || approved.ID != id || approved.State != receipts.ApprovalApproved ||
		len(approved.Votes) != 1 || approved.Votes[0].Approver != "lee@acme.com" || approved.Votes[0].Reason != "ship it" {
		t.Fatalf("approve: exit %d %v\n%s\n%s", code, err, stdout, stderr)
	}
	code, stdout, _ = enactRun("approvals", "list", "--state", "approved", "--json")
	var listed []receipts.ApprovalRequest
	if err := json.Unmarshal([]byte(stdout), &listed); err != nil || code != exitPass || len(listed) != 1 || listed[0].ID != id {
		t.Errorf("list --state approved: exit %d %v %s", code, err, stdout)
	}
	code, stdout, _ = enactRun("approvals", "show", id)
	if code != exitPass || !strings.Contains(stdout, "APPROVED") || !strings.Contains(stdout, "lee@acme.com approved") || !strings.Contains(stdout, "kv.put") {
		t.Errorf("show: exit %d\n%s", code, stdout)
	}

	// 4. The retry performs the action, once; a further retry replays.
	code, stdout, stderr = enactRun(append(runArgs, "--json")...)
	var done report.Report
	if err := json.Unmarshal([]byte(stdout), &done); err != nil || code != exitPass || done.Status != "PASS" || done.Replayed ||
		len(done.Actions) != 1 || done.Actions[0].Decision != "allowed" || done.Actions[0].Approval == nil || done.Actions[0].Approval.Request != id ||
		done.Actions[0].Approval.State != receipts.ApprovalApproved || done.Outputs["version"] != float64(1) || done.Outputs["already_existed"] != false {
		t.Fatalf("retry after approval: exit %d %v\n%s\n%s", code, err, stdout, stderr)
	}
	code, stdout, _ = enactRun(append(runArgs, "--json")...)
	var again report.Report
	if err := json.Unmarshal([]byte(stdout), &again); err != nil || code != exitPass || !again.Replayed || again.RunID != done.RunID {
		t.Errorf("second retry: exit %d %v\n%s", code, err, stdout)
	}
	// Exactly one kv.put was performed, in all the runs' receipts; the
	// approval record is in the chain, which verifies.
	code, stdout, _ = enactRun("receipts", "list", "--last", "50", "--json")
	var runs struct {
		Runs []struct {
			RunID    string `json:"run_id"`
			Decision string `json:"decision"`
			Actions  struct {
				Allowed int `json:"allowed"`
			} `json:"actions"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil || code != exitPass {
		t.Fatalf("receipts list: %v %s", err, stdout)
	}
	allowed, records := 0, 0
	for _, r := range runs.Runs {
		allowed += r.Actions.Allowed
		if strings.HasPrefix(r.RunID, "apv-"+id) {
			records++
		}
	}
	if allowed != 1 || records != 1 {
		t.Errorf("performed kv.put actions %d (want 1), approval records %d (want 1): %s", allowed, records, stdout)
	}
	if code, out, _ := enactRun("receipts", "verify"); code != exitPass {
		t.Errorf("receipts verify: exit %d %s", code, out)
	}
	if n := len(hook.got()); n != 1 {
		t.Errorf("webhook called %d times, want once (one request)", n)
	}

	// Other arguments are another action: a new request, which a
	// maintainer denies; the retry then ends with the denial (exit 3).
	other := []string{"run", capFile, "--actor", "agent@acme.com", "--idempotency-key", "rel-8", "--input", `{"version": "8.0.0"}`, "--json"}
	code, stdout, _ = enactRun(other...)
	var second report.Report
	if err := json.Unmarshal([]byte(stdout), &second); err != nil || code != exitPending || second.Approval == nil || second.Approval.ID == id {
		t.Fatalf("a run with other arguments: exit %d %v %s", code, err, stdout)
	}
	if code, _, stderr := enactRun("approvals", "deny", second.Approval.ID, "--actor", "lee@acme.com", "--reason", "not this one"); code != exitPass {
		t.Fatalf("deny: exit %d %s", code, stderr)
	}
	code, stdout, _ = enactRun(other...)
	var denied report.Report
	if err := json.Unmarshal([]byte(stdout), &denied); err != nil || code != exitBlocked || denied.Error == nil || !strings.Contains(denied.Error.Message, "not this one") {
		t.Errorf("the retry after a denial: exit %d %v %s", code, err, stdout)
	}
}
