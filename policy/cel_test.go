package policy_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/enact-run/enact/policy"
	"github.com/google/go-cmp/cmp"
)

// rule loads a policy with one action-level rule and returns its result.
func ruleResult(t *testing.T, denyIf string, in policy.Input) policy.Result {
	t.Helper()
	p := mustLoad(t, fmt.Sprintf("version: 1\nallow: [\"*\"]\nrules:\n  - name: r\n    deny_if: %q\n    reason: denied\n", denyIf))
	if in.Action == nil {
		in.Action = act("x.y", nil)
	}
	dec := policy.Decide(p, in)
	for _, r := range dec.Results {
		if r.Policy == "r" {
			return r
		}
	}
	t.Fatalf("rule r not evaluated: %+v", dec)
	return policy.Result{}
}

func TestRuleValues(t *testing.T) {
	t.Parallel()
	type cyclic map[string]any
	loop := map[string]any{}
	loop["self"] = loop
	pass := func(expr string) policy.Result {
		return policy.Result{Policy: "r", Passed: true, Reason: "deny_if is false: " + expr}
	}
	tests := []struct {
		name   string
		denyIf string
		in     policy.Input
		want   policy.Result
	}{
		{"whole float is an int", "action.args.n + 1 != 4", policy.Input{Action: act("x.y", map[string]any{"n": float64(3)})}, pass("action.args.n + 1 != 4")},
		{"json.Number", "action.args.n != 3 || action.args.f != 2.5", policy.Input{Action: act("x.y", map[string]any{"n": json.Number("3"), "f": json.Number("2.5")})},
			pass("action.args.n != 3 || action.args.f != 2.5")},
		{"int and double compare", "!(action.args.f > 2)", policy.Input{Action: act("x.y", map[string]any{"f": 2.5})}, pass("!(action.args.f > 2)")},
		{"typed Go values", "action.args.names != ['a', 'b'] || action.args.at != timestamp('2026-01-01T00:00:00Z') || action.args.u != 7",
			policy.Input{Action: act("x.y", map[string]any{"names": []string{"a", "b"}, "at": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "u": uint16(7)})},
			pass("action.args.names != ['a', 'b'] || action.args.at != timestamp('2026-01-01T00:00:00Z') || action....")},
		{"typed map", "action.args.m.k != 'v'", policy.Input{Action: act("x.y", map[string]any{"m": cyclic{"k": "v"}})}, pass("action.args.m.k != 'v'")},
		{"actor fields", "!has(actor.email) || actor.roles != ['a'] || type(actor) != enact.Actor || actor != actor",
			policy.Input{Actor: policy.Actor{Email: "e@x.io", Roles: []string{"a", "a"}}},
			pass("!has(actor.email) || actor.roles != ['a'] || type(actor) != enact.Actor || actor != actor")},
		{"dyn field access", "dyn(capability).id != 'c' || dyn(capability)['version'] != 'v'",
			policy.Input{Capability: policy.CapabilityRef{ID: "c", Version: "v"}}, pass("dyn(capability).id != 'c' || dyn(capability)['version'] != 'v'")},
		{"maps compare", "action.args.m != {'a': 1, 'b': [true]} || !('a' in action.args.m) || size(facts) != 0",
			policy.Input{Action: act("x.y", map[string]any{"m": map[string]any{"b": []any{true}, "a": 1}})},
			pass("action.args.m != {'a': 1, 'b': [true]} || !('a' in action.args.m) || size(facts) != 0")},
		{"time is UTC", "time.getHours() != 9", policy.Input{Time: time.Date(2026, 1, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))}, pass("time.getHours() != 9")},
		{"strings extension", "action.id.upperAscii() != 'X.Y'", policy.Input{}, pass("action.id.upperAscii() != 'X.Y'")},
		{"non-boolean result", "action.args.flag", policy.Input{Action: act("x.y", map[string]any{"flag": "yes"})},
			policy.Result{Policy: "r", Reason: "deny_if gave string, not a boolean; failing closed"}},
		{"unsupported value", "action.args.s == 1", policy.Input{Action: act("x.y", map[string]any{"s": struct{}{}})},
			policy.Result{Policy: "r", Reason: "deny_if could not be evaluated (unsupported value of type struct {}); failing closed"}},
		{"cyclic value terminates", "has(action.args.self.self)", policy.Input{Action: act("x.y", loop)},
			policy.Result{Policy: "r", Reason: "denied"}},
		{"construction is refused", "enact.Actor{email: 'x'} == actor", policy.Input{},
			policy.Result{Policy: "r", Reason: "deny_if could not be evaluated (enact.Actor values cannot be constructed in a rule); failing closed"}},
		{"division by zero", "1 / size(action.args) == 0", policy.Input{},
			policy.Result{Policy: "r", Reason: "deny_if could not be evaluated (division by zero); failing closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ruleResult(t, tt.denyIf, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRuleStages(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, `version: 1
allow: ["*"]
rules:
  - name: run_rule
    run: true
    deny_if: action.id != "" || size(action.args) != 0
    reason: at run level the action is empty
  - name: scoped
    actions: [github.*]
    allow_if: "true"
    reason: never
  - name: broken_when
    when: action.args.missing
    deny_if: "false"
    reason: never
`)
	run := policy.Decide(p, policy.Input{})
	want := policy.Decision{Allowed: true, Results: []policy.Result{
		{Policy: "run_rule", Passed: true, Reason: `deny_if is false: action.id != "" || size(action.args) != 0`},
	}}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("run level (-want +got):\n%s", diff)
	}
	action := policy.Decide(p, policy.Input{Action: act("kv.get", nil)})
	want = policy.Decision{Results: []policy.Result{
		{Policy: "allowlist", Passed: true, Reason: `kv.get is allowed by "*"`},
		{Policy: "broken_when", Reason: "when could not be evaluated (no such key: missing); failing closed"},
	}}
	if diff := cmp.Diff(want, action); diff != "" {
		t.Errorf("action level (-want +got):\n%s", diff)
	}
}
