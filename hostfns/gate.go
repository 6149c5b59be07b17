package hostfns

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/internal/bounds"
	"github.com/enact-run/enact/internal/crashpoint"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// MaxActionsPerRun bounds how many requests one run may make; later ones
// are refused (and counted, not recorded one by one).
const MaxActionsPerRun = 1000

// Config configures a Gate. A zero Config is safe: no policy allows
// nothing, and there are no connectors.
type Config struct {
	// Policy is the operator's policy file: the allowlist, built-in
	// policies and rules.
	Policy *policy.Policy
	// Connectors are the systems actions reach.
	Connectors []Connector
	// Store persists the receipts; required.
	Store receipts.Store
	// Clock gives the time of decisions and records; time.Now when nil.
	// Approval requests are created, and judged expired, by this clock.
	Clock func() time.Time
	// Notify is called with each approval request the gate creates (once
	// a request: not when a retry finds the request already there); nil
	// for none. It is called on the run's path, from any run's goroutine,
	// and must not block: queue the announcement and return.
	Notify func(receipts.ApprovalRequest)
}

// Gate decides and records every action of every run. It is safe for
// concurrent use; each run gets its own Run.
type Gate struct {
	policy  *policy.Policy
	store   receipts.Store
	clock   func() time.Time
	notify  func(receipts.ApprovalRequest)
	actions map[string]*action

	// readyAt is when the store last said it could take a receipt
	// (monotonic nanoseconds since readyEpoch); see Ready.
	readyAt atomic.Int64
}

// readyFor is how long a successful store probe vouches for the store.
const readyFor = 250 * time.Millisecond

var readyEpoch = time.Now()

type action struct {
	id        string
	connector Connector
	spec      ActionSpec
	args      *jsonschema.Schema
}

// New builds a Gate, compiling every action's argument schema.
func New(cfg Config) (*Gate, error) {
	if cfg.Store == nil {
		return nil, errors.New("hostfns: a receipt store is required")
	}
	g := &Gate{policy: cfg.Policy, store: cfg.Store, clock: cfg.Clock, notify: cfg.Notify, actions: map[string]*action{}}
	if g.clock == nil {
		g.clock = time.Now
	}
	for _, c := range cfg.Connectors {
		for _, spec := range c.Actions() {
			id := c.Name() + "." + spec.Name
			if _, dup := g.actions[id]; dup {
				return nil, fmt.Errorf("hostfns: two connectors provide %s", id)
			}
			// Write-only policies tell reads from writes by the action's
			// name; a connector whose names say otherwise would let a
			// write slip past them.
			if policy.ReadOnly(id) == spec.Mutating {
				return nil, fmt.Errorf("hostfns: %s is named like a %s but declared Mutating=%v", id,
					map[bool]string{true: "read", false: "write"}[policy.ReadOnly(id)], spec.Mutating)
			}
			schema, err := compileSchema(id, spec.Args)
			if err != nil {
				return nil, fmt.Errorf("hostfns: %s: argument schema: %w", id, err)
			}
			g.actions[id] = &action{id: id, connector: c, spec: spec, args: schema}
		}
	}
	return g, nil
}

