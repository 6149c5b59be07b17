package enact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// flowParts are the capabilities the composite tests import, one file each.
var flowParts = map[string]string{
	"put.yaml": `enact: 1.0.0
id: Put
description: writes one value under a key
version: 1.0.0
x-enact: {actions: [kv.put]}
inputs: {type: object, properties: {key: {type: string}}, required: [key]}
tasks:
  - id: put
    type: script
    language: javascript
    code: |
      const r = enact.request("kv.put", {key, value: "v"});
      if (!r.ok) throw new Error(r.error.code + ": " + r.error.message);
      return {key, already_existed: !!r.already_existed};
`,
	"boom.yaml": `enact: 1.0.0
id: Boom
description: always fails
version: 1.0.0
tasks:
  - id: boom
    type: script
    language: javascript
    code: throw new Error("boom")
`,
	"echo.yaml": `enact: 1.0.0
id: Echo
description: returns what it was given
version: 1.0.0
tasks:
  - id: echo
    type: script
    language: python
    code: |
      return {"got": {"boom": boom, "boom_outputs": boom_outputs, "never": never, "key": key, "n": n}}
inputs:
  type: object
  properties: {boom: {}, boom_outputs: {}, never: {}, key: {}, n: {}}
`,
	"meet.yaml": `enact: 1.0.0
id: Meet
description: waits at the barrier until its twin arrives
version: 1.0.0
x-enact: {actions: [meet.get_together]}
tasks:
  - id: meet
    type: script
    language: javascript
    code: |
      const r = enact.request("meet.get_together", {});
      if (!r.ok) throw new Error(r.error.code + ": " + r.error.message);
      return {met: r.result.met};
`,
	"gate.yaml": `enact: 1.0.0
id: Gate
description: passes once the key gate is set
version: 1.0.0
x-enact: {actions: [kv.get]}
tasks:
  - id: gate
    type: script
    language: javascript
    code: |
      const r = enact.request("kv.get", {key: "gate"});
      if (!r.ok || !r.result.found) throw new Error("the gate is closed");
      return {open: true};
`,
	"sneaky.yaml": `enact: 1.0.0
id: Sneaky
description: declares nothing and asks for kv.put anyway
version: 1.0.0
tasks:
  - id: sneak
    type: script
    language: javascript
    code: |
      const r = enact.request("kv.put", {key: "sneaky", value: 1});
      return {code: r.ok ? "ok" : r.error.code};
`,
}

