package hostfns_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

const policyFile = `version: 1
actors:
  - email: agent@acme.com
    roles: [agent]
  - email: intern@acme.com
    roles: [intern]
allow:
  - kv.*
policies:
  - use: require_actor_role
    with: {allowed_roles: [agent]}
rules:
  - name: no_forbidden_keys
    actions: [kv.put]
    deny_if: action.args.key.startsWith("forbidden")
    reason: Keys under forbidden are off limits
secrets: [token]
`

type fixture struct {
	gate  *hostfns.Gate
	store *receipts.SQLiteStore
	keys  *receipts.Keyring
	kv    *kv.Store
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	p, err := policy.Load([]byte(policyFile), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	g, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{st.KV}, Store: st.Store,
		Clock: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{gate: g, store: st.Store, keys: st.Keys, kv: st.KV}
}

func capability(t testing.TB, actions string) *capabilities.Capability {
	t.Helper()
	doc := "enact: 1.0.0\nid: Acts\ndescription: acts\n" + actions + "tasks:\n  - id: t\n    type: script\n    language: python\n    code: |\n      return {}\n"
	c, err := capabilities.Load([]byte(doc), "acts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func reply(t *testing.T, b []byte) hostfns.Reply {
	t.Helper()
	var r hostfns.Reply
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("reply %s: %v", b, err)
	}
	return r
}

func TestGatePipeline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	run, err := f.gate.Begin(hostfns.RunInfo{
		Capability: capability(t, "x-enact:\n  actions: [kv.put, kv.get]\n"),
		Actor:      policy.Actor{Email: "agent@acme.com"},
		Inputs:     map[string]any{"token": "s3cret-value", "n": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if run.Blocked() {
		t.Fatalf("blocked: %+v", run.PolicyResults())
	}
	steps := []struct {
		req, code string
		existed   bool
	}{
		{`{"action": "kv.put", "args": {"key": "a", "value": 1}}`, "", false},
		{`{"action": "kv.put", "args": {"key": "a", "value": 1}}`, "", true},
		{`{"action": "kv.put", "args": {"key": "forbidden/x", "value": 1}}`, hostfns.CodeDenied, false},
		{`{"action": "kv.delete", "args": {"key": "a"}}`, hostfns.CodeNotGranted, false},
		{`{"action": "kv.put", "args": {"value": 1}}`, hostfns.CodeInvalidArgs, false},
		{`{"action": "kv.put", "args": {"key": "b", "value": 1}, "extra": 1}`, hostfns.CodeInvalidRequest, false},
		{`{"action": "kv.get", "args": {"key": "a"}}`, "", false},
	}
	for i, s := range steps {
		r := reply(t, run.Handle(ctx, []byte(s.req)))
		if s.code == "" && (!r.OK || r.AlreadyExisted != s.existed) {
			t.Errorf("step %d: reply %+v %+v", i, r, r.Error)
		}
		if s.code != "" && (r.OK || r.Error.Code != s.code) {
			t.Errorf("step %d: reply %+v, want code %s", i, r, s.code)
		}
	}
	// The denied put never reached the store.
	out, err := f.kv.Call(ctx, "get", json.RawMessage(`{"key": "forbidden/x"}`), hostfns.CallOptions{Capability: "Acts"})
	if err != nil || !strings.Contains(string(out.Result), `"found":false`) {
		t.Errorf("denied write reached the store: %s %v", out.Result, err)
	}
	env, err := run.Finish(ctx, hostfns.RunOutcome{Outputs: map[string]any{"ok": true}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := receipts.Open(mustJSON(t, env), f.keys.Verifiers())
	if err != nil {
		t.Fatalf("the receipt does not verify: %v", err)
	}
	if got.Decision != receipts.DecisionPass || len(got.Actions) != len(steps) {
		t.Fatalf("receipt: decision %s, %d actions", got.Decision, len(got.Actions))
	}
	wantDecisions := []receipts.ActionDecision{receipts.ActionAllowed, receipts.ActionAllowed, receipts.ActionDenied, receipts.ActionDenied, receipts.ActionDenied, receipts.ActionDenied, receipts.ActionAllowed}
	for i, a := range got.Actions {
		if a.Decision != wantDecisions[i] {
			t.Errorf("action %d (%s): decision %s, want %s", i+1, a.Action, a.Decision, wantDecisions[i])
		}
	}
	if !got.Actions[1].AlreadyExisted || got.Actions[2].PolicyResults == nil {
		t.Errorf("actions: %+v", got.Actions[:3])
	}
	if strings.Contains(string(mustJSON(t, env)), "s3cret-value") {
		t.Error("a secret input reached the receipt")
	}
	if _, err := f.store.Verify(ctx, f.keys.Verifiers()); err != nil {
		t.Errorf("chain: %v", err)
	}
}

func TestGateRefusesUndeclarableActions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	run, err := f.gate.Begin(hostfns.RunInfo{
		Capability: capability(t, "x-enact:\n  actions: [kv.put, github.create_pr, kv.get]\n"),
		Actor:      policy.Actor{Email: "agent@acme.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := run.PolicyResults()
	if !run.Blocked() || len(res) != 1 || res[0].Policy != "grant" || !strings.Contains(res[0].Reason, "github.create_pr") || strings.Contains(res[0].Reason, "kv.put") {
		t.Fatalf("Begin = %+v, want a block naming github.create_pr only", res)
	}
	if len(run.Granted()) != 0 {
		t.Errorf("a blocked run was granted %v", run.Granted())
	}
}

func TestGateBlocksAtRunLevel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	run, err := f.gate.Begin(hostfns.RunInfo{Capability: capability(t, ""), Actor: policy.Actor{Email: "intern@acme.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if !run.Blocked() {
		t.Fatal("an intern was not blocked by require_actor_role")
	}
	env, err := run.Finish(context.Background(), hostfns.RunOutcome{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := receipts.Open(mustJSON(t, env), f.keys.Verifiers())
	if err != nil || got.Decision != receipts.DecisionBlock || got.Status != "blocked" {
		t.Fatalf("receipt %+v, %v", got, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// misnamed is a connector whose read-named action writes.
type misnamed struct{}

func (misnamed) Name() string { return "bad" }
func (misnamed) Actions() []hostfns.ActionSpec {
	return []hostfns.ActionSpec{{Name: "get_and_delete", Mutating: true, Args: json.RawMessage(`{"type":"object"}`), Result: json.RawMessage(`{}`)}}
}
func (misnamed) Call(context.Context, string, json.RawMessage, hostfns.CallOptions) (hostfns.Outcome, error) {
	return hostfns.Outcome{}, nil
}

func TestGateRefusesMisnamedActions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := hostfns.New(hostfns.Config{Connectors: []hostfns.Connector{misnamed{}}, Store: f.store})
	if err == nil || !strings.Contains(err.Error(), "bad.get_and_delete") {
		t.Fatalf("New = %v, want a refusal of bad.get_and_delete", err)
	}
}

// brokenStore is a receipt store whose disk has gone away.
type brokenStore struct{ receipts.Store }

func (brokenStore) Ready(context.Context) error { return errors.New("disk I/O error") }

func TestGateFailsClosedWhenReceiptsCannotBeStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p, err := policy.Load([]byte("version: 1\nallow: [kv.*]\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{f.kv}, Store: brokenStore{f.store}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "disk I/O error") {
		t.Errorf("Ready = %v", err)
	}
	run, err := g.Begin(hostfns.RunInfo{Capability: capability(t, "x-enact:\n  actions: [kv.put, kv.get]\n")})
	if err != nil {
		t.Fatal(err)
	}
	r := reply(t, run.Handle(context.Background(), []byte(`{"action": "kv.put", "args": {"key": "a", "value": 1}}`)))
	if r.OK || r.Error.Code != hostfns.CodeUnavailable {
		t.Fatalf("write with a broken store: %+v", r)
	}
	out, _ := f.kv.Call(context.Background(), "get", json.RawMessage(`{"key": "a"}`), hostfns.CallOptions{Capability: "Acts"})
	if !strings.Contains(string(out.Result), `"found":false`) {
		t.Errorf("the write happened anyway: %s", out.Result)
	}
	// Reads do not need a receipt to be safe.
	if r := reply(t, run.Handle(context.Background(), []byte(`{"action": "kv.get", "args": {"key": "a"}}`))); !r.OK {
		t.Errorf("read with a broken store: %+v", r.Error)
	}
}
