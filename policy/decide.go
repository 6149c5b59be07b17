package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Input is everything a decision may depend on. Decide reads nothing else:
// the clock is Time, the state of the outside world is Facts.
//
// Action nil asks for a run-level decision (before anything runs: actor,
// capability, inputs); otherwise the decision is about that one action.
//
// Values in Inputs, Action.Args and Facts are JSON-like: nil, bool, string,
// numbers (any Go integer or float type, or json.Number), []any and
// map[string]any (other slice and string-keyed map types are accepted too).
// Input is decoded from JSON with encoding/json (the field names are those
// of the JSON tags).
type Input struct {
	// Time is the instant of the decision; time-based policies fail when it
	// is the zero time.
	Time       time.Time      `json:"time,omitzero"`
	Actor      Actor          `json:"actor"`
	Capability CapabilityRef  `json:"capability"`
	Inputs     map[string]any `json:"inputs,omitempty"`
	Action     *Action        `json:"action,omitempty"`
	// Facts holds the results of the lookups Requirements asked for, by
	// FactRequest.Name. A fact present with a nil value is a lookup that
	// found nothing; an absent fact was not looked up.
	Facts  map[string]any `json:"facts,omitempty"`
	DryRun bool           `json:"dry_run,omitempty"`
	// SecretVars are the run's environment variables as text, by name
	// (all are secrets): no_secret_in_args refuses an action whose
	// arguments carry one. Rules never see them.
	SecretVars map[string]string `json:"secret_vars,omitempty"`
}

// Actor is who asks. Roles given here are merged with the roles the policy
// file's actors section gives the email.
type Actor struct {
	Email string   `json:"email"`
	Roles []string `json:"roles,omitempty"`
}

// CapabilityRef names the capability being run.
type CapabilityRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// Action is one connector action a capability asks for: ID is
// "system.action" ("github.create_branch"), Args its JSON arguments.
type Action struct {
	ID   string         `json:"id"`
	Args map[string]any `json:"args,omitempty"`
	// Target describes the objects the arguments name, as the connector
	// resolved them before the decision (nil when it resolves nothing):
	// for postgres.* actions table, schema, name and columns (see the
	// package doc). Rules see it as action.target.
	Target map[string]any `json:"target,omitempty"`
}

// Decision is the outcome of Decide: Allowed is true exactly when every
// result passed. Results lists every policy evaluated, in a fixed order:
// the allowlist check (action-level decisions only), then the built-in
// policies in file order, then the rules in file order. Policies whose scope
// does not cover the action, and rules whose when is false, are not listed.
type Decision struct {
	Allowed bool     `json:"allowed"`
	Results []Result `json:"results"`
}

