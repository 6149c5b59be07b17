// Package enact runs Enact Protocol capabilities in a WebAssembly sandbox
// behind a policy gate, and records every run in a signed, hash-chained
// receipt. It is the API for Go programs that embed Enact; the enact-run
// command is built on it.
//
//	client, err := enact.Open(enact.Config{Policy: p, Connectors: conns, Store: store})
//	defer client.Close(ctx)
//	res, err := client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, Actor: policy.Actor{Email: "agent@acme.com"}, IdempotencyKey: "order-42"})
//
// Retries with the same IdempotencyKey replay the first run's result;
// Recover reconciles runs a crashed runner left unfinished.
//
// An action a policy holds for a person's approval (require_approval)
// stops the run: its Result has Status PENDING and Approval names the
// request, and its key is free. A person decides with Decide (any client
// over the same store: another runner, the CLI, the HTTP API); the agent's
// retry with the same key and inputs then performs the held action, once,
// or ends BLOCK with the denial.
package enact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/bounds"
	"github.com/enact-run/enact/internal/crashpoint"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// Statuses of a run, as the CLI contract names them.
const (
	StatusPass   = "PASS"
	StatusBlock  = "BLOCK"
	StatusFailed = "FAILED"
)

// Client runs capabilities: an engine for the sandbox and a gate for the
// actions. It is safe for concurrent use.
type Client struct {
	engine    *runtime.Engine
	gate      *hostfns.Gate
	retention time.Duration
	// handedBack are runs of this client whose receipt or key could not
	// be written and that the store could not be told about either; the
	// next Recover hands them over (see handBack).
	handedBack sync.Map // run id → struct{}
	owned      bool     // the engine is the client's (Open)
	vars       VarSource
}

// Option configures a Client.
type Option func(*Client)

// WithKeyRetention sets how long idempotency keys are remembered
// (KeyRetention by default): a key older than this is free again, and
// Prune forgets it.
func WithKeyRetention(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.retention = d
		}
	}
}

// WithVars sets where the client finds the operator's values of the
// environment variables capabilities declare (env.vars); without it a
// capability that requires one cannot run.
func WithVars(s VarSource) Option {
	return func(c *Client) { c.vars = s }
}

// Config is what Open builds a client from.
type Config struct {
	// Policy is the operator's policy; nil allows no action at all.
	Policy *policy.Policy
	// Connectors are the systems actions reach (hostfns/kv,
	// hostfns/postgres, hostfns/github, hostfns/hubspot, or your own).
	Connectors []hostfns.Connector
	// Store keeps the receipts, and, for the SQLite and Postgres stores,
	// the idempotency keys, the journal and the rate counts; required.
	Store receipts.Store
	// Runtime configures the sandbox; the zero value runs every task in a
	// fresh instance with an in-memory compilation cache.
	Runtime runtime.Config
	// KeyRetention is how long idempotency keys are remembered;
	// KeyRetention (24 h) when zero.
	KeyRetention time.Duration
	// Vars supplies the operator's values of capabilities' environment
	// variables; nil supplies none.
	Vars VarSource
	// Notify is told of each new approval request (hostfns.Config.Notify);
	// it must not block. nil tells no one.
	Notify func(receipts.ApprovalRequest)
}

// Open builds a client from connectors, a policy and a store: the sandbox
// engine, the gate and the client. Close releases the engine; the store
// and the connectors stay the caller's.
func Open(cfg Config) (*Client, error) {
	gate, err := hostfns.New(hostfns.Config{Policy: cfg.Policy, Connectors: cfg.Connectors, Store: cfg.Store, Notify: cfg.Notify})
	if err != nil {
		return nil, err
	}
	engine, err := runtime.New(cfg.Runtime)
	if err != nil {
		return nil, err
	}
	c := New(engine, gate, WithKeyRetention(cfg.KeyRetention), WithVars(cfg.Vars))
	c.owned = true
	return c, nil
}

// Close releases what Open created (the engine); for a client from New it
// does nothing, the engine being the caller's.
func (c *Client) Close(ctx context.Context) error {
	if !c.owned {
		return nil
	}
	return c.engine.Close(ctx)
}

// New returns a client over an engine and a gate.
func New(engine *runtime.Engine, gate *hostfns.Gate, opts ...Option) *Client {
	c := &Client{engine: engine, gate: gate, retention: KeyRetention}
	for _, o := range opts {
		o(c)
	}
	return c
}

// KeyRetention returns how long this client's idempotency keys are
// remembered.
func (c *Client) KeyRetention() time.Duration { return c.retention }

