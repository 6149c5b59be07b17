// Package receiptview turns sealed receipts into what an operator reads:
// a one-line summary of each run for lists (Summary), the full account of
// one run (View: who, what, when, the decision and why, every action with
// its decision, reasons, facts and what it changed, the outputs, the
// signatures and the chain position), listing with filters and paging
// (List) and run ids given by a unique prefix (Resolve).
//
// The same values feed the CLI's text (WriteSummaries, WriteView) and the
// web console's HTML templates. Everything shown comes from the receipt
// body as sealed: secrets are already redacted there ("[redacted]"), and
// nothing here re-reads connectors or the policy.
package receiptview

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// Counts are how many of a run's actions the gate allowed, denied, and
// allowed but saw fail, and held for approval.
type Counts struct {
	Allowed int `json:"allowed"`
	Denied  int `json:"denied"`
	Failed  int `json:"failed"`
	// Held are the actions held for a person's approval (not performed).
	Held int `json:"held,omitempty"`
}

// Summary is one run in a list.
type Summary struct {
	Seq               int64     `json:"seq"`
	RunID             string    `json:"run_id"`
	Time              time.Time `json:"timestamp"`
	Capability        string    `json:"capability"`
	CapabilityVersion string    `json:"capability_version"`
	Actor             string    `json:"actor"`
	// Decision is the receipt's: PASS, BLOCK or FAILED.
	Decision string `json:"decision"`
	// Status is the receipt's free text: completed, dry_run, recovered, …
	Status string `json:"status"`
	// Label is the decision as a person should read it: a PASS with a
	// denied or failed action says so ("PASS, 1 denied").
	Label string `json:"label"`
	// Attention is set when the run did not pass cleanly: not PASS, or an
	// action denied or failed.
	Attention bool `json:"attention"`
	// Reason says why, when there is something to say: the run policy that
	// blocked it, the error that failed it, the first action denied or
	// failed.
	Reason     string  `json:"reason"`
	Actions    Counts  `json:"actions"`
	DurationMS float64 `json:"duration_ms"`
	Hash       string  `json:"hash"`
}

// Summarize summarises a receipt body; hash is its envelope's hash.
func Summarize(r *receipts.Receipt, hash string) Summary {
	s := Summary{
		Seq: r.Seq, RunID: r.RunID, Time: r.Timestamp, Capability: r.Capability.ID, CapabilityVersion: r.Capability.Version,
		Actor: r.Actor.Email, Decision: string(r.Decision), Status: r.Status, DurationMS: r.DurationMS, Hash: hash,
	}
	var firstDenied, firstFailed *receipts.Action
	for i := range r.Actions {
		a := &r.Actions[i]
		switch a.Decision {
		case receipts.ActionAllowed:
			s.Actions.Allowed++
		case receipts.ActionDenied:
			s.Actions.Denied++
			if firstDenied == nil {
				firstDenied = a
			}
		case receipts.ActionHeld:
			s.Actions.Held++
		case receipts.ActionFailed:
			s.Actions.Failed++
			if firstFailed == nil {
				firstFailed = a
			}
		}
	}
	s.Label = s.Decision
	var notes []string
	if s.Actions.Denied > 0 {
		notes = append(notes, fmt.Sprintf("%d denied", s.Actions.Denied))
	}
	if s.Actions.Failed > 0 {
		notes = append(notes, fmt.Sprintf("%d failed", s.Actions.Failed))
	}
	if r.Status == "dry_run" {
		notes = append(notes, "dry run")
	}
	if len(notes) > 0 {
		s.Label += ", " + strings.Join(notes, ", ")
	}
	s.Attention = r.Decision != receipts.DecisionPass || s.Actions.Denied > 0 || s.Actions.Failed > 0
	switch {
	case r.Decision == receipts.DecisionBlock && failingPolicy(r.PolicyResults) != "":
		s.Reason = failingPolicy(r.PolicyResults)
	case firstDenied != nil:
		s.Reason = firstDenied.Action + " denied: " + actionReason(firstDenied)
	case r.Decision != receipts.DecisionPass && r.Error != nil:
		s.Reason = errorText(r.Error)
	case firstFailed != nil:
		s.Reason = firstFailed.Action + " failed: " + actionReason(firstFailed)
	case r.Error != nil:
		s.Reason = errorText(r.Error)
	case r.Status != "" && r.Status != "completed":
		s.Reason = r.Status
	}
	return s
}

