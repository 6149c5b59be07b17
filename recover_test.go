package enact_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// putOnce writes one value under the key named by its input.
const putOnce = `
enact: 1.0.0
id: PutOnce
description: writes one value
x-enact:
  actions: [kv.put]
inputs:
  type: object
  properties:
    key: {type: string}
  required: [key]
tasks:
  - id: put
    type: script
    language: javascript
    code: |
      const r = enact.request("kv.put", { key, value: "v" });
      if (!r.ok) throw new Error(r.error.message);
      return { already_existed: !!r.already_existed };
`

func putOnceCap(t testing.TB) *capabilities.Capability {
	c, err := capabilities.Load([]byte(putOnce), "put.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// crashedRun leaves in the ledger what a runner killed mid-run leaves:
// the key held, the given actions journaled as intents (args: kv.put of
// "v" under each key), those in done performed on kv, and a dead owner.
func crashedRun(t *testing.T, dir string, store receipts.Store, k *kv.Store, runID, key string, c *capabilities.Capability, in map[string]any, actions []string, done map[int]bool) {
	t.Helper()
	ctx := context.Background()
	ledger := store.(receipts.Ledger)
	digest, err := receipts.Digest(map[string]any{"capability": c.Digest, "inputs": in, "actor": "agent@acme.test", "dry_run": false})
	if err != nil {
		t.Fatal(err)
	}
	// The ledger names the key per actor, as the client does.
	key = hostfns.RunKey("agent@acme.test", key)
	if cl, err := ledger.ClaimKey(ctx, key, digest, runID, time.Hour); err != nil || cl.State != receipts.ClaimNew {
		t.Fatalf("claim: %+v %v", cl, err)
	}
	for i, action := range actions {
		seq := int64(i + 1)
		args := json.RawMessage(fmt.Sprintf(`{"key":%q,"value":"v"}`, in["key"]))
		err := ledger.Intend(ctx, receipts.Intent{
			Run: receipts.JournalRun{RunID: runID, Key: key, Capability: receipts.Capability{ID: c.ID, Version: c.Version, Digest: c.Digest},
				Actor: receipts.Actor{Email: "agent@acme.test"}, Started: time.Now()},
			Seq: seq, Action: action, ArgsDigest: "sha256:00", ActionKey: fmt.Sprintf("%s:%d", key, seq), Args: args,
		})
		if err != nil {
			t.Fatal(err)
		}
		if done[i] {
			if _, err := k.Call(ctx, "put", args, hostfns.CallOptions{Capability: c.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	orphan(t, dir, runID)
}

// orphan makes a run's owner a process that died, in the SQLite store
// under dir.
func orphan(t *testing.T, dir, runID string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "receipts.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	host, _ := os.Hostname()
	dead := fmt.Sprintf("%s:%d", host, deadPID(t))
	for _, q := range []string{`UPDATE runs SET owner = ? WHERE run_id = ?`, `UPDATE run_keys SET owner = ? WHERE run_id = ?`} {
		if _, err := db.Exec(q, dead, runID); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecoverReconcilesAndSeals(t *testing.T) {
	t.Parallel()
	client, keys, store, dir := setupDir(t, "version: 1\nallow: [kv.*]\n")
	ctx := context.Background()
	k := kvOf(t, dir)
	c := putOnceCap(t)
	actor := policy.Actor{Email: "agent@acme.test"}

	// Run A died after its action took effect, run B before its action
	// reached kv.
	inA, inB := map[string]any{"key": "a"}, map[string]any{"key": "b"}
	crashedRun(t, dir, store, k, "run-a", "key-a", c, inA, []string{"kv.put"}, map[int]bool{0: true})
	crashedRun(t, dir, store, k, "run-b", "key-b", c, inB, []string{"kv.put"}, nil)
	for key, in := range map[string]map[string]any{"key-a": inA, "key-b": inB} {
		_, err := client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, Actor: actor, IdempotencyKey: key})
		var ie *enact.IdempotencyError
		if !errors.As(err, &ie) || ie.Code != receipts.ClaimAmbiguous {
			t.Fatalf("blind retry of %s before recovery: %v", key, err)
		}
	}
	runs, err := client.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]enact.RecoveredRun{}
	for _, r := range runs {
		got[r.RunID] = r
	}
	if len(runs) != 2 || got["run-a"].Outcome != enact.RecoverySealed || got["run-b"].Outcome != enact.RecoverySealed ||
		got["run-a"].Actions[0].State != receipts.JournalCompleted || got["run-b"].Actions[0].State != receipts.JournalNotPerformed {
		t.Fatalf("recovered %+v", runs)
	}
	for id, want := range map[string]receipts.ActionDecision{"run-a": receipts.ActionAllowed, "run-b": receipts.ActionFailed} {
		env, err := store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		r, err := env.Verify(keys.Verifiers())
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "recovered" || r.Decision != receipts.DecisionFailed || len(r.Actions) != 1 || r.Actions[0].Decision != want {
			t.Errorf("%s: receipt %+v", id, r)
		}
	}
	// Nothing is left, and a second recovery finds nothing.
	if again, err := client.Recover(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second recovery: %+v %v", again, err)
	}
	// The retries run again: A's put finds its value (nothing done
	// twice), B's put is made now.
	for key, in := range map[string]map[string]any{"key-a": inA, "key-b": inB} {
		res, err := client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, Actor: actor, IdempotencyKey: key})
		if err != nil || res.Status != enact.StatusPass || res.Replayed {
			t.Fatalf("retry of %s: %+v %v", key, res, err)
		}
		if want := key == "key-a"; res.Outputs["already_existed"] != want {
			t.Errorf("retry of %s: already_existed = %v, want %v", key, res.Outputs["already_existed"], want)
		}
	}
	if rep, err := store.Verify(ctx, keys.Verifiers()); err != nil || rep.Verified != 4 {
		t.Fatalf("chain: %+v %v", rep, err)
	}
}

func TestRecoverLeavesWhatItCannotCheckAmbiguous(t *testing.T) {
	t.Parallel()
	client, keys, store, dir := setupDir(t, "version: 1\nallow: [kv.*]\n")
	ctx := context.Background()
	k := kvOf(t, dir)
	c := putOnceCap(t)
	in := map[string]any{"key": "x"}
	// An action of a connector this runner does not have.
	crashedRun(t, dir, store, k, "run-x", "key-x", c, in, []string{"github.create_pr"}, nil)
	runs, err := client.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Outcome != enact.RecoveryAmbiguous || runs[0].Actions[0].State != receipts.JournalAmbiguous || runs[0].Actions[0].Evidence == "" {
		t.Fatalf("recovered %+v", runs)
	}
	_, err = client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, Actor: policy.Actor{Email: "agent@acme.test"}, IdempotencyKey: "key-x"})
	var ie *enact.IdempotencyError
	if !errors.As(err, &ie) || ie.Code != receipts.ClaimAmbiguous {
		t.Fatalf("retry while ambiguous: %v", err)
	}
	if _, err := store.Get(ctx, "run-x"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("an ambiguous run was sealed: %v", err)
	}
	// The operator looked at GitHub and settles it.
	if err := client.Resolve(ctx, "run-x", 1, "sideways", "ops@acme.test"); err == nil {
		t.Error("resolve to an unknown state was accepted")
	}
	if err := client.Resolve(ctx, "run-x", 1, receipts.JournalCompleted, "ops@acme.test"); err != nil {
		t.Fatal(err)
	}
	runs, err = client.Recover(ctx)
	if err != nil || len(runs) != 1 || runs[0].Outcome != enact.RecoverySealed {
		t.Fatalf("after resolve: %+v %v", runs, err)
	}
	env, err := store.Get(ctx, "run-x")
	if err != nil {
		t.Fatal(err)
	}
	r, err := env.Verify(keys.Verifiers())
	if err != nil || r.Actions[0].Decision != receipts.ActionAllowed || r.Status != "recovered" {
		t.Fatalf("receipt %+v %v", r, err)
	}
}

func TestRecoverClosesTheKeyOfASealedRun(t *testing.T) {
	t.Parallel()
	client, _, store, dir := setupDir(t, "version: 1\nallow: [kv.*]\n")
	ctx := context.Background()
	c := putOnceCap(t)
	in := map[string]any{"key": "s"}
	actor := policy.Actor{Email: "agent@acme.test"}
	res, err := client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, Actor: actor})
	if err != nil || res.Status != enact.StatusPass {
		t.Fatal(err)
	}
	// A run under key-s sealed its receipt (this one) and died before
	// closing its key.
	digest, _ := receipts.Digest(map[string]any{"capability": c.Digest, "inputs": in, "actor": actor.Email, "dry_run": false})
	ledger := store.(receipts.Ledger)
	if cl, err := ledger.ClaimKey(ctx, hostfns.RunKey(actor.Email, "key-s"), digest, res.RunID, time.Hour); err != nil || cl.State != receipts.ClaimNew {
		t.Fatal(cl, err)
	}
	orphan(t, dir, res.RunID)
	runs, err := client.Recover(ctx)
	if err != nil || len(runs) != 1 || runs[0].Outcome != enact.RecoveryKeyClosed {
		t.Fatalf("recovered %+v %v", runs, err)
	}
	again, err := client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, Actor: actor, IdempotencyKey: "key-s"})
	if err != nil || !again.Replayed || again.RunID != res.RunID || again.Status != enact.StatusPass || again.Outputs["already_existed"] != false {
		t.Fatalf("retry: %+v %v", again, err)
	}
}

// kvOf opens a second handle on the test's kv store.
func kvOf(t *testing.T, dir string) *kv.Store {
	k, err := kv.Open(filepath.Join(dir, "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}