// Prune forgets idempotency keys older than the key retention, and the
// journal of sealed runs as old; receipts are kept. It returns how many
// records went.
func (c *Client) Prune(ctx context.Context) (int64, error) {
	ledger := c.gate.Ledger()
	if ledger == nil {
		return 0, nil
	}
	return ledger.Prune(ctx, c.retention)
}

// RunRequest is one run to perform.
type RunRequest struct {
	Capability *capabilities.Capability
	Inputs     map[string]any
	// InputsJSON, when set, is the JSON text Inputs was decoded from; only
	// its key order is used: the tasks see their inputs' keys in that order
	// (see runtime.KeyOrder). Without it the keys reach the tasks sorted.
	InputsJSON     []byte
	Actor          policy.Actor
	IdempotencyKey string
	// DryRun performs reads, and checks and records writes without
	// performing them.
	DryRun bool

	// parent is set on the run of a composite's step, and inherited
	// holds the inputs of its composites (for redaction).
	parent    *receipts.Parent
	inherited map[string]any
	// Bundle is the bundle the capability came in (digest, signer,
	// registry reference), recorded in the receipt; nil when unknown.
	Bundle *receipts.Bundle
}

// Result is what a run produced. A run that was refused or failed is a
// Result with Status BLOCK or FAILED and Error set, not a Go error; the Go
// error of Run is reserved for requests that could not be run at all
// (invalid inputs, plugins that fail their checks, actions the runner does
// not grant) and for failures of the runner itself.
type Result struct {
	Status  string
	Outputs map[string]any
	// Output is what the tasks printed (bounded).
	Output          string
	OutputTruncated bool
	// Error says why a run was blocked or failed.
	Error *runtime.Error
	// RunID identifies the run and its receipt.
	RunID string
	// Receipt is the sealed receipt of the run.
	Receipt *receipts.Envelope
	// Run is the sandbox's own account (tasks, timings, limits); nil when
	// the run was blocked before the sandbox started, or replayed.
	Run *runtime.Result
	// Replayed says the result is the stored outcome of an earlier run
	// with the same idempotency key: nothing executed this time.
	Replayed bool
	// Steps are a composite run's steps, in document order: each one's
	// status and, when it ran, its own run id and receipt hash.
	Steps []receipts.Step
	// Flow is a composite's own account (each step's status, outputs and
	// duration, the flow's bound); nil for an atomic capability, or when
	// the run was blocked or replayed.
	Flow *runtime.FlowResult
	// Approval is the request that holds the run (status PENDING), or
	// that a held action was performed under; nil otherwise.
	Approval *receipts.ApprovalRequest
}

// KeyRetention is how long a run key is remembered by default; see
// WithKeyRetention.
const KeyRetention = 24 * time.Hour

// IdempotencyError refuses a run because of its idempotency key: the key
// belongs to another request (idempotency_mismatch), to a run still in
// flight (in_progress), or to a run that died mid-action (ambiguous).
// Nothing ran. Keys are per actor (hostfns.RunKey), so the key and the run
// named are always the caller's own: another actor's use of the same key
// neither refuses this run nor shows in it.
type IdempotencyError struct {
	Code string
	// RunID is the caller's earlier run that holds the key.
	RunID   string
	Message string
}

func (e *IdempotencyError) Error() string { return e.Code + ": " + e.Message }

// storedResult is what a run key keeps of a finished run.
type storedResult struct {
	Status  string          `json:"status"`
	Outputs map[string]any  `json:"outputs"`
	Output  string          `json:"output"`
	Error   *runtime.Error  `json:"error,omitempty"`
	Steps   []receipts.Step `json:"steps,omitempty"`
	// Approval is the request an action of the run was performed under.
	Approval *receipts.ApprovalRequest `json:"approval,omitempty"`
}