// Actions lists the ids of every action the connectors provide, sorted.
func (g *Gate) Actions() []string {
	ids := make([]string, 0, len(g.actions))
	for id := range g.actions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Mutating reports whether an action changes its system; unknown actions
// count as mutating.
func (g *Gate) Mutating(id string) bool {
	a, ok := g.actions[id]
	return !ok || a.spec.Mutating
}

// Declared returns the actions a capability declares under
// x-enact.actions, the list the grant is computed from:
//
//	x-enact:
//	  actions: [kv.put, github.create_pr]
//
// A composite's are its own and those of every capability its steps run,
// at any depth (sorted, each once): its grant covers the whole flow, while
// each step's own run is granted only what its capability declares. A
// composite whose imports are not resolved fails with
// capabilities.ErrUnresolved.
func Declared(c *capabilities.Capability) ([]string, error) {
	own, err := declaredBy(c)
	if err != nil || c.Type != "composite" {
		return own, err
	}
	if !c.Resolved() {
		return nil, fmt.Errorf("%w: %s", capabilities.ErrUnresolved, c.ID)
	}
	set := map[string]bool{}
	for _, a := range own {
		set[a] = true
	}
	for _, im := range c.Imports {
		sub, err := Declared(c.Imported(im.ID))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", im.ID, err)
		}
		for _, a := range sub {
			set[a] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	slices.Sort(out)
	return out, nil
}

// declaredBy reads a capability's own x-enact.actions.
func declaredBy(c *capabilities.Capability) ([]string, error) {
	ext, ok := c.Extensions["x-enact"]
	if !ok {
		return nil, nil
	}
	m, ok := ext.(map[string]any)
	if !ok {
		return nil, errors.New("x-enact must be a mapping")
	}
	raw, ok := m["actions"]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, errors.New("x-enact.actions must be a list of action ids")
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok || !actionID.MatchString(s) {
			return nil, fmt.Errorf("x-enact.actions[%d]: %v is not an action id like kv.put", i, v)
		}
		out = append(out, s)
	}
	return out, nil
}

// RefusedError describes the actions a capability declares that the runner
// cannot grant: the operator's allowlist does not allow them or no
// connector provides them. Its message is the reason of the "grant" result
// of a run blocked for it.
type RefusedError struct {
	NotAllowed, Unknown []string
}

func (e *RefusedError) Error() string {
	var parts []string
	if len(e.NotAllowed) > 0 {
		parts = append(parts, "not allowed by the policy file: "+strings.Join(e.NotAllowed, ", "))
	}
	if len(e.Unknown) > 0 {
		parts = append(parts, "provided by no configured connector: "+strings.Join(e.Unknown, ", "))
	}
	return "the capability declares actions this runner does not grant (" + strings.Join(parts, "; ") + ")"
}

// NotConfiguredError refuses a run whose capability declares actions the
// policy allows but no connector of this runner provides: a configuration
// error of the runner (a connector's credentials are missing), not a policy
// decision. Nothing ran and no receipt is written; once the operator
// configures the connector, the same request runs.
type NotConfiguredError struct {
	// Actions are the declared actions no connector provides, sorted.
	Actions []string
}

func (e *NotConfiguredError) Error() string {
	return "not_configured: the capability declares actions that no connector of this runner provides: " +
		strings.Join(e.Actions, ", ")
}

// Configured returns a *NotConfiguredError when the capability declares
// actions the policy allows and no connector provides. Actions the policy
// does not allow are left to Begin, which blocks the run for them.
func (g *Gate) Configured(c *capabilities.Capability) error {
	_, refused, err := g.grant(c)
	if err != nil || len(refused.NotAllowed) > 0 || len(refused.Unknown) == 0 {
		return err
	}
	return &NotConfiguredError{Actions: slices.Sorted(slices.Values(refused.Unknown))}
}

// grant divides a capability's declared actions into those granted (the
// policy allows them and a connector provides them) and those refused:
// not allowed by the policy, or allowed and provided by no connector.
func (g *Gate) grant(c *capabilities.Capability) (map[string]bool, *RefusedError, error) {
	declared, err := Declared(c)
	if err != nil {
		return nil, nil, err
	}
	refused := &RefusedError{}
	granted := map[string]bool{}
	ok, notAllowed := policy.Grant(g.policy, declared)
	refused.NotAllowed = notAllowed
	for _, id := range ok {
		if _, known := g.actions[id]; !known {
			refused.Unknown = append(refused.Unknown, id)
			continue
		}
		granted[id] = true
	}
	return granted, refused, nil
}

// RunInfo describes a run about to start.
type RunInfo struct {
	// RunID identifies the run; one is generated when empty.
	RunID      string
	Capability *capabilities.Capability
	Actor      policy.Actor
	Inputs     map[string]any
	// Vars are the capability's environment variables, resolved (see
	// capabilities.Capability.ResolveVars). All are secrets: the run's
	// redactor hides their values everywhere, no_secret_in_args judges
	// every action's arguments against them, and the receipt records their
	// names and a digest only.
	Vars           map[string]any
	IdempotencyKey string
	DryRun         bool
	// Parent links the run of a composite's step to the composite's run;
	// nil otherwise.
	Parent *receipts.Parent
	// Inherited holds the inputs of the composites this run is a step of:
	// their secret members are secret in this run's records too, whatever
	// name the step's inputs give them.
	Inherited map[string]any
	// Bundle is the bundle the capability came in, recorded in the
	// receipt; nil when unknown.
	Bundle *receipts.Bundle
}

// secretScope is what the run's redactor takes secret values from: its
// inputs and those it inherited.
func (info RunInfo) secretScope() map[string]any {
	if info.Inherited == nil {
		return info.Inputs
	}
	return map[string]any{"inputs": info.Inputs, "inherited": info.Inherited}
}

// Run is the gate's view of one run: its grant, the run-level decision,
// and the record of every action. Its Handle is the run's Handler.
type Run struct {
	g       *Gate
	info    RunInfo
	granted map[string]bool
	started time.Time
	pol     policy.Decision
	redact  *receipts.Redactor // the run's secret values, for every record
	// secretVars are the environment variables as text, for the policy.
	secretVars map[string]string

	mu      sync.Mutex
	actions []receipts.Action
	refused int // requests beyond MaxActionsPerRun
	rows    int64
	// held is the first approval request an action of the run was held
	// on, denied the first one whose denial refused an action, approved
	// the last one an action was performed under; halt is the error that
	// ends the run for the first two (see Halt).
	held, denied, approved *receipts.ApprovalRequest
	halt                   *receipts.Error
}

// Begin computes the run's grant (allowlist ∩ declared actions) and the
// run-level policy decision. A capability that declares an action the
// policy does not allow, or that no connector provides, is blocked before
// it runs, with a "grant" result naming the actions. When Blocked reports
// true the run must not start; Finish still records it. The error is for a
// malformed declaration only.
func (g *Gate) Begin(info RunInfo) (*Run, error) {
	granted, refused, err := g.grant(info.Capability)
	if err != nil {
		return nil, err
	}
	if info.RunID == "" {
		info.RunID = NewRunID()
	}
	r := &Run{g: g, info: info, granted: granted, started: g.clock(),
		redact: receipts.NewRedactorWith(info.secretScope(), g.Secrets(), info.Vars), secretVars: capabilities.VarTexts(info.Vars)}
	if len(refused.NotAllowed)+len(refused.Unknown) > 0 {
		r.granted = map[string]bool{}
		r.pol = policy.Decision{Results: []policy.Result{{Policy: "grant", Reason: refused.Error()}}}
		return r, nil
	}
	r.pol = policy.Decide(g.policy, policy.Input{
		Time:       r.started,
		Actor:      info.Actor,
		Capability: r.capabilityRef(),
		Inputs:     info.Inputs,
		DryRun:     info.DryRun,
	})
	return r, nil
}

// Refuse returns a run refused before anything about it was evaluated,
// for a reason the caller found (an untrusted bundle, say): Blocked
// reports true and its receipt's policy results hold one failed result
// named check with the reason. Finish records it; it must not start.
func (g *Gate) Refuse(info RunInfo, check, reason string) *Run {
	if info.RunID == "" {
		info.RunID = NewRunID()
	}
	r := &Run{g: g, info: info, granted: map[string]bool{}, started: g.clock(), redact: g.Redactor(info.Inputs)}
	r.pol = policy.Decision{Results: []policy.Result{{Policy: check, Reason: reason}}}
	return r
}

// Secrets returns the names of the secret inputs (the policy's secrets).
func (g *Gate) Secrets() []string {
	if g.policy == nil {
		return nil
	}
	return g.policy.Secrets()
}

// Redactor returns the redactor of a run with these inputs: the values of
// its secret inputs (see receipts.Redactor).
func (g *Gate) Redactor(inputs map[string]any) *receipts.Redactor {
	return receipts.NewRedactor(inputs, g.Secrets())
}

// Receipt returns the sealed receipt of a run, unverified, whatever its
// actor; enact.Client.Receipt is the read scoped to an actor.
func (g *Gate) Receipt(ctx context.Context, runID string) (*receipts.Envelope, error) {
	return g.store.Get(ctx, runID)
}

// Policy returns the gate's policy (nil when it has none).
func (g *Gate) Policy() *policy.Policy { return g.policy }

// Store returns the gate's receipt store.
func (g *Gate) Store() receipts.Store { return g.store }

// Now is the gate's clock (Config.Clock).
func (g *Gate) Now() time.Time { return g.clock() }

// Approvals returns the store's approval requests, or nil when the store
// keeps none (the directory store).
func (g *Gate) Approvals() receipts.Approvals {
	a, _ := g.store.(receipts.Approvals)
	return a
}

// Check asks the connector of a mutating action, without acting, whether
// the action with these arguments and options (the derived key, the run's
// capability) has taken effect; see Checker. Recovery uses it for actions
// a dead runner left open.
func (g *Gate) Check(ctx context.Context, action string, args json.RawMessage, opts CallOptions) (CheckResult, error) {
	a, ok := g.actions[action]
	if !ok {
		return CheckResult{}, fmt.Errorf("no connector provides %s here", action)
	}
	ch, ok := a.connector.(Checker)
	if !ok {
		return CheckResult{}, fmt.Errorf("connector %s cannot check whether %s took effect", a.connector.Name(), action)
	}
	return ch.Check(ctx, a.spec.Name, args, opts)
}

// Ledger returns the store's run-key ledger and journal, or nil when the
// store has none (the directory store).
func (g *Gate) Ledger() receipts.Ledger {
	l, _ := g.store.(receipts.Ledger)
	return l
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// readyChecker is implemented by receipt stores that can tell, cheaply,
// whether a receipt written now would be persisted.
type readyChecker interface {
	Ready(ctx context.Context) error
}

// Ready reports why the receipt store could not take a receipt now, or nil
// when it can (or cannot tell). Runs should not start when it fails, and
// the gate asks before every write. A successful probe vouches for the
// store for readyFor (250 ms), so a burst of writes pays for one probe;
// the write-ahead journal will make every write's intent durable instead.
func (g *Gate) Ready(ctx context.Context) error {
	rc, ok := g.store.(readyChecker)
	if !ok {
		return nil
	}
	now := int64(time.Since(readyEpoch))
	if last := g.readyAt.Load(); last != 0 && now-last < int64(readyFor) {
		return nil
	}
	if err := rc.Ready(ctx); err != nil {
		g.readyAt.Store(0)
		return fmt.Errorf("the receipt store cannot record this action, so it is not performed: %w", err)
	}
	g.readyAt.Store(now)
	return nil
}

// NewRunID returns a random run id.
func NewRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ID is the run's id.
func (r *Run) ID() string { return r.info.RunID }

// Redactor is the run's redactor: what the receipt, the journal and
// everything said about the run must not show in clear.
func (r *Run) Redactor() *receipts.Redactor { return r.redact }

// Blocked reports whether a run-level policy refused the run.
func (r *Run) Blocked() bool { return !r.pol.Allowed }

// Held reports whether an action of the run was held for a person's
// approval: the run ends PENDING (receipts.DecisionPending), whatever its
// tasks did with the refusal, and its idempotency key is given back for
// the retry. A run in which an approval was denied is not held: it ends
// blocked (see Halt).
func (r *Run) Held() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held != nil && r.denied == nil
}

// Approval returns the approval request that decides how the run ends: the
// denied one that refused an action, else the pending one an action is held
// on, else the last one an action was performed under; nil when no action
// needed an approval.
func (r *Run) Approval() *receipts.ApprovalRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range []*receipts.ApprovalRequest{r.denied, r.held, r.approved} {
		if a != nil {
			cp := *a
			return &cp
		}
	}
	return nil
}

