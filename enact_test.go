package enact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// setup wires a client the way enact-run does, in a temporary directory.
func setup(t testing.TB, policyYAML string) (*enact.Client, *receipts.Keyring, receipts.Store) {
	t.Helper()
	client, keys, store, _ := setupDir(t, policyYAML)
	return client, keys, store
}

// setupDir is setup, also returning the directory of the state files
// (receipts.db holds the receipts, the run keys and the journal).
func setupDir(t testing.TB, policyYAML string) (*enact.Client, *receipts.Keyring, receipts.Store, string) {
	t.Helper()
	p, err := policy.Load([]byte(policyYAML), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	return newClient(t, p, st.Store, st.KV), st.Keys, st.Store, st.Dir
}

const threeWays = `
enact: 1.0.0
id: ThreeWays
description: asks for a granted, a denied and an ungranted action
x-enact:
  actions: [kv.put, kv.get]
tasks:
  - id: act
    type: script
    language: python
    code: |
      outcomes = []
      for action, args in [("kv.put", {"key": "ok", "value": 1}),
                           ("kv.put", {"key": "forbidden/1", "value": 1}),
                           ("kv.delete", {"key": "ok"})]:
          reply = enact.request(action, args)
          outcomes.append("ok" if reply["ok"] else reply["error"]["code"])
      return {"outcomes": outcomes}
`

const threeWaysPolicy = `version: 1
allow: [kv.*]
rules:
  - name: no_forbidden_keys
    actions: [kv.put]
    deny_if: action.args.key.startsWith("forbidden")
    reason: Keys under forbidden are off limits
`

func TestOneReceiptWithThreeCorrectlyDecidedEntries(t *testing.T) {
	t.Parallel()
	client, keys, store := setup(t, threeWaysPolicy)
	c, err := capabilities.Load([]byte(threeWays), "three.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Run(context.Background(), enact.RunRequest{Capability: c, Actor: policy.Actor{Email: "agent@acme.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != enact.StatusPass {
		t.Fatalf("status %s: %v", res.Status, res.Error)
	}
	if got, _ := json.Marshal(res.Outputs["outcomes"]); string(got) != `["ok","denied","not_granted"]` {
		t.Errorf("the guest saw %s", got)
	}
	data, _ := json.Marshal(res.Receipt)
	r, err := receipts.Open(data, keys.Verifiers())
	if err != nil {
		t.Fatalf("receipt does not verify: %v", err)
	}
	want := []struct {
		action   string
		decision receipts.ActionDecision
		code     string
	}{
		{"kv.put", receipts.ActionAllowed, ""},
		{"kv.put", receipts.ActionDenied, hostfns.CodeDenied},
		{"kv.delete", receipts.ActionDenied, hostfns.CodeNotGranted},
	}
	if len(r.Actions) != len(want) {
		t.Fatalf("%d actions in the receipt, want 3: %+v", len(r.Actions), r.Actions)
	}
	for i, w := range want {
		a := r.Actions[i]
		code := ""
		if a.Error != nil {
			code = a.Error.Code
		}
		if a.Action != w.action || a.Decision != w.decision || code != w.code {
			t.Errorf("action %d: %s %s %s, want %s %s %s", i+1, a.Action, a.Decision, code, w.action, w.decision, w.code)
		}
	}
	if _, err := store.Verify(context.Background(), keys.Verifiers()); err != nil {
		t.Error(err)
	}
}

func TestFailedAndTimedOutRunsLeaveReceipts(t *testing.T) {
	t.Parallel()
	client, keys, store := setup(t, "version: 1\n")
	for _, doc := range []string{
		"enact: 1.0.0\nid: Raises\ndescription: d\ntasks:\n  - id: t\n    type: script\n    language: python\n    code: |\n      raise ValueError('no')\n",
		"enact: 1.0.0\nid: Spins\ndescription: d\nenv:\n  resources:\n    timeout: 300ms\ntasks:\n  - id: t\n    type: script\n    language: js\n    code: for (;;) {}\n",
	} {
		c, err := capabilities.Load([]byte(doc), "c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.Run(context.Background(), enact.RunRequest{Capability: c})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(res.Receipt)
		r, err := receipts.Open(data, keys.Verifiers())
		if err != nil || r.Decision != receipts.DecisionFailed || r.Error == nil || r.Error.Code != res.Error.Code {
			t.Errorf("%s: receipt %+v, %v", c.ID, r, err)
		}
	}
	if rep, err := store.Verify(context.Background(), keys.Verifiers()); err != nil || rep.Verified != 2 {
		t.Errorf("chain: %+v %v", rep, err)
	}
}

// Example shows the Go API: a client built from an engine, a gate and a
// receipt store, running a shipped capability.
func Example() {
	dir, _ := os.MkdirTemp("", "enact-example-")
	defer os.RemoveAll(dir)
	keys, _ := receipts.OpenKeyring(filepath.Join(dir, "keys"))
	store, _ := receipts.OpenSQLite(context.Background(), filepath.Join(dir, "receipts.db"), keys.Signers())
	defer store.Close()
	p, _ := policy.Load([]byte("version: 1\n"), "policy.yaml")
	gate, _ := hostfns.New(hostfns.Config{Policy: p, Store: store})
	engine, _ := runtime.New(runtime.Config{})
	defer engine.Close(context.Background())

	c, _ := capabilities.Load(capabilities.Examples()["temperature-converter.yaml"], "temperature-converter.yaml")
	res, err := enact.New(engine, gate).Run(context.Background(), enact.RunRequest{
		Capability: c,
		Inputs:     map[string]any{"celsius": 100},
		Actor:      policy.Actor{Email: "agent@acme.com"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Outputs["fahrenheit"], res.Receipt != nil)
	// Output: PASS 212 true
}