// barrier is a connector whose one action returns once two calls are in:
// two steps that run concurrently both pass; two that run one after the
// other never meet, and the first waits until its step times out.
type barrier struct {
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func newBarrier() *barrier { return &barrier{all: make(chan struct{})} }

func (b *barrier) Name() string { return "meet" }
func (b *barrier) Actions() []hostfns.ActionSpec {
	return []hostfns.ActionSpec{{Name: "get_together", Args: json.RawMessage(`{"type":"object"}`), Result: json.RawMessage(`{}`)}}
}
func (b *barrier) Call(ctx context.Context, _ string, _ json.RawMessage, _ hostfns.CallOptions) (hostfns.Outcome, error) {
	b.mu.Lock()
	b.arrived++
	if b.arrived == 2 {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return hostfns.Outcome{Result: json.RawMessage(`{"met":true}`)}, nil
	case <-ctx.Done():
		return hostfns.Outcome{}, ctx.Err()
	}
}

// flowRig is a client over a SQLite store, the kv connector and a
// barrier, and a directory holding flowParts and the test's composites.
type flowRig struct {
	client *enact.Client
	st     *teststate.State
	dir    string
}

func newFlowRig(t *testing.T, policyYAML string, composites map[string]string) *flowRig {
	t.Helper()
	p, err := policy.Load([]byte(policyYAML), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	r := &flowRig{st: st, dir: t.TempDir()}
	r.client = newClient(t, p, st.Store, st.KV, newBarrier())
	for name, doc := range flowParts {
		writeFile(t, filepath.Join(r.dir, name), doc)
	}
	for name, doc := range composites {
		writeFile(t, filepath.Join(r.dir, name), doc)
	}
	return r
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r *flowRig) load(t *testing.T, name string) *capabilities.Capability {
	t.Helper()
	c, err := capabilities.LoadFile(filepath.Join(r.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// body opens a sealed receipt, verifying it.
func (r *flowRig) body(t *testing.T, env *receipts.Envelope) *receipts.Receipt {
	t.Helper()
	rc, err := env.Verify(r.st.Keys.Verifiers())
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func (r *flowRig) receipt(t *testing.T, runID string) *receipts.Receipt {
	t.Helper()
	env, err := r.st.Store.Get(t.Context(), runID)
	if err != nil {
		t.Fatal(err)
	}
	return r.body(t, env)
}

const everyFeature = `enact: 1.0.0
id: EveryFeature
description: parallel steps, a condition, onError continue and templates
version: 1.0.0
type: composite
imports:
  - {id: Put, version: 1.0.0}
  - {id: Boom, version: 1.0.0}
  - {id: Echo, version: 1.0.0}
  - {id: Meet, version: 1.0.0}
inputs: {type: object, properties: {k: {type: string}}, required: [k]}
flow:
  steps:
    - {id: left, capability: Meet}
    - {id: right, capability: Meet}
    - id: put
      capability: Put
      dependsOn: [left, right]
      inputs: {key: "{{ inputs.k }}"}
    - capability: Boom
      dependencies: [put]
      handler: {onError: continue}
    - id: never
      capability: Put
      condition: "inputs.k == 'nope'"
      inputs: {key: never}
    - id: echo
      capability: Echo
      inputs:
        boom: "{{ steps.Boom.status }}"
        boom_outputs: "{{ steps.Boom.outputs }}"
        never: "{{ steps.never.status }}"
        key: "key {{ outputs.put.key }}"
        n: "{{ size(inputs.k) + 1 }}"
outputs:
  type: object
  properties: {echo: {type: object}, met: {type: boolean}}
  required: [echo, met]
  source:
    echo: "{{ steps.echo.outputs.got }}"
    met: "{{ steps.left.outputs.met && steps.right.outputs.met }}"
`

func TestCompositeEveryFeature(t *testing.T) {
	t.Parallel()
	// A run-level rule refuses Boom: the policies apply to each step's
	// run, with the composite's actor.
	pol := "version: 1\nallow: [kv.*, meet.*]\nrules:\n  - {name: no_boom, run: true, deny_if: 'capability.id == \"Boom\" && actor.email == \"agent@acme.test\"', reason: no booms}\n"
	r := newFlowRig(t, pol, map[string]string{"flow.yaml": everyFeature})
	c := r.load(t, "flow.yaml")
	actor := policy.Actor{Email: "agent@acme.test"}
	res, err := r.client.Run(t.Context(), enact.RunRequest{Capability: c, Inputs: map[string]any{"k": "abc"}, Actor: actor})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != enact.StatusPass {
		t.Fatalf("status %s: %+v", res.Status, res.Error)
	}
	wantOut := map[string]any{"met": true, "echo": map[string]any{
		"boom": "failed", "boom_outputs": map[string]any{}, "never": "skipped", "key": "key abc", "n": json.Number("4")}}
	if diff := cmp.Diff(wantOut, res.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	// The composite's receipt lists every step; each step that ran has
	// its own receipt, under its own capability, linked back.
	rc := r.body(t, res.Receipt)
	statuses := map[string]string{}
	for _, s := range rc.Steps {
		statuses[s.ID] = s.Status
		if s.Status == capabilities.StepSkipped {
			if s.RunID != "" || s.Receipt != "" {
				t.Errorf("skipped step %s has a run: %+v", s.ID, s)
			}
			continue
		}
		child, err := r.st.Store.Get(t.Context(), s.RunID)
		if err != nil {
			t.Fatalf("step %s: %v", s.ID, err)
		}
		if child.Hash != s.Receipt {
			t.Errorf("step %s: receipt hash %s, the child's is %s", s.ID, s.Receipt, child.Hash)
		}
		cb := r.body(t, child)
		if cb.Capability.ID != s.Capability.ID || cb.Parent == nil || cb.Parent.RunID != res.RunID || cb.Parent.Step != s.ID {
			t.Errorf("step %s: child receipt capability %s parent %+v", s.ID, cb.Capability.ID, cb.Parent)
		}
	}
	want := map[string]string{"left": "passed", "right": "passed", "put": "passed", "Boom": "failed", "never": "skipped", "echo": "passed"}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("step statuses (-want +got):\n%s", diff)
	}
	if rc.Decision != receipts.DecisionPass || len(rc.Actions) != 0 {
		t.Errorf("composite receipt: decision %s, %d actions", rc.Decision, len(rc.Actions))
	}
	for _, s := range rc.Steps {
		if s.ID != "Boom" {
			continue
		}
		if s.Error == nil || s.Error.Code != "denied" || !strings.Contains(s.Error.Message, "no booms") {
			t.Errorf("Boom step: %+v", s.Error)
		}
		if b := r.receipt(t, s.RunID); b.Decision != receipts.DecisionBlock || b.Actor.Email != actor.Email {
			t.Errorf("Boom's receipt: %s by %s", b.Decision, b.Actor.Email)
		}
	}
	// The put step's action reached kv, under the Put capability.
	v, err := r.st.KV.Call(t.Context(), "get", json.RawMessage(`{"key":"abc"}`), hostfns.CallOptions{Capability: "Put"})
	if err != nil || !strings.Contains(string(v.Result), `"v"`) {
		t.Errorf("kv abc under Put: %s %v", v.Result, err)
	}

	// A dry run plans the whole flow: every step runs as a dry run, and
	// the write is planned, not made.
	res, err = r.client.Run(t.Context(), enact.RunRequest{Capability: c, Inputs: map[string]any{"k": "dry"}, Actor: actor, DryRun: true})
	if err != nil || res.Status != enact.StatusPass {
		t.Fatalf("dry run: %v %+v", err, res)
	}
	for _, s := range res.Steps {
		if s.ID != "put" {
			continue
		}
		b := r.receipt(t, s.RunID)
		if b.Status != "dry_run" || len(b.Actions) != 1 || !strings.Contains(string(b.Actions[0].Result), `"planned":true`) {
			t.Errorf("dry run's put step: %s %+v", b.Status, b.Actions)
		}
	}
	if v, err := r.st.KV.Call(t.Context(), "get", json.RawMessage(`{"key":"dry"}`), hostfns.CallOptions{Capability: "Put"}); err != nil || !strings.Contains(string(v.Result), `"found":false`) {
		t.Errorf("the dry run wrote: %s %v", v.Result, err)
	}
}

// TestCompositeTimeoutBoundsTheFlow: the composite's timeout cuts a step
// whose own limit is longer.
func TestCompositeTimeoutBoundsTheFlow(t *testing.T) {
	t.Parallel()
	flows := map[string]string{
		"spin.yaml": "enact: 1.0.0\nid: Spin\ndescription: d\nversion: 1.0.0\nenv: {resources: {timeout: 60s}}\ntasks:\n  - {id: spin, type: script, language: javascript, code: 'for (;;) {}'}\n",
		"flow.yaml": "enact: 1.0.0\nid: Bounded\ndescription: d\ntype: composite\nenv: {resources: {timeout: 300ms}}\nimports: [{id: Spin, version: 1.0.0}]\nflow:\n  steps:\n    - {capability: Spin}\n",
	}
	r := newFlowRig(t, "version: 1\n", flows)
	res, err := r.client.Run(t.Context(), enact.RunRequest{Capability: r.load(t, "flow.yaml"), Actor: policy.Actor{Email: "a@acme.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != enact.StatusFailed || res.Error.Code != "timeout" || res.Error.Task != "Spin" {
		t.Fatalf("%s %+v", res.Status, res.Error)
	}
	if b := r.receipt(t, res.Steps[0].RunID); b.Error == nil || b.Error.Code != "timeout" {
		t.Errorf("the step's receipt: %+v", b.Error)
	}
}

func TestCompositeGrantIsTheUnionOfItsSteps(t *testing.T) {
	t.Parallel()
	flows := map[string]string{
		"needs-meet.yaml": `enact: 1.0.0
id: NeedsMeet
description: a step declares an action the policy does not allow
type: composite
imports: [{id: Put, version: 1.0.0}, {id: Meet, version: 1.0.0}]
flow:
  steps:
    - {capability: Put, inputs: {key: x}}
    - {capability: Meet}
`,
		"sneaks.yaml": `enact: 1.0.0
id: Sneaks
description: one step declares kv.put; another asks for it without declaring it
type: composite
imports: [{id: Put, version: 1.0.0}, {id: Sneaky, version: 1.0.0}]
flow:
  steps:
    - {capability: Put, inputs: {key: x}}
    - {capability: Sneaky, dependsOn: [Put]}
outputs: {type: object, source: {code: "{{ steps.Sneaky.outputs.code }}"}}
`,
	}
	r := newFlowRig(t, "version: 1\nallow: [kv.*]\n", flows)
	actor := policy.Actor{Email: "agent@acme.test"}
	res, err := r.client.Run(t.Context(), enact.RunRequest{Capability: r.load(t, "needs-meet.yaml"), Actor: actor})
	if err != nil {
		t.Fatal(err)
	}
	if rc := r.body(t, res.Receipt); res.Status != enact.StatusBlock || len(rc.Steps) != 0 || !strings.Contains(res.Error.Message, "meet.get_together") {
		t.Fatalf("a composite whose step declares an action outside the allowlist: %s %+v, %d steps", res.Status, res.Error, len(rc.Steps))
	}
	if v, err := r.st.KV.Call(t.Context(), "get", json.RawMessage(`{"key":"x"}`), hostfns.CallOptions{Capability: "Put"}); err != nil || !strings.Contains(string(v.Result), `"found":false`) {
		t.Errorf("a blocked composite's step ran: %s %v", v.Result, err)
	}
	res, err = r.client.Run(t.Context(), enact.RunRequest{Capability: r.load(t, "sneaks.yaml"), Actor: actor})
	if err != nil || res.Status != enact.StatusPass {
		t.Fatalf("%v %+v", err, res)
	}
	if got := res.Outputs["code"]; got != "not_granted" {
		t.Errorf("a step asked for an action only its sibling declares: %v, want not_granted", got)
	}
}

const outerFlow = `enact: 1.0.0
id: Outer
description: runs a composite
version: 1.0.0
type: composite
imports: [{id: Inner, version: 2.0.0}]
inputs: {type: object, properties: {k: {type: string}}}
flow:
  steps:
    - capability: Inner
      inputs: {k: "{{ inputs.k + '-outer' }}"}
outputs: {type: object, source: {key: "{{ outputs.Inner.key }}"}}
`

const innerFlow = `enact: 1.0.0
id: Inner
description: runs Put, then Gate
version: 2.0.0
type: composite
imports: [{id: Put, version: 1.0.0}, {id: Gate, version: 1.0.0}]
inputs: {type: object, properties: {k: {type: string}}}
flow:
  steps:
    - capability: Put
      inputs: {key: "{{ inputs.k }}"}
    - capability: Gate
      dependsOn: [Put]
outputs: {type: object, source: {key: "{{ steps.Put.outputs.key }}"}}
`

// TestCompositeNestedRetryReplaysFinishedSteps runs a composite of a
// composite whose second step fails; the retry with the same key, once
// the failure is fixed, replays the step that passed (its action is not
// repeated) and runs the rest.
func TestCompositeNestedRetryReplaysFinishedSteps(t *testing.T) {
	t.Parallel()
	r := newFlowRig(t, "version: 1\nallow: [kv.*]\n", map[string]string{"outer.yaml": outerFlow, "inner.yaml": innerFlow})
	c := r.load(t, "outer.yaml")
	actor := policy.Actor{Email: "agent@acme.test"}
	req := enact.RunRequest{Capability: c, Inputs: map[string]any{"k": "n"}, Actor: actor, IdempotencyKey: "order-7"}
	first, err := r.client.Run(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != enact.StatusFailed || first.Error.Task != "Inner" {
		t.Fatalf("first run: %s %+v", first.Status, first.Error)
	}
	inner := r.receipt(t, first.Steps[0].RunID)
	if inner.Capability.ID != "Inner" || len(inner.Steps) != 2 || inner.Steps[0].Status != "passed" || inner.Steps[1].Status != "failed" {
		t.Fatalf("inner receipt: %+v", inner.Steps)
	}
	putRun := inner.Steps[0].RunID
	if put := r.receipt(t, putRun); put.IdempotencyKey != "order-7/Inner/Put" || len(put.Actions) != 1 {
		t.Fatalf("put step: key %q, %d actions", put.IdempotencyKey, len(put.Actions))
	}
	// Open the gate, retry with the same key.
	if _, err := r.st.KV.Call(t.Context(), "put", json.RawMessage(`{"key":"gate","value":true}`), hostfns.CallOptions{Capability: "Gate"}); err != nil {
		t.Fatal(err)
	}
	second, err := r.client.Run(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != enact.StatusPass || second.Replayed || second.Outputs["key"] != "n-outer" {
		t.Fatalf("retry: %s replayed=%v %+v %v", second.Status, second.Replayed, second.Error, second.Outputs)
	}
	inner2 := r.receipt(t, second.Steps[0].RunID)
	if s := inner2.Steps[0]; !s.Replayed || s.RunID != putRun {
		t.Errorf("the retry ran the finished Put step again: %+v (first run %s)", s, putRun)
	}
	if s := inner2.Steps[1]; s.Replayed || s.Status != "passed" {
		t.Errorf("the retry's Gate step: %+v", s)
	}
	// Exactly one receipt of Put acted: the first; kv.put ran once.
	list, err := r.st.Store.List(t.Context(), receipts.ListOptions{Capability: "Put"})
	if err != nil {
		t.Fatal(err)
	}
	puts := 0
	for _, env := range list {
		if b := r.body(t, env); b.Capability.ID == "Put" {
			puts++
			if len(b.Actions) != 1 {
				t.Errorf("Put receipt with %d actions", len(b.Actions))
			}
		}
	}
	if puts != 1 {
		t.Errorf("%d Put receipts, want 1 (the retry replays it)", puts)
	}
	// A third call replays the whole composite.
	third, err := r.client.Run(t.Context(), req)
	if err != nil || !third.Replayed || third.RunID != second.RunID || len(third.Steps) != 1 {
		t.Fatalf("third: %v %+v", err, third)
	}
}

// TestCompositeSecretsStayRedactedInSteps: a secret input of the
// composite, passed to a step under another name, is redacted in the
// step's receipt and result as in the composite's.
func TestCompositeSecretsStayRedactedInSteps(t *testing.T) {
	t.Parallel()
	flows := map[string]string{
		"show.yaml": "enact: 1.0.0\nid: Show\ndescription: d\nversion: 1.0.0\ntasks:\n  - {id: t, type: script, language: javascript, code: 'console.log(token); return {seen: \"token \" + token}'}\n",
		"flow.yaml": "enact: 1.0.0\nid: Holds\ndescription: d\ntype: composite\nimports: [{id: Show, version: 1.0.0}]\ninputs: {type: object, properties: {api_key: {type: string}}}\nflow:\n  steps:\n    - {capability: Show, inputs: {token: '{{ inputs.api_key }}'}}\n",
	}
	r := newFlowRig(t, "version: 1\nsecrets: [api_key]\n", flows)
	res, err := r.client.Run(t.Context(), enact.RunRequest{Capability: r.load(t, "flow.yaml"), Inputs: map[string]any{"api_key": canary}, Actor: policy.Actor{Email: "a@acme.test"}})
	if err != nil || res.Status != enact.StatusPass {
		t.Fatalf("%v %+v", err, res)
	}
	step := r.receipt(t, res.Steps[0].RunID)
	if step.Inputs["token"] != receipts.Redacted || step.Outputs["seen"] != "token "+receipts.Redacted {
		t.Errorf("the step's receipt: inputs %v outputs %v", step.Inputs, step.Outputs)
	}
	if strings.Contains(res.Output, canary) || strings.Contains(fmt.Sprint(res.Outputs), canary) {
		t.Errorf("the result shows the secret: %q %v", res.Output, res.Outputs)
	}
	if f := storeLeaks(r.st.Dir); f != "" {
		t.Errorf("%s holds the secret in clear", f)
	}
}

// TestRecoverReleasesAFailedStepsKey: a composite's step that sealed a
// failed receipt and died before releasing its key gets the key released
// by recovery (a live run would have), so the composite's retry runs the
// step again instead of replaying its failure.
func TestRecoverReleasesAFailedStepsKey(t *testing.T) {
	t.Parallel()
	r := newFlowRig(t, "version: 1\n", map[string]string{
		"flow.yaml": "enact: 1.0.0\nid: OneBoom\ndescription: d\ntype: composite\nimports: [{id: Boom, version: 1.0.0}]\nflow:\n  steps:\n    - {capability: Boom}\n",
	})
	c := r.load(t, "flow.yaml")
	actor := policy.Actor{Email: "agent@acme.test"}
	first, err := r.client.Run(t.Context(), enact.RunRequest{Capability: c, Actor: actor})
	if err != nil || first.Status != enact.StatusFailed {
		t.Fatalf("%v %+v", err, first)
	}
	// The step's run under the composite's key k1 sealed this failed
	// receipt and died holding its key.
	step := first.Steps[0].RunID
	boom, err := capabilities.LoadFile(filepath.Join(r.dir, "boom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := receipts.Digest(map[string]any{"capability": boom.Digest, "inputs": map[string]any{}, "actor": actor.Email, "dry_run": false})
	ledger := r.st.Store
	if cl, err := ledger.ClaimKey(t.Context(), hostfns.RunKey(actor.Email, enact.StepKey("k1", "Boom")), digest, step, time.Hour); err != nil || cl.State != receipts.ClaimNew {
		t.Fatal(cl, err)
	}
	orphan(t, r.st.Dir, step)
	runs, err := r.client.Recover(t.Context())
	if err != nil || len(runs) != 1 || runs[0].RunID != step || runs[0].Outcome != enact.RecoveryKeyReleased || runs[0].Key != "k1/Boom" {
		t.Fatalf("recovered %+v %v", runs, err)
	}
	retry, err := r.client.Run(t.Context(), enact.RunRequest{Capability: c, Actor: actor, IdempotencyKey: "k1"})
	if err != nil || retry.Steps[0].Replayed || retry.Steps[0].RunID == step || retry.Steps[0].Status != "failed" {
		t.Fatalf("retry: %v %+v", err, retry.Steps)
	}
}