// Halt returns the error that ends the run because of an approval, whether
// or not its tasks handled the refusal: code denied when an approval was
// denied (the run is blocked), approval_required when an action is held
// (the run is pending); nil otherwise.
func (r *Run) Halt() *receipts.Error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.halt == nil {
		return nil
	}
	cp := *r.halt
	return &cp
}

// PolicyResults are the run-level policy results.
func (r *Run) PolicyResults() []policy.Result { return slices.Clone(r.pol.Results) }

// Granted lists the run's granted actions, sorted.
func (r *Run) Granted() []string {
	ids := make([]string, 0, len(r.granted))
	for id := range r.granted {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (r *Run) capabilityRef() policy.CapabilityRef {
	c := r.info.Capability
	return policy.CapabilityRef{ID: c.ID, Version: c.Version, Digest: c.Digest}
}

// Handle implements Handler: one request through the whole gate.
func (r *Run) Handle(ctx context.Context, request []byte) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.actions) >= MaxActionsPerRun {
		r.refused++
		return ErrorReply(CodeDenied, fmt.Sprintf("this run has made %d action requests, the most one run may make", MaxActionsPerRun))
	}
	start := r.g.clock()
	rec := receipts.Action{Seq: int64(len(r.actions) + 1), Started: start, Facts: map[string]any{}}
	reply := r.handle(ctx, request, &rec)
	rec.DurationMS = receipts.Millis(r.g.clock().Sub(start))
	r.actions = append(r.actions, rec)
	return reply
}

