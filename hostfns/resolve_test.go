package hostfns_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// folding is a connector whose names fold to lower case: "Notes",
// "NOTES" and "notes" are one object, and "broken" cannot be looked up.
type folding struct{ calls []string }

func (f *folding) Name() string { return "db" }
func (f *folding) Actions() []hostfns.ActionSpec {
	return []hostfns.ActionSpec{{Name: "write", Mutating: true,
		Args:   json.RawMessage(`{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}`),
		Result: json.RawMessage(`{"type": "object"}`)}}
}
func (f *folding) Call(_ context.Context, _ string, args json.RawMessage, _ hostfns.CallOptions) (hostfns.Outcome, error) {
	f.calls = append(f.calls, string(args))
	return hostfns.Outcome{Result: json.RawMessage(`{"rows_affected": 1}`)}, nil
}
func (f *folding) Resolve(_ context.Context, _ string, args json.RawMessage) (hostfns.Resolved, error) {
	var a struct{ Name string }
	if err := json.Unmarshal(args, &a); err != nil {
		return hostfns.Resolved{}, err
	}
	switch strings.ToLower(a.Name) {
	case "broken":
		return hostfns.Resolved{}, errors.New("the catalog is unreachable")
	case "missing":
		return hostfns.Resolved{}, &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: "no such object"}
	}
	name := strings.ToLower(a.Name)
	return hostfns.Resolved{Args: json.RawMessage(`{"name":"` + name + `"}`), Target: map[string]any{"name": name}}, nil
}

// TestHostileResolverGivesPoliciesObjectsNotSpellings: every spelling of
// the protected object is denied by a rule on args and by a rule on the
// target; the connector gets the canonical arguments; a name that resolves
// to nothing, or a lookup that fails, ends the action before the policy
// and the connector, recorded.
func TestHostileResolverGivesPoliciesObjectsNotSpellings(t *testing.T) {
	t.Parallel()
	p, err := policy.Load([]byte(`version: 1
allow: [db.*]
rules:
  - name: by_args
    deny_if: action.args.name == "secret"
    reason: args
  - name: by_target
    deny_if: action.target.name.startsWith("audit")
    reason: target
`), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	conn := &folding{}
	g, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{conn}, Store: st.Store})
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Begin(hostfns.RunInfo{Capability: capability(t, "x-enact:\n  actions: [db.write]\n"), Actor: policy.Actor{Email: "a@b.c"}})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ name, code, policy string }{
		{"secret", hostfns.CodeDenied, "by_args"},
		{"SECRET", hostfns.CodeDenied, "by_args"},
		{"Secret", hostfns.CodeDenied, "by_args"},
		{"AUDIT_LOG", hostfns.CodeDenied, "by_target"},
		{"Audit", hostfns.CodeDenied, "by_target"},
		{"missing", hostfns.CodeInvalidArgs, ""},
		{"broken", hostfns.CodeConnectorError, ""},
		{"Plain", "", ""},
	}
	for _, s := range steps {
		r := reply(t, run.Handle(context.Background(), []byte(`{"action": "db.write", "args": {"name": "`+s.name+`"}}`)))
		if s.code == "" {
			if !r.OK {
				t.Errorf("%s: %+v", s.name, r.Error)
			}
			continue
		}
		if r.OK || r.Error.Code != s.code || !strings.Contains(r.Error.Message, s.policy) {
			t.Errorf("%s: %+v, want %s by %q", s.name, r.Error, s.code, s.policy)
		}
	}
	if len(conn.calls) != 1 || conn.calls[0] != `{"name":"plain"}` {
		t.Errorf("the connector was called with %q, want only the canonical plain", conn.calls)
	}
	env, err := run.Finish(context.Background(), hostfns.RunOutcome{})
	if err != nil {
		t.Fatal(err)
	}
	var body receipts.Receipt
	if err := json.Unmarshal(env.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := []receipts.ActionDecision{receipts.ActionDenied, receipts.ActionDenied, receipts.ActionDenied, receipts.ActionDenied, receipts.ActionDenied,
		receipts.ActionDenied, receipts.ActionFailed, receipts.ActionAllowed}
	for i, a := range body.Actions {
		if a.Decision != want[i] {
			t.Errorf("action %d (%s): %s, want %s", i+1, steps[i].name, a.Decision, want[i])
		}
		resolved := i < 5 || i == 7
		if resolved != (a.Target != nil) || resolved != (len(a.PolicyResults) > 0) {
			t.Errorf("action %d (%s): target %v, policy results %v", i+1, steps[i].name, a.Target, a.PolicyResults)
		}
	}
	if body.Actions[3].Target["name"] != "audit_log" {
		t.Errorf("target of AUDIT_LOG: %v", body.Actions[3].Target)
	}
}
