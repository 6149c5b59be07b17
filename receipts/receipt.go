package receipts

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/enact-run/enact/internal/lazyre"
)

// FormatVersion is the value of the "version" field of every receipt body
// this package writes and the only one it reads.
const FormatVersion = "enact.receipt/v1"

// Redacted is the marker that replaces a secret value, or the value of a
// member named like a secret input, in a receipt (see Redactor).
const Redacted = "[redacted]"

// Decision is a run's verdict.
type Decision string

// Run decisions.
const (
	DecisionPass   Decision = "PASS"   // policies passed and the run completed
	DecisionBlock  Decision = "BLOCK"  // a run-level policy refused the run
	DecisionFailed Decision = "FAILED" // the run failed (error, timeout, trap, invalid output)
)

// ActionDecision is the gate's verdict on one action.
type ActionDecision string

// Action decisions.
const (
	ActionAllowed ActionDecision = "allowed" // policy allowed it and the connector succeeded
	ActionDenied  ActionDecision = "denied"  // refused before the connector was called
	ActionFailed  ActionDecision = "failed"  // allowed, but the connector failed
)

// Receipt is the record of one run. The package documentation specifies
// every field. Seq and Prev are assigned by Store.Append.
type Receipt struct {
	Version        string          `json:"version"`            // FormatVersion; Seal sets it if empty
	RunID          string          `json:"run_id"`             // unique in a chain; [A-Za-z0-9._-]
	Seq            int64           `json:"seq"`                // position in the chain, from 1
	Capability     Capability      `json:"capability"`         // what ran
	Actor          Actor           `json:"actor"`              // who asked
	Inputs         map[string]any  `json:"inputs"`             // secrets redacted (Redactor)
	Vars           *Vars           `json:"vars,omitempty"`     // the environment variables the run had; nil for none
	PolicyDigest   string          `json:"policy_digest"`      // digest of the policy file
	PolicyResults  []PolicyResult  `json:"policy_results"`     // run-level policies
	Decision       Decision        `json:"decision"`           // PASS, BLOCK, FAILED, PENDING; APPROVED or DENIED for an approval record
	Status         string          `json:"status"`             // free text: "completed", "dry_run", …
	Actions        []Action        `json:"actions"`            // every action asked for, in order
	Plugins        []Plugin        `json:"plugins"`            // the plugin of each task
	IdempotencyKey string          `json:"idempotency_key"`    // "" if none
	Outputs        map[string]any  `json:"outputs"`            // the run's outputs
	Error          *Error          `json:"error,omitempty"`    // why the run failed
	Steps          []Step          `json:"steps,omitempty"`    // a composite's steps
	Parent         *Parent         `json:"parent,omitempty"`   // the composite run a step's run belongs to
	Approval       *ApprovalRecord `json:"approval,omitempty"` // an approval record's vote (decision APPROVED or DENIED)
	Started        time.Time       `json:"started"`            // stored in UTC
	Finished       time.Time       `json:"finished"`           // stored in UTC
	DurationMS     float64         `json:"duration_ms"`        // milliseconds (Millis)
	Timestamp      time.Time       `json:"timestamp"`          // when sealed; Append sets it if zero
	Prev           string          `json:"prev"`               // hash of the previous receipt; "" for seq 1
}

// Vars records a run's environment variables without their values: the
// names, and Digest, "sha256:" and the hex SHA-256 of the values as a
// JSON object with sorted keys (a change of any value changes it). The
// values are secrets and never appear in a receipt.
type Vars struct {
	Names  []string `json:"names"`
	Digest string   `json:"digest"`
}

// Capability identifies what ran (the seed's "workflow").
type Capability struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
	// Bundle is the bundle the capability came in, nil when unknown.
	Bundle *Bundle `json:"bundle,omitempty"`
}

// Bundle identifies the signed unit a capability ran from (package
// plugins/bundle): the digest over the document and every file it
// references, who signed it, and where it was pulled from.
type Bundle struct {
	Digest string `json:"digest"`
	// Signer is the key id of the trusted signature; "" when unsigned.
	Signer string `json:"signer,omitempty"`
	// Ref is the registry reference the bundle was pulled by, "" for a
	// local file.
	Ref string `json:"ref,omitempty"`
	// Manifest is the registry manifest's digest, "" for a local file.
	Manifest string `json:"manifest,omitempty"`
}