func (r *Run) handle(ctx context.Context, request []byte, rec *receipts.Action) []byte {
	deny := func(code, msg string, reasons []policy.Result) []byte {
		rec.Decision = receipts.ActionDenied
		rec.Error = &receipts.Error{Code: code, Message: msg}
		return ErrorReply(code, msg, guestReasons(reasons)...)
	}
	req, err := DecodeRequest(request)
	if err != nil {
		rec.Action = "invalid"
		return deny(CodeInvalidRequest, err.Error(), nil)
	}
	rec.Action = req.Action
	if d, err := receipts.Digest(json.RawMessage(req.Args)); err == nil {
		rec.ArgsDigest = d
	}
	if !r.granted[req.Action] {
		return deny(CodeNotGranted, fmt.Sprintf("action %s is not granted to this run (granted: %s); declare it under x-enact.actions in the capability", req.Action, strings.Join(r.Granted(), ", ")), nil)
	}
	a := r.g.actions[req.Action]
	args, err := decodeArgs(req.Args)
	if err != nil {
		return deny(CodeInvalidArgs, err.Error(), nil)
	}
	if err := a.args.Validate(args); err != nil {
		return deny(CodeInvalidArgs, schemaMessage(err), nil)
	}
	// callArgs are the arguments the policy judges and the connector gets:
	// a Resolver's canonical ones when the connector is one.
	callArgs, target, reply := r.resolve(ctx, a, req.Args, rec)
	if reply != nil {
		return reply
	}
	if target != nil {
		if args, err = decodeArgs(callArgs); err == nil {
			if _, ok := args.(map[string]any); !ok {
				err = errors.New("not a JSON object")
			}
		}
		if err != nil {
			return deny(CodeInvalidArgs, "resolved arguments: "+err.Error(), nil)
		}
	}
	in := policy.Input{
		Time:       r.g.clock(),
		Actor:      r.info.Actor,
		Capability: r.capabilityRef(),
		Inputs:     r.info.Inputs,
		Action:     &policy.Action{ID: req.Action, Args: args.(map[string]any), Target: target},
		Facts:      map[string]any{},
		DryRun:     r.info.DryRun,
		SecretVars: r.secretVars,
	}
	// Rate counts reserved for this action are given back unless it is
	// performed (or at least attempted).
	var reserved []string
	defer func() { r.release(ctx, reserved) }()
	for _, fr := range policy.Requirements(r.g.policy, in) {
		if v, ok := r.fact(ctx, fr, &reserved); ok {
			in.Facts[fr.Name] = v
			rec.Facts[fr.Name] = v
		}
	}
	dec := policy.Decide(r.g.policy, in)
	if !dec.Allowed && dec.Held() {
		// Held for a person's approval: performed only when the request
		// for exactly this action is approved (dec then allows it).
		if reply := r.approve(ctx, req.Action, callArgs, args.(map[string]any), &dec, rec); reply != nil {
			return reply
		}
	}
	rec.PolicyResults = toReceipt(dec.Results)
	if !dec.Allowed {
		var msgs []string
		for _, f := range dec.Failed() {
			msgs = append(msgs, f.Policy+": "+f.Reason)
		}
		return deny(CodeDenied, strings.Join(msgs, "; "), dec.Results)
	}
	if r.info.DryRun && a.spec.Mutating {
		rec.Decision = receipts.ActionAllowed
		rec.Result = json.RawMessage(`{"dry_run":true,"planned":true}`)
		return ResultReply(rec.Result, false)
	}
	key := r.runKey()
	if key == "" {
		key = r.info.RunID
	}
	actionKey := fmt.Sprintf("%s:%d", key, rec.Seq)
	// Fail closed: a write happens only after its intent is durably in
	// the journal (or, for stores without one, after the store says it
	// can take the receipt).
	ledger := r.g.Ledger()
	if a.spec.Mutating {
		crashpoint.Hit(crashpoint.BeforeIntent)
		var err error
		if ledger != nil {
			// The journal keeps the arguments only when they hold no
			// secret value: recovery then reports such an action
			// ambiguous rather than store the secret.
			args := callArgs
			if !bytes.Equal(r.redact.JSON(args), args) {
				args = nil
			}
			err = ledger.Intend(ctx, receipts.Intent{
				Run: receipts.JournalRun{
					RunID:      r.info.RunID,
					Key:        r.runKey(),
					Capability: receipts.Capability{ID: r.info.Capability.ID, Version: r.info.Capability.Version, Digest: r.info.Capability.Digest},
					Actor:      receipts.Actor{Email: r.info.Actor.Email, Roles: r.roles()},
					Started:    r.started,
				},
				Seq: rec.Seq, Action: req.Action, ArgsDigest: rec.ArgsDigest, ActionKey: actionKey, Args: args,
			})
		} else {
			err = r.g.Ready(ctx)
		}
		if err != nil {
			msg := "the action is not performed because it could not be recorded first: " + err.Error()
			rec.Decision = receipts.ActionFailed
			rec.Error = &receipts.Error{Code: CodeUnavailable, Message: msg}
			return ErrorReply(CodeUnavailable, msg)
		}
	}
	if a.spec.Mutating {
		crashpoint.Hit(crashpoint.AfterIntent)
	}
	reserved = nil // the action is attempted: it counts
	out, err := a.connector.Call(ctx, a.spec.Name, callArgs, CallOptions{IdempotencyKey: actionKey, Capability: r.info.Capability.ID})
	if a.spec.Mutating && ledger != nil {
		crashpoint.Hit(crashpoint.AfterAction)
		state, detail := receipts.JournalCompleted, out.Result
		if err != nil {
			state, detail = receipts.JournalFailed, json.RawMessage(strconvQuote(err.Error()))
		}
		// An outcome that cannot be recorded leaves the intent open: a
		// crash now makes the run ambiguous, which is the truth.
		octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bounds.Record())
		_ = ledger.Outcome(octx, r.info.RunID, rec.Seq, state, r.redact.JSON(detail))
		cancel()
		crashpoint.Hit(crashpoint.AfterOutcome)
	}
	if err != nil {
		code, msg := connectorFailure(ctx, err)
		rec.Decision = receipts.ActionFailed
		rec.Error = &receipts.Error{Code: code, Message: msg}
		return ErrorReply(code, msg)
	}
	rec.Decision = receipts.ActionAllowed
	rec.Result = out.Result
	rec.AlreadyExisted = out.AlreadyExisted
	r.rows += rowsAffected(out.Result)
	return ResultReply(out.Result, out.AlreadyExisted)
}

