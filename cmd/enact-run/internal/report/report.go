// Package report is the one account of a run that every surface of
// enact-run gives: the object `enact-run run --json` prints, the body of
// the HTTP API's run responses (POST /v1/runs, GET /v1/runs/{id}), and the
// "enact/report" entry of an MCP tool result's _meta.
//
//	{
//	  "status": "PASS"|"BLOCK"|"FAILED"|"PENDING",
//	  "run_id": "…", "receipt_id": "…" (the same id, the older name),
//	  "outputs": {…}, "output": "what the tasks printed", "output_truncated": false,
//	  "error": null | {"code", "message", "task"?, "trace"?},
//	  "capability": "id", "digest": "sha256:…", "bundle_digest": "sha256:…"?,
//	  "tasks": [{"id", "plugin", "duration_ms"}],
//	  "actions": [{"seq", "action", "decision", "reasons"?, "approval"?, "planned"?, "already_existed"?, "error"?, "step"?}],
//	  "steps": [{"id", "capability", "status", "run_id", "receipt", "replayed"?, "error"?}],
//	  "duration_ms": 12.5, "dry_run"?: true, "replayed": false,
//	  "receipt_hash": "sha256:…", "receipt": {the signed envelope},
//	  "approval": {"id", "state", "action", "expires", "reasons", "url"?, "resume"} (status PENDING, or a run performed under an approval)
//	}
//
// A report is built from what a run returned (FromResult) or, later, from
// its sealed receipt alone (FromReceipt); the second lacks what only the
// live run knows (what the tasks printed, the tasks' timings, whether it
// was a replay).
package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/receipts"
)

// Report is the account of one run. The zero value is not useful: start
// from New.
type Report struct {
	Status string `json:"status"`
	// RunID identifies the run and its receipt; ReceiptID repeats it under
	// the name the CLI used first.
	RunID     string             `json:"run_id"`
	Outputs   map[string]any     `json:"outputs"`
	ReceiptID string             `json:"receipt_id"`
	Receipt   *receipts.Envelope `json:"receipt"`
	// ReceiptHash is the hash of the run's receipt (its place in the
	// chain).
	ReceiptHash     string   `json:"receipt_hash,omitempty"`
	Error           *Error   `json:"error"`
	Capability      string   `json:"capability,omitempty"`
	Digest          string   `json:"digest,omitempty"`
	BundleDigest    string   `json:"bundle_digest,omitempty"`
	Output          string   `json:"output"`
	OutputTruncated bool     `json:"output_truncated"`
	Tasks           []Task   `json:"tasks"`
	Actions         []Action `json:"actions"`
	// Steps are a composite's steps: id, status and each one's own run
	// and receipt hash.
	Steps      []Step  `json:"steps,omitempty"`
	DryRun     bool    `json:"dry_run,omitempty"`
	Replayed   bool    `json:"replayed"`
	DurationMS float64 `json:"duration_ms"`
	// Approval is the approval request that holds the run (status
	// PENDING), or that a held action was performed under.
	Approval *Approval `json:"approval,omitempty"`
}

// Error says why a run was blocked, failed or held.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Task    string `json:"task,omitempty"`
	Trace   string `json:"trace,omitempty"`
}

// Task is one task of the run and how long it took.
type Task struct {
	ID         string  `json:"id"`
	Plugin     string  `json:"plugin"`
	DurationMS float64 `json:"duration_ms"`
}

// Action is one action of the run, from its receipt; in a dry run the
// writes are the planned ones.
type Action struct {
	Seq      int64  `json:"seq"`
	Action   string `json:"action"`
	Decision string `json:"decision"`
	// Reasons are the reasons of the policies that did not pass (why the
	// action was denied or held).
	Reasons        []string `json:"reasons,omitempty"`
	Planned        bool     `json:"planned,omitempty"`
	AlreadyExisted bool     `json:"already_existed,omitempty"`
	Error          string   `json:"error,omitempty"`
	// Step names the composite's step whose run asked for the action
	// ("outer/inner" in a nested composite); "" for the run's own.
	Step string `json:"step,omitempty"`
	// Approval links a held action, or one performed under an approval,
	// to its request.
	Approval *receipts.ActionApproval `json:"approval,omitempty"`
}