// Run validates the request, asks the gate for the run-level decision,
// runs the capability with the gate answering its action requests, and
// seals the receipt.
func (c *Client) Run(ctx context.Context, req RunRequest) (*Result, error) {
	if req.Capability == nil {
		return nil, errors.New("enact: no capability")
	}
	if !req.Capability.Resolved() {
		// A composite given unresolved finds its imports next to it and
		// in the shipped set.
		rc, err := (&capabilities.Resolver{}).Resolve(req.Capability)
		if err != nil {
			return nil, &runtime.Error{Code: runtime.CodeInvalidInput, Message: err.Error()}
		}
		req.Capability = rc
	}
	in, err := c.engine.ValidateInputs(ctx, req.Capability, orEmpty(req.Inputs))
	if err != nil {
		var re *runtime.Error
		if !errors.As(err, &re) || re.Code != runtime.CodeInvalidInput {
			return nil, err
		}
		// An invalid secret is described, never echoed; the redactor
		// catches a secret value anywhere else in the message.
		msg := re.Message
		if cause := errors.Unwrap(re); cause != nil {
			msg = capabilities.WithoutValues(cause, c.gate.Secrets()).Error()
		}
		return nil, &runtime.Error{Code: runtime.CodeInvalidInput, Message: c.gate.Redactor(secretScope(req.Inputs, req.inherited)).String(msg)}
	}
	if err := c.engine.Check(req.Capability); err != nil {
		return nil, err
	}
	// A connector the runner lacks is the operator's to configure: the
	// run is refused before it takes its idempotency key, so a retry after
	// the fix runs.
	if err := c.gate.Configured(req.Capability); err != nil {
		return nil, err
	}
	vars, err := c.resolveVars(ctx, req.Capability)
	if err != nil {
		return nil, err
	}
	// Fail closed: a run whose receipt could not be stored does not start.
	// The store calls before the run are bounded like the records after.
	pctx, cancel := context.WithTimeout(ctx, bounds.Record())
	defer cancel()
	if err := c.gate.Ready(pctx); err != nil {
		return nil, err
	}
	runID := hostfns.NewRunID()
	if req.IdempotencyKey != "" {
		res, err := c.claim(pctx, req, in, runID)
		if res != nil || err != nil {
			return res, err
		}
	}
	run, err := c.gate.Begin(hostfns.RunInfo{
		RunID:          runID,
		Capability:     req.Capability,
		Actor:          req.Actor,
		Inputs:         in,
		Vars:           vars,
		IdempotencyKey: req.IdempotencyKey,
		DryRun:         req.DryRun,
		Parent:         req.parent,
		Inherited:      req.inherited,
		Bundle:         req.Bundle,
	})
	if err != nil {
		return nil, err
	}
	res := &Result{RunID: run.ID()}
	var outcome hostfns.RunOutcome
	if run.Blocked() {
		res.Status = StatusBlock
		msg := "a run-level policy refused the run"
		for _, r := range run.PolicyResults() {
			if !r.Passed {
				msg = r.Policy + ": " + r.Reason
				break
			}
		}
		res.Error = &runtime.Error{Code: hostfns.CodeDenied, Message: msg}
		outcome.Err = &receipts.Error{Code: hostfns.CodeDenied, Message: msg}
	} else if req.Capability.Type == "composite" {
		c.runComposite(ctx, req, in, run, res, &outcome)
	} else {
		rr, err := c.engine.Execute(ctx, req.Capability, runtime.RunSpec{
			Inputs: in, Order: runtime.KeyOrderOf(req.InputsJSON), Vars: vars, Host: run,
		})
		res.Run = rr
		if rr != nil {
			res.Output, res.OutputTruncated = rr.Output, rr.OutputTruncated
			red := run.Redactor()
			for _, t := range rr.Tasks {
				p := receipts.Plugin{Task: t.ID, Digest: t.Plugin, ConfigKeys: t.ConfigKeys, ConfigDigest: t.ConfigDigest}
				for _, l := range rr.Logs {
					if l.Task == t.ID {
						p.Logs = append(p.Logs, receipts.Log{Level: l.Level, Message: red.String(l.Message)})
					}
				}
				outcome.Plugins = append(outcome.Plugins, p)
			}
		}
		var outputs map[string]any
		if rr != nil {
			outputs = rr.Outputs
		}
		settle(res, &outcome, outputs, err)
		settleApproval(run, res, &outcome)
	}
	// Nothing the run says leaves in clear: the result, the stored result
	// of its key, and (in Finish) the receipt are redacted.
	red := run.Redactor()
	redactResult(red, res)
	// The records of a finished run outlive the caller's deadline, within
	// the store's own bound.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bounds.Record())
	defer cancel()
	env, err := run.Finish(rctx, outcome)
	if err != nil {
		c.handBack(runID)
		return res, redactError(red, fmt.Errorf("enact: the run finished but its receipt could not be stored: %w", err))
	}
	res.Receipt = env
	crashpoint.Hit(crashpoint.AfterReceipt)
	if req.IdempotencyKey != "" {
		key := hostfns.RunKey(req.Actor.Email, req.IdempotencyKey)
		// BLOCK (refused before any task ran, or by an approval's
		// denial): the key is given back, and a retry is judged afresh (by
		// the policy and the approvals in effect then) rather than
		// replaying this refusal. A run held for approval leaves its key
		// free too: the retry asks again, and performs the action once the
		// request is approved. So do a composite that did not pass, and a
		// step of one: the retry replays the steps that passed and runs
		// the rest again.
		if res.Status == StatusBlock || res.Status == StatusPending ||
			(res.Status != StatusPass && (req.parent != nil || req.Capability.Type == "composite")) {
			if err := c.gate.Ledger().ReleaseKey(rctx, key, runID); err != nil {
				c.handBack(runID)
				return res, redactError(red, fmt.Errorf("enact: the run finished but its idempotency key could not be released: %w", err))
			}
			return res, nil
		}
		stored, _ := json.Marshal(storedResult{Status: res.Status, Outputs: res.Outputs, Output: res.Output, Error: res.Error, Steps: res.Steps, Approval: res.Approval})
		if err := c.gate.Ledger().FinishKey(rctx, key, runID, stored); err != nil {
			c.handBack(runID)
			return res, redactError(red, fmt.Errorf("enact: the run finished but its idempotency key could not be closed: %w", err))
		}
	}
	return res, nil
}