// connectorFailure is the code and message a connector's error gives the
// guest: the connector's own when it says one, timeout when the run's
// deadline passed, connector_error otherwise.
func connectorFailure(ctx context.Context, err error) (code, msg string) {
	var ce *ConnectorError
	if errors.As(err, &ce) {
		return ce.Code, ce.Message
	}
	if ctx.Err() != nil {
		return CodeTimeout, err.Error()
	}
	return CodeConnectorError, err.Error()
}

// resolve runs a Resolver connector's Resolve on the arguments and records
// the target; a refusal or a failed lookup ends the action (reply is then
// the guest's answer), before any policy runs.
func (r *Run) resolve(ctx context.Context, a *action, args []byte, rec *receipts.Action) (json.RawMessage, map[string]any, []byte) {
	rv, ok := a.connector.(Resolver)
	if !ok {
		return args, nil, nil
	}
	res, err := rv.Resolve(ctx, a.spec.Name, args)
	if err == nil && (len(res.Args) == 0 || res.Target == nil) {
		err = fmt.Errorf("connector %s resolved the arguments to nothing", a.connector.Name())
	}
	if err != nil {
		code, msg := connectorFailure(ctx, err)
		// A name that reaches nothing allowed is a refusal; a lookup
		// that could not be made is a failure.
		rec.Decision = receipts.ActionFailed
		if code == CodeInvalidArgs || code == CodeNotFound {
			rec.Decision = receipts.ActionDenied
		}
		msg = "resolving the names in the arguments: " + msg
		rec.Error = &receipts.Error{Code: code, Message: msg}
		return nil, nil, ErrorReply(code, msg)
	}
	rec.Target = res.Target
	return res.Args, res.Target, nil
}