// Result is one policy's verdict with a human reason (the seed's
// PolicyResult). Policy is the name of the policy entry or rule, or
// "allowlist".
type Result struct {
	Policy string `json:"policy"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
	// Approval is set on a failed result of an approval policy: the
	// action may proceed once a person approves it (see Decision.Held).
	Approval *Approval `json:"approval,omitempty"`
}

// Failed returns the results that did not pass.
func (d Decision) Failed() []Result {
	var out []Result
	for _, r := range d.Results {
		if !r.Passed {
			out = append(out, r)
		}
	}
	return out
}

// allowlistPolicy is the Result.Policy of the allowlist check.
const allowlistPolicy = "allowlist"

// Decide evaluates the policy for one run-level or action-level input. It
// is pure and deterministic: the same policy and input give the same
// Decision, and it performs no I/O and reads no clock. A failure to
// evaluate (a missing fact, a CEL evaluation error, an argument of the
// wrong type) is a failed Result, never a panic or an error: Decide fails
// closed. A nil policy denies everything.
func Decide(p *Policy, in Input) Decision {
	if p == nil {
		return Decision{Results: []Result{{Policy: "policy", Reason: "No policy file is loaded; nothing is allowed"}}}
	}
	return decide(p, &in)
}

func decide(p *Policy, in *Input) (dec Decision) {
	defer func() {
		// A panic here is a bug in this package; it must not let an action
		// through nor bring the host down.
		if r := recover(); r != nil {
			dec = Decision{Results: []Result{{Policy: "policy", Reason: fmt.Sprintf("Internal error in the policy engine (%v); failing closed", r)}}}
		}
	}()
	c := newEvalCtx(p, in)
	results := make([]Result, 0, len(p.entries)+len(p.rules)+1)
	if c.actionLevel {
		results = append(results, c.allowlist())
	}
	for _, e := range p.entries {
		if !e.applies(c) {
			continue
		}
		if rd, ok := e.check.(resultDecider); ok {
			results = append(results, rd.result(c, e.name))
			continue
		}
		passed, reason := e.check.decide(c)
		results = append(results, Result{Policy: e.name, Passed: passed, Reason: reason})
	}
	if p.secretGuard && c.actionLevel && len(in.SecretVars) > 0 {
		passed, reason := secretGuard{}.decide(c)
		results = append(results, Result{Policy: noSecretInArgs, Passed: passed, Reason: reason})
	}
	for _, r := range p.rules {
		if res, ok := r.eval(c); ok {
			results = append(results, res)
		}
	}
	dec = Decision{Allowed: true, Results: results}
	for _, r := range results {
		if !r.Passed {
			dec.Allowed = false
			break
		}
	}
	return dec
}

// FactRequest is a read-only lookup a policy needs before it can decide.
// The gate performs Action with Args (a read-only connector action) and
// passes the result, unchanged, as Input.Facts[Name]. When Action is empty
// the gate supplies the value itself from the run's own records (see the
// package documentation for each fact).
type FactRequest struct {
	Name   string         `json:"name"`
	Action string         `json:"action,omitempty"`
	Args   map[string]any `json:"args,omitempty"`
}

// Requirements lists the facts Decide will need for this input, one request
// per distinct name, in policy order. Run-level inputs need none. It is
// pure, like Decide; the requests depend on the action's arguments and on
// Input.Time, never on Input.Facts.
func Requirements(p *Policy, in Input) []FactRequest {
	if p == nil || in.Action == nil {
		return nil
	}
	c := newEvalCtx(p, &in)
	var out []FactRequest
	add := func(r FactRequest) {
		for _, o := range out {
			if o.Name == r.Name {
				return
			}
		}
		out = append(out, r)
	}
	for _, e := range p.entries {
		if f, ok := e.check.(factNeeder); ok && e.applies(c) {
			f.facts(c, add)
		}
	}
	return out
}

// Allowed reports whether the policy file's allow list permits the action
// id. Entries are action ids or globs in which * matches any run of
// characters ("github.*", "*.get_*", "*"). An id that is not well formed
// ("system.action", lower case) is never allowed.
func Allowed(p *Policy, action string) bool {
	_, ok := p.allowedBy(action)
	return ok
}

// Grant returns the actions a capability may use: those of declared that
// the allow list permits (granted) and the others (refused), each in
// declaration order without duplicates. The gate refuses to run a
// capability when refused is not empty.
func Grant(p *Policy, declared []string) (granted, refused []string) {
	seen := make(map[string]bool, len(declared))
	for _, a := range declared {
		if seen[a] {
			continue
		}
		seen[a] = true
		if Allowed(p, a) {
			granted = append(granted, a)
		} else {
			refused = append(refused, a)
		}
	}
	return granted, refused
}

func (p *Policy) allowedBy(action string) (string, bool) {
	if p == nil || !validActionID(action) {
		return "", false
	}
	for _, g := range p.allow {
		if matchGlob(g, action) {
			return g, true
		}
	}
	return "", false
}

// readOnlyVerbs are the action-name verbs of read-only actions.
var readOnlyVerbs = []string{"get", "list", "select", "search", "read", "find", "query", "count", "describe", "lookup"}

// ReadOnly reports whether an action id names a read-only action by the
// naming convention built-in policies rely on: the action name (after the
// last dot) is one of get, list, select, search, read, find, query, count,
// describe, lookup, or starts with one of them followed by "_"
// ("hubspot.get_contact", "postgres.select_rows", "kv.get"). Every other
// action is treated as mutating, so a connector that names a write like a
// read escapes the write-only policies: connector authors must follow the
// convention.
func ReadOnly(action string) bool {
	verb := action[strings.LastIndexByte(action, '.')+1:]
	if i := strings.IndexByte(verb, '_'); i >= 0 {
		verb = verb[:i]
	}
	return slices.Contains(readOnlyVerbs, verb)
}

// validActionID reports whether s is "segment.segment[.segment...]" with
// each segment a lower-case letter followed by lower-case letters, digits
// and underscores.
func validActionID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	segs, start := 0, true
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '.':
			if start {
				return false
			}
			start = true
		case ch >= 'a' && ch <= 'z':
			if start {
				segs++
			}
			start = false
		case (ch >= '0' && ch <= '9') || ch == '_':
			if start {
				return false
			}
		default:
			return false
		}
	}
	return !start && segs >= 2
}

// validGlob reports whether s is an action id pattern: the characters of an
// action id plus *.
func validGlob(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	if !strings.Contains(s, "*") {
		return validActionID(s)
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '.' || ch == '*') {
			return false
		}
	}
	return true
}

// matchGlob matches s against a pattern in which * stands for any run of
// characters and every other character for itself.
func matchGlob(pattern, s string) bool {
	// Iterative matcher with backtracking to the last star: linear in
	// practice, O(len(pattern)*len(s)) at worst.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		if matchGlob(g, s) {
			return true
		}
	}
	return false
}

// evalCtx is one decision in progress.
type evalCtx struct {
	p           *Policy
	in          *Input
	actionLevel bool
	action      string // the action id; "" at run level
	args        map[string]any
	readOnly    bool

	rolesDone bool
	roles     []string
	act       activation // CEL variables, built on first use
}

func newEvalCtx(p *Policy, in *Input) *evalCtx {
	c := &evalCtx{p: p, in: in}
	if in.Action != nil {
		c.actionLevel = true
		c.action = in.Action.ID
		c.args = in.Action.Args
		c.readOnly = ReadOnly(c.action)
	}
	return c
}

func (c *evalCtx) allowlist() Result {
	r := Result{Policy: allowlistPolicy}
	switch g, ok := c.p.allowedBy(c.action); {
	case !validActionID(c.action):
		r.Reason = fmt.Sprintf("%q is not a valid action id (system.action, lower case)", c.action)
	case !ok:
		r.Reason = fmt.Sprintf("%s is not in the policy file's allow list", c.action)
	case g == c.action:
		r.Passed, r.Reason = true, c.action+" is in the allow list"
	default:
		r.Passed, r.Reason = true, c.action+" is allowed by "+strconv.Quote(g)
	}
	return r
}

// actorRoles are the actor's roles: those the policy file gives the email
// (every matching actors entry, in file order), then those of the input,
// without duplicates.
func (c *evalCtx) actorRoles() []string {
	if !c.rolesDone {
		c.rolesDone = true
		c.roles = c.p.rolesFor(c.in.Actor.Email, c.in.Actor.Roles)
	}
	return c.roles
}

func (c *evalCtx) hasRole(role string) bool {
	return slices.Contains(c.actorRoles(), role)
}

// actorName is the actor for reasons.
func (c *evalCtx) actorName() string {
	if c.in.Actor.Email == "" {
		return "(no email)"
	}
	return c.in.Actor.Email
}

// fact returns a fact's value and whether it is present.
func (c *evalCtx) fact(name string) (any, bool) {
	v, ok := c.in.Facts[name]
	return v, ok
}

func (p *Policy) rolesFor(email string, extra []string) []string {
	var roles []string
	add := func(r string) {
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if len(p.actors) > 0 && email != "" {
		lower := strings.ToLower(strings.TrimSpace(email))
		at := strings.LastIndexByte(lower, '@')
		for _, a := range p.actors {
			match := false
			switch {
			case a.pattern == "*":
				match = true
			case strings.HasPrefix(a.pattern, "*@"):
				match = at >= 0 && lower[at+1:] == a.pattern[2:]
			default:
				match = lower == a.pattern
			}
			if match {
				for _, r := range a.roles {
					add(r)
				}
			}
		}
	}
	for _, r := range extra {
		add(r)
	}
	return roles
}