// Refusal is a run refused before it could start, for a reason found
// outside the policy file: a bundle that is unsigned, signed by an
// untrusted key, or does not match its digest or its lock.
type Refusal struct {
	// Capability is what was asked for; when the capability could not be
	// trusted enough to load, a stand-in whose ID names the reference.
	Capability *capabilities.Capability
	Actor      policy.Actor
	Bundle     *receipts.Bundle
	// Check names what refused ("bundle_trust"), Code is the stable
	// error code and Reason says what was wrong.
	Check, Code, Reason string
}

// Refuse seals the receipt of a refused run: decision BLOCK, status
// "refused", one failed policy result named Check, the error Code and
// Reason. Nothing runs.
func (c *Client) Refuse(ctx context.Context, r Refusal) (*Result, error) {
	if r.Capability == nil {
		return nil, errors.New("enact: no capability")
	}
	run := c.gate.Refuse(hostfns.RunInfo{Capability: r.Capability, Actor: r.Actor, Inputs: map[string]any{}, Bundle: r.Bundle}, r.Check, r.Reason)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bounds.Record())
	defer cancel()
	env, err := run.Finish(rctx, hostfns.RunOutcome{Err: &receipts.Error{Code: r.Code, Message: r.Reason}, Status: "refused"})
	res := &Result{Status: StatusBlock, RunID: run.ID(), Error: &runtime.Error{Code: r.Code, Message: r.Reason}, Receipt: env}
	if err != nil {
		return res, fmt.Errorf("enact: the refusal's receipt could not be stored: %w", err)
	}
	return res, nil
}

// claim takes the request's idempotency key for runID. It returns a
// replayed result, or an *IdempotencyError, or (nil, nil) when the run may
// go ahead.
func (c *Client) claim(ctx context.Context, req RunRequest, in map[string]any, runID string) (*Result, error) {
	ledger := c.gate.Ledger()
	if ledger == nil {
		return nil, errors.New("enact: idempotency keys need a receipt store with a ledger (the SQLite or Postgres store)")
	}
	digest, err := receipts.Digest(map[string]any{
		"capability": req.Capability.Digest, "inputs": in, "actor": req.Actor.Email, "dry_run": req.DryRun,
	})
	if err != nil {
		return nil, err
	}
	// A run of ours that could not be closed is not in flight: say so
	// first, or its key would be refused as in_progress.
	_ = c.flushHandedBack(ctx, ledger)
	// The ledger holds the key under the actor's name: another actor's
	// key of the same spelling is another key.
	cl, err := ledger.ClaimKey(ctx, hostfns.RunKey(req.Actor.Email, req.IdempotencyKey), digest, runID, c.retention)
	if err != nil {
		return nil, fmt.Errorf("enact: the idempotency ledger cannot be written, so nothing runs: %w", err)
	}
	switch cl.State {
	case receipts.ClaimNew:
		return nil, nil
	case receipts.ClaimReplay:
		var stored storedResult
		// Numbers stay json.Number, as a live run's outputs are.
		dec := json.NewDecoder(bytes.NewReader(cl.Result))
		dec.UseNumber()
		if err := dec.Decode(&stored); err != nil {
			return nil, fmt.Errorf("enact: stored result of run %s: %w", cl.RunID, err)
		}
		res := &Result{Status: stored.Status, Outputs: stored.Outputs, Output: stored.Output, Error: stored.Error, RunID: cl.RunID, Replayed: true, Steps: stored.Steps, Approval: stored.Approval}
		redactResult(c.gate.Redactor(secretScope(in, req.inherited)), res)
		if env, err := c.gate.Receipt(ctx, cl.RunID); err == nil {
			res.Receipt = env
		}
		return res, nil
	}
	return nil, &IdempotencyError{Code: cl.State, RunID: cl.RunID, Message: cl.Reason}
}