// fact performs one lookup a policy asked for. Lookups through a
// connector must be read-only; a failed lookup leaves the fact absent, and
// the policy that needed it fails closed.
func (r *Run) fact(ctx context.Context, fr policy.FactRequest, reserved *[]string) (any, bool) {
	if fr.Action == "" {
		switch {
		case fr.Name == "run.rows_written":
			return r.rows, true
		case strings.HasPrefix(fr.Name, policy.RateFactPrefix):
			return r.rate(ctx, fr, reserved)
		}
		return nil, false
	}
	a, ok := r.g.actions[fr.Action]
	if !ok || a.spec.Mutating {
		return nil, false
	}
	args, err := json.Marshal(fr.Args)
	if err != nil {
		return nil, false
	}
	out, err := a.connector.Call(ctx, a.spec.Name, args, CallOptions{Capability: r.info.Capability.ID})
	if err != nil {
		var ce *ConnectorError
		if errors.As(err, &ce) && ce.Code == CodeNotFound {
			return nil, true // looked up, nothing there
		}
		return nil, false
	}
	v, err := decodeArgs(out.Result)
	if err != nil {
		return nil, false
	}
	return v, true
}

// rate counts this action under a rate-limit policy's counter in the
// store (shared by every runner) and returns the count in the window, this
// action included; the reservation is given back by release unless the
// action goes ahead. A store without counters, or one that cannot count
// now, leaves the fact absent, and the policy fails closed.
func (r *Run) rate(ctx context.Context, fr policy.FactRequest, reserved *[]string) (any, bool) {
	counters, ok := r.g.store.(receipts.Counters)
	if !ok {
		return nil, false
	}
	var seconds int64
	switch w := fr.Args["window_seconds"].(type) {
	case int64:
		seconds = w
	case int:
		seconds = int64(w)
	case float64:
		seconds = int64(w)
	}
	if seconds <= 0 {
		return nil, false
	}
	n, token, err := counters.Reserve(ctx, fr.Name, time.Duration(seconds)*time.Second)
	if err != nil {
		return nil, false
	}
	*reserved = append(*reserved, token)
	return n, true
}