// Actor is who asked for the run.
type Actor struct {
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

// PolicyResult is one policy's verdict with a human reason.
type PolicyResult struct {
	Policy string `json:"policy"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
}

// Action is one host call a run asked for, whatever the gate decided.
type Action struct {
	Seq            int64           `json:"seq"`                // position within the run, from 1
	Action         string          `json:"action"`             // action id, e.g. "kv.put"
	ArgsDigest     string          `json:"args_digest"`        // Digest of the arguments
	Decision       ActionDecision  `json:"decision"`           // allowed, denied, failed or held
	PolicyResults  []PolicyResult  `json:"policy_results"`     // action-level policies
	Facts          map[string]any  `json:"facts"`              // facts the policies used
	Target         map[string]any  `json:"target,omitempty"`   // the objects the arguments name, as resolved before the policy
	Result         json.RawMessage `json:"result,omitempty"`   // the connector's result
	Error          *Error          `json:"error,omitempty"`    // refusal or failure; never with Result
	AlreadyExisted bool            `json:"already_existed"`    // the effect was already in place
	Approval       *ActionApproval `json:"approval,omitempty"` // the approval request that held or let through the action
	Started        time.Time       `json:"started"`            // stored in UTC
	DurationMS     float64         `json:"duration_ms"`        // milliseconds (Millis)
}

// ApprovalRecord is the body of an approval record: the chain entry of one
// vote on an approval request. The record's Actor is the approver and its
// Capability the held action's capability.
type ApprovalRecord struct {
	Request       string  `json:"request"` // the request id
	Binding       Binding `json:"binding"` // what exactly was approved or denied
	BindingDigest string  `json:"binding_digest"`
	Approve       bool    `json:"approve"`
	Reason        string  `json:"reason,omitempty"`
	// State is the request's state after this vote.
	State string `json:"state"`
}

// ActionApproval links an action to its approval request: held (State
// pending, denied or expired) or performed under it (approved, with the
// approvers and the run ids of their approval records).
type ActionApproval struct {
	Request   string   `json:"request"`
	State     string   `json:"state"`
	Approvers []string `json:"approvers,omitempty"`
	Records   []string `json:"records,omitempty"`
}

// Step is one step of a composite run: the step's id, the capability it
// ran, how it ended and, when it ran (or replayed an earlier run), the
// run id and hash of that run's own receipt.
type Step struct {
	ID         string     `json:"id"`
	Capability Capability `json:"capability"`
	// Status is passed, failed, skipped or not_run.
	Status  string `json:"status"`
	RunID   string `json:"run_id,omitempty"`
	Receipt string `json:"receipt,omitempty"` // the hash of the step's receipt
	// Replayed says the step's run is an earlier one, replayed by its
	// idempotency key: nothing executed this time.
	Replayed bool   `json:"replayed,omitempty"`
	Error    *Error `json:"error,omitempty"`
}

// Parent links a step's run to the composite run it is a step of.
type Parent struct {
	RunID string `json:"run_id"`
	Step  string `json:"step"`
}

// Plugin is the digest of the plugin that ran a task, with what a
// prebuilt plugin was configured with and logged.
type Plugin struct {
	Task   string `json:"task"`
	Digest string `json:"digest"`
	// ConfigKeys are the sorted keys of the plugin's Extism configuration
	// and ConfigDigest the digest of their values; the values are never
	// recorded. Both absent when the plugin had no configuration.
	ConfigKeys   []string `json:"config_keys,omitempty"`
	ConfigDigest string   `json:"config_digest,omitempty"`
	// Logs are the lines the plugin logged through Extism's log
	// functions (bounded by the runtime), secrets redacted.
	Logs []Log `json:"logs,omitempty"`
}

// Log is one line a plugin logged: its level (trace, debug, info, warn,
// error) and message.
type Log struct {
	Level   string `json:"level"`
	Message string `json:"message"`
}

// Error is a failure recorded in a receipt: a stable code and a message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns "code: message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Millis converts d to the fractional milliseconds of the duration_ms
// fields, rounded to the microsecond.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Digest returns "sha256:<hex>" of the canonical JSON (RFC 8785) of v: the
// args_digest of an action, for example. v is first encoded with
// encoding/json, so a json.RawMessage is digested by its canonical form.
func Digest(v any) (string, error) {
	b, err := canonical(v)
	if err != nil {
		return "", err
	}
	return hashOf(b), nil
}

// Redact returns a deep copy of inputs in which the value of every key named
// in secretNames (compared case-insensitively), at any depth, including
// inside arrays, is replaced by Redacted. Values of types other than those
// encoding/json decodes into are copied through their JSON form, so a
// secret inside a struct or a typed map is redacted too; a value that
// cannot be encoded is replaced by Redacted.
func Redact(inputs map[string]any, secretNames []string) map[string]any {
	if inputs == nil {
		return nil
	}
	secret := func(k string) bool {
		for _, s := range secretNames {
			if strings.EqualFold(k, s) {
				return true
			}
		}
		return false
	}
	return redactValue(inputs, secret).(map[string]any)
}

func redactValue(v any, secret func(string) bool) any {
	switch x := v.(type) {
	case nil, string, bool, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, json.Number:
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if secret(k) {
				out[k] = Redacted
			} else {
				out[k] = redactValue(e, secret)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(e, secret)
		}
		return out
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return Redacted
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			return Redacted
		}
		return redactValue(generic, secret)
	}
}

var (
	runIDPattern  = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	digestPattern = lazyre.New(`^sha256:[0-9a-f]{64}$`)
)

// validate checks the rules of the package documentation that the encoder
// does not enforce by itself.
func (r *Receipt) validate() error {
	if r.Version != FormatVersion {
		return fmt.Errorf("version %q: want %q", r.Version, FormatVersion)
	}
	if !runIDPattern.MatchString(r.RunID) {
		return fmt.Errorf("run_id %q: want 1-128 of [A-Za-z0-9._-], not starting with '.', '_' or '-'", r.RunID)
	}
	if r.Seq < 1 {
		return fmt.Errorf("seq %d: want 1 or more", r.Seq)
	}
	if (r.Seq == 1) != (r.Prev == "") {
		return fmt.Errorf("prev %q: want empty exactly when seq is 1 (seq %d)", r.Prev, r.Seq)
	}
	if r.Prev != "" && !digestPattern.MatchString(r.Prev) {
		return fmt.Errorf("prev %q: want sha256:<64 lowercase hex>", r.Prev)
	}
	switch r.Decision {
	case DecisionPass, DecisionBlock, DecisionFailed, DecisionPending:
		if r.Approval != nil {
			return fmt.Errorf("approval: set on a run's receipt (decision %s); only an approval record (APPROVED or DENIED) has one", r.Decision)
		}
	case DecisionApproved, DecisionDenied:
		if err := r.validateApprovalRecord(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("decision %q: want PASS, BLOCK, FAILED, PENDING, APPROVED or DENIED", r.Decision)
	}
	for i, a := range r.Actions {
		switch a.Decision {
		case ActionAllowed, ActionDenied, ActionFailed, ActionHeld:
		default:
			return fmt.Errorf("actions[%d].decision %q: want allowed, denied, failed or held", i, a.Decision)
		}
		if a.Result != nil && a.Error != nil {
			return fmt.Errorf("actions[%d]: both result and error are set", i)
		}
		if ap := a.Approval; ap != nil {
			if !approvalIDPattern.MatchString(ap.Request) {
				return fmt.Errorf("actions[%d].approval.request %q: want apr_ and 26 of [a-z2-7]", i, ap.Request)
			}
			switch ap.State {
			case ApprovalPending, ApprovalApproved, ApprovalDenied, ApprovalExpired:
			default:
				return fmt.Errorf("actions[%d].approval.state %q: want pending, approved, denied or expired", i, ap.State)
			}
		}
	}
	return nil
}

// validateApprovalRecord checks the rules of an approval record: its
// Approval is set and agrees with the decision and run id, and it records
// no run (no actions, plugins or steps).
func (r *Receipt) validateApprovalRecord() error {
	a := r.Approval
	switch {
	case a == nil:
		return fmt.Errorf("approval: missing; an approval record (decision %s) must have one", r.Decision)
	case !approvalIDPattern.MatchString(a.Request):
		return fmt.Errorf("approval.request %q: want apr_ and 26 of [a-z2-7]", a.Request)
	case !strings.HasPrefix(r.RunID, "apv-"+a.Request+"-"):
		return fmt.Errorf("run_id %q: an approval record's is apv-<request>-<n> (request %s)", r.RunID, a.Request)
	case a.Approve != (r.Decision == DecisionApproved):
		return fmt.Errorf("approval.approve %t: disagrees with decision %s", a.Approve, r.Decision)
	case !digestPattern.MatchString(a.BindingDigest):
		return fmt.Errorf("approval.binding_digest %q: want sha256:<64 lowercase hex>", a.BindingDigest)
	case len(r.Actions) > 0 || len(r.Plugins) > 0 || len(r.Steps) > 0:
		return errors.New("an approval record has no actions, plugins or steps")
	}
	if d, err := Digest(a.Binding); err != nil || d != a.BindingDigest {
		return fmt.Errorf("approval.binding_digest %s: not the digest of approval.binding (%s)", a.BindingDigest, d)
	}
	switch a.State {
	case ApprovalPending, ApprovalApproved:
		if !a.Approve {
			return fmt.Errorf("approval.state %q: a deny leaves the request denied", a.State)
		}
	case ApprovalDenied:
		if a.Approve {
			return errors.New(`approval.state "denied": an approve vote does not deny`)
		}
	default:
		return fmt.Errorf("approval.state %q: want pending, approved or denied", a.State)
	}
	return nil
}

// normalized returns a copy of r in the stored form: times in UTC, absent
// lists and maps empty rather than null, the version set. It does not
// modify r.
func (r *Receipt) normalized() Receipt {
	n := *r
	if n.Version == "" {
		n.Version = FormatVersion
	}
	n.Actor.Roles = emptyIfNil(n.Actor.Roles)
	n.Inputs = emptyMapIfNil(n.Inputs)
	n.Outputs = emptyMapIfNil(n.Outputs)
	n.PolicyResults = emptyIfNil(n.PolicyResults)
	n.Plugins = emptyIfNil(n.Plugins)
	n.Started, n.Finished, n.Timestamp = n.Started.UTC(), n.Finished.UTC(), n.Timestamp.UTC()
	n.Actions = make([]Action, len(r.Actions))
	for i, a := range r.Actions {
		a.PolicyResults = emptyIfNil(a.PolicyResults)
		a.Facts = emptyMapIfNil(a.Facts)
		a.Started = a.Started.UTC()
		if len(a.Result) == 0 {
			a.Result = nil
		}
		n.Actions[i] = a
	}
	return n
}

func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func emptyMapIfNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