// secretScope is what a run's redactor takes secret values from: its
// inputs and those of the composites it is a step of.
func secretScope(inputs, inherited map[string]any) map[string]any {
	if inherited == nil {
		return inputs
	}
	return map[string]any{"inputs": inputs, "inherited": inherited}
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// redactResult redacts, in place, what a result says that the run saw:
// outputs, printed output, the error's message and trace. An error whose
// text changed loses its cause, which may quote the secret too.
func redactResult(red *receipts.Redactor, res *Result) {
	res.Outputs = red.Map(res.Outputs)
	res.Output = red.String(res.Output)
	if e := res.Error; e != nil {
		msg, trace := red.String(e.Message), red.String(e.Trace)
		if msg != e.Message || trace != e.Trace {
			res.Error = &runtime.Error{Code: e.Code, Task: e.Task, Message: msg, Trace: trace}
		}
	}
	if rr := res.Run; rr != nil {
		cp := *rr
		cp.Outputs, cp.Output = red.Map(rr.Outputs), red.String(rr.Output)
		cp.Logs = make([]runtime.LogEntry, len(rr.Logs))
		for i, l := range rr.Logs {
			l.Message = red.String(l.Message)
			cp.Logs[i] = l
		}
		res.Run = &cp
	}
}

// redactError returns err, or, when its text shows a secret value, an
// error of the redacted text.
func redactError(red *receipts.Redactor, err error) error {
	if msg := red.String(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// LogPlugins passes what the run's prebuilt plugins logged to a server's
// log, at the matching level (trace counts as debug), naming the
// capability, the task and the run. A nil result logs nothing.
func (r *Result) LogPlugins(ctx context.Context, log *slog.Logger, capability string) {
	if r == nil || r.Run == nil {
		return
	}
	for _, l := range r.Run.Logs {
		level := slog.LevelInfo
		switch l.Level {
		case "trace", "debug":
			level = slog.LevelDebug
		case "warn":
			level = slog.LevelWarn
		case "error":
			level = slog.LevelError
		}
		log.Log(ctx, level, "plugin log: "+l.Message, "capability", capability, "task", l.Task, "run_id", r.RunID)
	}
}

// settle sets the status of a run that ran from how it ended: PASS with its
// outputs, or FAILED with its error (a *runtime.Error as it is, any other
// as internal), in the result and in the receipt's outcome alike.
func settle(res *Result, outcome *hostfns.RunOutcome, outputs map[string]any, err error) {
	var re *runtime.Error
	switch {
	case err == nil:
		res.Status, res.Outputs, outcome.Outputs = StatusPass, outputs, outputs
	case errors.As(err, &re):
		res.Status, res.Error = StatusFailed, re
		outcome.Err = &receipts.Error{Code: re.Code, Message: re.Message}
	default:
		res.Status = StatusFailed
		res.Error = &runtime.Error{Code: "internal", Message: err.Error()}
		outcome.Err = &receipts.Error{Code: "internal", Message: err.Error()}
	}
}

// settleApproval ends a run an approval decided: PENDING when an action is
// held for one (approval_required, naming the request), BLOCK when one was
// denied (denied, naming who denied it), whatever the tasks did with the
// refusal; the run's outputs are dropped, as for any run that did not
// pass. It also links the result to the request an action was performed
// under.
func settleApproval(run *hostfns.Run, res *Result, outcome *hostfns.RunOutcome) {
	res.Approval = run.Approval()
	h := run.Halt()
	if h == nil {
		return
	}
	res.Status, outcome.Decision = StatusBlock, receipts.DecisionBlock
	if h.Code == hostfns.CodeApprovalRequired {
		res.Status, outcome.Decision = StatusPending, receipts.DecisionPending
	}
	res.Error = &runtime.Error{Code: h.Code, Message: h.Message}
	outcome.Err = h
	res.Outputs, outcome.Outputs = nil, nil
}