// release gives back counter reservations of an action that did not go
// ahead.
func (r *Run) release(ctx context.Context, tokens []string) {
	if len(tokens) == 0 {
		return
	}
	counters := r.g.store.(receipts.Counters)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bounds.Record())
	defer cancel()
	for _, t := range tokens {
		_ = counters.Release(rctx, t)
	}
}

// RunOutcome is how a run ended, for its receipt.
type RunOutcome struct {
	Outputs map[string]any
	// Err is the run's failure, nil when it passed.
	Err     *receipts.Error
	Plugins []receipts.Plugin
	// Status overrides the receipt status ("completed", "blocked",
	// "failed", "dry_run" by default).
	Status string
	// Steps are a composite run's steps.
	Steps []receipts.Step
	// Decision overrides the receipt's decision (computed from the run's
	// grant and Err by default): DecisionPending for a run that stopped at
	// an action held for approval (status "pending_approval" by default),
	// DecisionBlock for one an approval's denial refused.
	Decision receipts.Decision
}

// Finish seals and stores the run's receipt.
func (r *Run) Finish(ctx context.Context, o RunOutcome) (*receipts.Envelope, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	finished := r.g.clock()
	rc := &receipts.Receipt{
		RunID:          r.info.RunID,
		Capability:     receipts.Capability{ID: r.info.Capability.ID, Version: r.info.Capability.Version, Digest: r.info.Capability.Digest, Bundle: r.info.Bundle},
		Actor:          receipts.Actor{Email: r.info.Actor.Email, Roles: r.roles()},
		Inputs:         receipts.Redact(r.info.Inputs, r.secrets()),
		Vars:           varsRecord(r.info.Vars),
		PolicyDigest:   r.policyDigest(),
		PolicyResults:  toReceipt(r.pol.Results),
		Actions:        slices.Clone(r.actions),
		Plugins:        o.Plugins,
		IdempotencyKey: r.info.IdempotencyKey,
		Outputs:        o.Outputs,
		Error:          o.Err,
		Started:        r.started,
		Finished:       finished,
		DurationMS:     receipts.Millis(finished.Sub(r.started)),
		Status:         o.Status,
		Steps:          o.Steps,
		Parent:         r.info.Parent,
	}
	switch {
	case o.Decision != "":
		rc.Decision = o.Decision
	case r.Blocked():
		rc.Decision = receipts.DecisionBlock
	case o.Err != nil:
		rc.Decision = receipts.DecisionFailed
	default:
		rc.Decision = receipts.DecisionPass
	}
	if rc.Status == "" {
		switch {
		case rc.Decision == receipts.DecisionPending:
			rc.Status = "pending_approval"
		case rc.Decision == receipts.DecisionBlock:
			rc.Status = "blocked"
		case rc.Decision == receipts.DecisionFailed:
			rc.Status = "failed"
		case r.info.DryRun:
			rc.Status = "dry_run"
		default:
			rc.Status = "completed"
		}
	}
	if r.refused > 0 {
		rc.Actions = append(rc.Actions, receipts.Action{
			Seq: int64(len(rc.Actions) + 1), Action: "refused", Decision: receipts.ActionDenied,
			Error: &receipts.Error{Code: CodeDenied, Message: fmt.Sprintf("%d further requests beyond the %d a run may make", r.refused, MaxActionsPerRun)},
		})
	}
	r.redact.Receipt(rc)
	return r.g.store.Append(ctx, rc)
}

