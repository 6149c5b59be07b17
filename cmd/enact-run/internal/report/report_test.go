package report_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

func seal(t *testing.T, r *receipts.Receipt) *receipts.Envelope {
	t.Helper()
	s, err := receipts.NewHMACSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	env, err := receipts.Seal(r, []receipts.Signer{s})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

var t0 = time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)

// held is the receipt of a run held for approval apr_aaaaaaaaaaaaaaaaaaaaaaaaaa: a kv.get that
// passed, then a kv.put held.
func held() *receipts.Receipt {
	return &receipts.Receipt{
		RunID: "run-held", Seq: 1, Capability: receipts.Capability{ID: "Release", Version: "1.0.0", Digest: "sha256:cap", Bundle: &receipts.Bundle{Digest: "sha256:bundle"}},
		Actor: receipts.Actor{Email: "agent@acme.com"}, Decision: receipts.DecisionPending, Status: "pending_approval",
		Error: &receipts.Error{Code: "approval_required", Message: "held for approval apr_aaaaaaaaaaaaaaaaaaaaaaaaaa"},
		Actions: []receipts.Action{
			{Seq: 1, Action: "kv.get", ArgsDigest: "sha256:a", Decision: receipts.ActionAllowed, Result: json.RawMessage(`{"found":false}`), Started: t0},
			{Seq: 2, Action: "kv.put", ArgsDigest: "sha256:b", Decision: receipts.ActionHeld,
				PolicyResults: []receipts.PolicyResult{{Policy: "allowlist", Passed: true, Reason: "ok"}, {Policy: "maintainer_releases", Passed: false, Reason: "needs 1 approval from role maintainer"}},
				Error:         &receipts.Error{Code: "approval_required", Message: "held"},
				Approval:      &receipts.ActionApproval{Request: "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa", State: receipts.ApprovalPending}, Started: t0},
		},
		Started: t0, Finished: t0.Add(time.Second), DurationMS: 1000, Timestamp: t0.Add(time.Second),
	}
}

func TestFromResultOfAHeldRun(t *testing.T) {
	env := seal(t, held())
	req := &receipts.ApprovalRequest{ID: "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa", State: receipts.ApprovalPending, Binding: receipts.Binding{Action: "kv.put"}, Expires: t0.Add(24 * time.Hour), Reasons: []string{"maintainer_releases: needs 1 approval from role maintainer"}}
	rep := report.New()
	rep.FromResult(&enact.Result{
		Status: enact.StatusPending, RunID: "run-held", Receipt: env, Approval: req, Output: "hi\n",
		Error: &runtime.Error{Code: "approval_required", Message: "held for approval apr_aaaaaaaaaaaaaaaaaaaaaaaaaa"},
		Run:   &runtime.Result{Duration: 1500 * time.Microsecond, Tasks: []runtime.TaskResult{{ID: "release", Plugin: "quickjs", Duration: time.Millisecond}}},
	}, report.Options{ConsoleURL: "https://enact.example.com/"})
	if rep.Status != "PENDING" || rep.RunID != "run-held" || rep.ReceiptID != "run-held" || rep.ReceiptHash != env.Hash || rep.Digest != "sha256:cap" ||
		rep.BundleDigest != "sha256:bundle" || rep.Capability != "Release" || rep.DurationMS != 1.5 || len(rep.Tasks) != 1 || rep.Output != "hi\n" ||
		rep.Error == nil || rep.Error.Code != "approval_required" || len(rep.Outputs) != 0 {
		t.Errorf("report %+v", rep)
	}
	if a := rep.Approval; a == nil || a.ID != "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa" || a.State != "pending" || a.Action != "kv.put" || a.URL != "https://enact.example.com/ui/approvals/apr_aaaaaaaaaaaaaaaaaaaaaaaaaa" ||
		a.Resume != report.Resume || !a.Expires.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("approval %+v", rep.Approval)
	}
	if len(rep.Actions) != 2 || rep.Actions[0].Reasons != nil || rep.Actions[1].Decision != "held" ||
		strings.Join(rep.Actions[1].Reasons, "|") != "maintainer_releases: needs 1 approval from role maintainer" || rep.Actions[1].Approval.Request != "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Errorf("actions %+v", rep.Actions)
	}
	// The JSON keeps the CLI's field names.
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"status":"PENDING"`, `"run_id":"run-held"`, `"receipt_id":"run-held"`, `"receipt":{`, `"output_truncated":false`, `"tasks":[`, `"replayed":false`, `"approval":{"id":"apr_aaaaaaaaaaaaaaaaaaaaaaaaaa"`} {
		if !strings.Contains(string(data), k) {
			t.Errorf("JSON lacks %s: %s", k, data)
		}
	}
}

func TestFromReceiptFindsTheHeldRequest(t *testing.T) {
	env := seal(t, held())
	rep := report.New()
	rep.FromReceipt(env, report.Options{})
	if rep.Status != "PENDING" || rep.Approval == nil || rep.Approval.ID != "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa" || rep.Approval.Action != "kv.put" || rep.Approval.URL != "" || rep.DurationMS != 1000 {
		t.Errorf("%+v %+v", rep, rep.Approval)
	}
	// A passing run has no approval, and its outputs show.
	r := held()
	r.Decision, r.Status, r.Error, r.Actions, r.Outputs = receipts.DecisionPass, "completed", nil, nil, map[string]any{"version": json.Number("1")}
	rep = report.New()
	rep.FromReceipt(seal(t, r), report.Options{})
	if rep.Status != "PASS" || rep.Approval != nil || rep.Error != nil || rep.Outputs["version"] != json.Number("1") || len(rep.Actions) != 0 {
		t.Errorf("%+v", rep)
	}
}