// failingPolicy is "policy: reason" of the first policy that did not pass.
func failingPolicy(rs []receipts.PolicyResult) string {
	for _, p := range rs {
		if !p.Passed {
			if p.Reason == "" {
				return p.Policy
			}
			return p.Policy + ": " + p.Reason
		}
	}
	return ""
}

// actionReason is why an action was denied or failed: the policies that
// refused it, else its error.
func actionReason(a *receipts.Action) string {
	if p := failingPolicy(a.PolicyResults); p != "" {
		return p
	}
	if a.Error != nil {
		return errorText(a.Error)
	}
	return string(a.Decision)
}

// errorText is "code: message", without repeating a code the message
// already starts with.
func errorText(e *receipts.Error) string {
	if e == nil {
		return ""
	}
	switch {
	case e.Code == "":
		return e.Message
	case e.Message == "" || e.Message == e.Code:
		return e.Code
	case strings.HasPrefix(e.Message, e.Code+":"):
		return e.Message
	}
	return e.Code + ": " + e.Message
}

// View is the full account of one run.
type View struct {
	Summary
	// Verified is true when the envelope's hash and signatures check out
	// against the keys given to Build; VerifyError says why not.
	Verified    bool           `json:"verified"`
	VerifyError string         `json:"verify_error,omitempty"`
	Signatures  []SignatureRow `json:"signatures"`
	// Prev is the hash of the receipt before this one in the chain ("" for
	// the first).
	Prev             string            `json:"prev"`
	CapabilityDigest string            `json:"capability_digest"`
	Roles            []string          `json:"roles"`
	PolicyDigest     string            `json:"policy_digest"`
	IdempotencyKey   string            `json:"idempotency_key"`
	Started          time.Time         `json:"started"`
	Finished         time.Time         `json:"finished"`
	RunPolicies      []PolicyRow       `json:"run_policies"`
	Error            string            `json:"error,omitempty"`
	Inputs           []Field           `json:"inputs"`
	Outputs          []Field           `json:"outputs"`
	Actions          []ActionRow       `json:"actions"`
	Plugins          []PluginRow       `json:"plugins"`
	Children         []Summary         `json:"children,omitempty"`
	Receipt          *receipts.Receipt `json:"-"`
}

// SignatureRow is one signature of the envelope and whether it verified.
type SignatureRow struct {
	KeyID string `json:"key_id"`
	Alg   string `json:"alg"`
	// State is "verified", "invalid" (the key is known and the signature
	// does not match) or "unknown key".
	State string `json:"state"`
}