// runKey is the run's idempotency key as the ledger names it (RunKey),
// or "" when the run has none.
func (r *Run) runKey() string {
	if r.info.IdempotencyKey == "" {
		return ""
	}
	return RunKey(r.info.Actor.Email, r.info.IdempotencyKey)
}

func (r *Run) roles() []string {
	if r.g.policy == nil {
		return r.info.Actor.Roles
	}
	return r.g.policy.Roles(r.info.Actor.Email)
}

func (r *Run) secrets() []string { return r.g.Secrets() }

func (r *Run) policyDigest() string {
	if r.g.policy == nil {
		return ""
	}
	return r.g.policy.Digest()
}

func toReceipt(rs []policy.Result) []receipts.PolicyResult {
	out := make([]receipts.PolicyResult, 0, len(rs))
	for _, x := range rs {
		out = append(out, receipts.PolicyResult{Policy: x.Policy, Passed: x.Passed, Reason: x.Reason})
	}
	return out
}

func guestReasons(rs []policy.Result) []PolicyReason {
	out := make([]PolicyReason, 0, len(rs))
	for _, x := range rs {
		out = append(out, PolicyReason{Policy: x.Policy, Passed: x.Passed, Reason: x.Reason})
	}
	return out
}

// decodeArgs decodes JSON keeping numbers exact (json.Number).
func decodeArgs(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if tooDeep(v, 0) {
		return nil, fmt.Errorf("arguments: nested deeper than %d levels (the limit, MaxArgsDepth)", MaxArgsDepth)
	}
	return v, nil
}

// tooDeep says whether v nests objects and arrays deeper than MaxArgsDepth
// below depth.
func tooDeep(v any, depth int) bool {
	if depth > MaxArgsDepth {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if tooDeep(e, depth+1) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if tooDeep(e, depth+1) {
				return true
			}
		}
	}
	return false
}

// rowsAffected reads the row count a database action reports, for the
// run.rows_written fact.
func rowsAffected(result json.RawMessage) int64 {
	var r struct {
		RowsAffected int64 `json:"rows_affected"`
	}
	_ = json.Unmarshal(result, &r)
	return r.RowsAffected
}

var printer = message.NewPrinter(language.English)

func compileSchema(name string, schema json.RawMessage) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(name+".json", v); err != nil {
		return nil, err
	}
	return c.Compile(name + ".json")
}

// schemaMessage flattens a validation error into one line per cause,
// each with the JSON pointer of the offending argument.
func schemaMessage(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var lines []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			lines = append(lines, "/"+strings.Join(e.InstanceLocation, "/")+": "+e.ErrorKind.LocalizedString(printer))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return "arguments: " + strings.Join(lines, "; ")
}

// varsRecord is what a receipt says of a run's environment variables:
// their names and the digest of their values.
func varsRecord(vars map[string]any) *receipts.Vars {
	if len(vars) == 0 {
		return nil
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.Sort(names)
	d, err := receipts.Digest(vars)
	if err != nil {
		d = ""
	}
	return &receipts.Vars{Names: names, Digest: d}
}