// Step is one step of a composite run.
type Step struct {
	ID         string `json:"id"`
	Capability string `json:"capability"`
	Status     string `json:"status"`
	RunID      string `json:"run_id,omitempty"`
	Receipt    string `json:"receipt,omitempty"`
	Replayed   bool   `json:"replayed,omitempty"`
	Error      *Error `json:"error,omitempty"`
}

// Approval is the approval request of a run, and what to do about it.
type Approval struct {
	ID      string    `json:"id"`
	State   string    `json:"state"`
	Action  string    `json:"action,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// Reasons say who must approve.
	Reasons []string `json:"reasons,omitempty"`
	// URL is the request's page in the console, when the policy's notify
	// section names the console's address.
	URL string `json:"url,omitempty"`
	// Resume says how to go on.
	Resume string `json:"resume,omitempty"`
}

// Resume is what a held run's caller does next.
const Resume = "once the request is approved, retry the same run (same capability, inputs and idempotency key): the held action is performed exactly once"

// New returns the report of a run that has not produced anything yet:
// status FAILED, empty outputs, tasks and actions.
func New() *Report {
	return &Report{Status: enact.StatusFailed, Outputs: map[string]any{}, Tasks: []Task{}, Actions: []Action{}}
}

// Options are what a surface adds to the run's own account.
type Options struct {
	// ConsoleURL is the console's base URL (the policy's
	// notify.console_url), for an approval's link; "" for none.
	ConsoleURL string
}

// ApprovalURL is a request's page in the console at base ("" when base
// is "").
func ApprovalURL(base, id string) string {
	if base == "" || id == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/ui/approvals/" + id
}

// FromResult fills r from what a run returned. Error codes and messages
// come from the run; nothing already in r that the result lacks is
// cleared.
func (r *Report) FromResult(res *enact.Result, o Options) {
	if res == nil {
		return
	}
	r.Status = res.Status
	r.RunID, r.ReceiptID = res.RunID, res.RunID
	r.Receipt = res.Receipt
	if res.Receipt != nil {
		r.ReceiptHash = res.Receipt.Hash
	}
	r.Replayed = res.Replayed
	r.Output, r.OutputTruncated = res.Output, res.OutputTruncated
	if res.Status == enact.StatusPass && res.Outputs != nil {
		r.Outputs = res.Outputs
	}
	if res.Error != nil {
		r.Error = &Error{Code: res.Error.Code, Message: res.Error.Message, Task: res.Error.Task, Trace: res.Error.Trace}
	} else if res.Status != enact.StatusPass && res.Status != "" {
		r.Error = &Error{Code: "internal", Message: "the run ended " + res.Status + " without an error"}
	}
	body := decode(res.Receipt)
	if body != nil {
		r.fromBody(body)
	}
	r.Steps = nil
	for _, st := range res.Steps {
		r.Steps = append(r.Steps, stepOf(st))
	}
	if res.Flow != nil {
		r.DurationMS = receipts.Millis(res.Flow.Duration)
	}
	if res.Run != nil {
		r.DurationMS = receipts.Millis(res.Run.Duration)
		r.Tasks = []Task{}
		for _, t := range res.Run.Tasks {
			r.Tasks = append(r.Tasks, Task{ID: t.ID, Plugin: t.Plugin, DurationMS: receipts.Millis(t.Duration)})
		}
	}
	switch {
	case res.Approval != nil:
		r.Approval = approvalOf(res.Approval, o)
	case res.Status == enact.StatusPending:
		r.Approval = heldApproval(r.Actions, o)
	}
}

// FromReceipt fills r from a sealed receipt alone (a run read back).
func (r *Report) FromReceipt(env *receipts.Envelope, o Options) {
	body := decode(env)
	if body == nil {
		return
	}
	r.Status = string(body.Decision)
	r.RunID, r.ReceiptID = body.RunID, body.RunID
	r.Receipt, r.ReceiptHash = env, env.Hash
	if body.Outputs != nil {
		r.Outputs = body.Outputs
	}
	if body.Error != nil {
		r.Error = &Error{Code: body.Error.Code, Message: body.Error.Message}
	}
	r.fromBody(body)
	r.DurationMS = body.DurationMS
	r.Steps = nil
	for _, st := range body.Steps {
		r.Steps = append(r.Steps, stepOf(st))
	}
	if body.Decision == receipts.DecisionPending {
		r.Approval = heldApproval(r.Actions, o)
	}
}

// fromBody takes what the receipt body says about the run.
func (r *Report) fromBody(body *receipts.Receipt) {
	r.Capability, r.Digest = body.Capability.ID, body.Capability.Digest
	if body.Capability.Bundle != nil {
		r.BundleDigest = body.Capability.Bundle.Digest
	}
	r.DryRun = body.Status == "dry_run"
	r.Actions = ActionsOf(body)
}

// decode reads an envelope's body; nil when there is none or it does not
// decode.
func decode(env *receipts.Envelope) *receipts.Receipt {
	if env == nil {
		return nil
	}
	var body receipts.Receipt
	dec := json.NewDecoder(bytes.NewReader(env.Body))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil
	}
	return &body
}

// ActionsOf lists the actions a receipt body records.
func ActionsOf(body *receipts.Receipt) []Action {
	out := []Action{}
	for _, a := range body.Actions {
		ra := Action{Seq: a.Seq, Action: a.Action, Decision: string(a.Decision), AlreadyExisted: a.AlreadyExisted, Approval: a.Approval}
		var planned struct {
			Planned bool `json:"planned"`
		}
		_ = json.Unmarshal(a.Result, &planned)
		ra.Planned = planned.Planned
		if a.Error != nil {
			ra.Error = a.Error.Code + ": " + a.Error.Message
		}
		for _, p := range a.PolicyResults {
			if !p.Passed {
				ra.Reasons = append(ra.Reasons, p.Policy+": "+p.Reason)
			}
		}
		out = append(out, ra)
	}
	return out
}

// ActionsOfEnvelope lists the actions a sealed receipt records (none when
// it does not decode).
func ActionsOfEnvelope(env *receipts.Envelope) []Action {
	body := decode(env)
	if body == nil {
		return []Action{}
	}
	return ActionsOf(body)
}

func stepOf(st receipts.Step) Step {
	s := Step{ID: st.ID, Capability: st.Capability.ID, Status: st.Status, RunID: st.RunID, Receipt: st.Receipt, Replayed: st.Replayed}
	if st.Error != nil {
		s.Error = &Error{Code: st.Error.Code, Message: st.Error.Message}
	}
	return s
}

// approvalOf is a request as the report shows it.
func approvalOf(req *receipts.ApprovalRequest, o Options) *Approval {
	a := &Approval{ID: req.ID, State: req.State, Action: req.Binding.Action, Expires: req.Expires, Reasons: req.Reasons, URL: ApprovalURL(o.ConsoleURL, req.ID)}
	if req.State == receipts.ApprovalPending {
		a.Resume = Resume
	}
	return a
}

// heldApproval finds the request of a held run in its actions, for a
// report built without the request itself.
func heldApproval(actions []Action, o Options) *Approval {
	for _, a := range actions {
		if a.Approval != nil && a.Decision == string(receipts.ActionHeld) {
			return &Approval{ID: a.Approval.Request, State: a.Approval.State, Action: a.Action, Reasons: a.Reasons, URL: ApprovalURL(o.ConsoleURL, a.Approval.Request), Resume: Resume}
		}
	}
	return nil
}