// PolicyRow is one policy's verdict.
type PolicyRow struct {
	Policy string `json:"policy"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
}

// Field is one named value of the inputs, outputs, facts or target: its
// JSON text (strings quoted), and whether it is the redaction marker.
type Field struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Redacted bool   `json:"redacted"`
}

// ActionRow is one action a run asked for.
type ActionRow struct {
	Seq      int64  `json:"seq"`
	Action   string `json:"action"`
	Decision string `json:"decision"`
	// Reason is why it was denied or failed ("" when allowed).
	Reason   string      `json:"reason"`
	Policies []PolicyRow `json:"policies"`
	Facts    []Field     `json:"facts"`
	Target   []Field     `json:"target"`
	// Effect says what the action changed, in words: "changed", "read",
	// "already in place (nothing changed)", "planned (dry run)", "nothing
	// (refused before the connector ran)", "did not complete".
	Effect string `json:"effect"`
	// Result is the connector's result as indented JSON ("" if none).
	Result         string    `json:"result"`
	Error          string    `json:"error"`
	AlreadyExisted bool      `json:"already_existed"`
	ArgsDigest     string    `json:"args_digest"`
	Started        time.Time `json:"started"`
	DurationMS     float64   `json:"duration_ms"`
	// Approval links the action to the approval request that held it or
	// that it was performed under.
	Approval *receipts.ActionApproval `json:"approval,omitempty"`
}

// PluginRow is the plugin of one task.
type PluginRow struct {
	Task       string   `json:"task"`
	Digest     string   `json:"digest"`
	ConfigKeys []string `json:"config_keys"`
	Logs       []string `json:"logs"`
}

// Decode reads an envelope's body without verifying it (lists, and views
// of receipts that do not verify). Numbers keep their text.
func Decode(env *receipts.Envelope) (*receipts.Receipt, error) {
	var r receipts.Receipt
	dec := json.NewDecoder(bytes.NewReader(env.Body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("receiptview: the receipt body does not decode: %w", err)
	}
	return &r, nil
}

// Build makes the view of an envelope, verifying its hash and signatures
// with verifiers. An envelope that does not verify still gets a view
// (Verified false, VerifyError why) as long as its body decodes.
func Build(env *receipts.Envelope, verifiers []receipts.Verifier) (*View, error) {
	r, err := Decode(env)
	if err != nil {
		return nil, err
	}
	v := &View{
		Summary: Summarize(r, env.Hash), Prev: r.Prev, CapabilityDigest: r.Capability.Digest,
		Roles: r.Actor.Roles, PolicyDigest: r.PolicyDigest, IdempotencyKey: r.IdempotencyKey,
		Started: r.Started, Finished: r.Finished, Error: errorText(r.Error), Receipt: r,
		Inputs: fields(r.Inputs), Outputs: fields(r.Outputs),
	}
	if _, err := env.Verify(verifiers); err != nil {
		v.VerifyError = strings.TrimPrefix(err.Error(), "receipts: ")
	} else {
		v.Verified = true
	}
	v.Signatures = signatureRows(env, verifiers)
	v.RunPolicies = policyRows(r.PolicyResults)
	for i := range r.Actions {
		v.Actions = append(v.Actions, actionRow(&r.Actions[i], r.Status == "dry_run"))
	}
	for _, p := range r.Plugins {
		row := PluginRow{Task: p.Task, Digest: p.Digest, ConfigKeys: p.ConfigKeys}
		for _, l := range p.Logs {
			row.Logs = append(row.Logs, l.Level+": "+l.Message)
		}
		v.Plugins = append(v.Plugins, row)
	}
	return v, nil
}

func policyRows(rs []receipts.PolicyResult) []PolicyRow {
	out := make([]PolicyRow, 0, len(rs))
	for _, p := range rs {
		out = append(out, PolicyRow(p))
	}
	return out
}

func actionRow(a *receipts.Action, dryRun bool) ActionRow {
	row := ActionRow{
		Seq: a.Seq, Action: a.Action, Decision: string(a.Decision), Policies: policyRows(a.PolicyResults),
		Facts: fields(a.Facts), Target: fields(a.Target), Result: indentJSON(a.Result), Error: errorText(a.Error),
		AlreadyExisted: a.AlreadyExisted, ArgsDigest: a.ArgsDigest, Started: a.Started, DurationMS: a.DurationMS,
		Approval: a.Approval,
	}
	switch a.Decision {
	case receipts.ActionAllowed:
		switch {
		case dryRun && bytes.Contains(a.Result, []byte(`"planned":true`)):
			row.Effect = "planned (dry run: nothing was done)"
		case a.AlreadyExisted:
			row.Effect = "already in place (nothing changed)"
		case policy.ReadOnly(a.Action):
			row.Effect = "read (nothing changed)"
		default:
			row.Effect = "changed"
		}
	case receipts.ActionDenied:
		row.Reason = actionReason(a)
		row.Effect = "nothing (refused before the connector ran)"
	case receipts.ActionFailed:
		row.Reason = actionReason(a)
		row.Effect = "did not complete (the connector failed or its outcome is unknown)"
	case receipts.ActionHeld:
		row.Reason = actionReason(a)
		row.Effect = "nothing yet (held for a person's approval)"
	}
	return row
}

// signatureRows checks each signature on its own, so that a view can say
// which one failed.
func signatureRows(env *receipts.Envelope, verifiers []receipts.Verifier) []SignatureRow {
	byID := map[string]receipts.Verifier{}
	for _, v := range verifiers {
		byID[v.KeyID()] = v
	}
	out := make([]SignatureRow, 0, len(env.Signatures))
	for _, s := range env.Signatures {
		row := SignatureRow{KeyID: s.KeyID, Alg: s.Alg, State: "unknown key"}
		if v, ok := byID[s.KeyID]; ok && v.Alg() == s.Alg {
			sig, err := base64.StdEncoding.DecodeString(s.Sig)
			if err == nil && v.Verify(env.Body, sig) {
				row.State = "verified"
			} else {
				row.State = "invalid"
			}
		}
		out = append(out, row)
	}
	return out
}

// fields lists an object's members by name, each value as JSON text.
func fields(m map[string]any) []Field {
	out := make([]Field, 0, len(m))
	for k, v := range m {
		s, _ := v.(string)
		out = append(out, Field{Name: k, Value: compactJSON(v), Redacted: s == receipts.Redacted})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// indentJSON re-encodes raw JSON indented, with '<', '>' and '&' as
// themselves (the body escapes them, see the receipts package).
func indentJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return string(raw)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ErrAmbiguous reports a run id prefix that more than one run starts with.
var ErrAmbiguous = errors.New("receiptview: ambiguous run id prefix")
