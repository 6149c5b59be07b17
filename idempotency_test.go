package enact_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// counter puts an ever-growing value under one key, so every real
// execution leaves a new version behind.
const counter = `
enact: 1.0.0
id: Counter
description: counts its executions in the kv store
x-enact:
  actions: [kv.put, kv.get]
inputs:
  type: object
  properties:
    name: {type: string}
    ms: {type: integer, default: 0}
tasks:
  - id: count
    type: script
    language: javascript
    code: |
      const until = Date.now() + ms;
      while (Date.now() < until) {}
      const cur = enact.kv.get({ key: name });
      const next = (cur.found ? cur.value : 0) + 1;
      enact.kv.put({ key: name, value: next });
      return { executions: next };
`

func counterCap(t testing.TB) *capabilities.Capability {
	c, err := capabilities.Load([]byte(counter), "counter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	client, _, store := setup(t, "version: 1\nallow: [kv.*]\n")
	ctx := context.Background()
	c := counterCap(t)
	run := func(key string, in map[string]any) (*enact.Result, error) {
		return client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, Actor: policy.Actor{Email: "a@b.c"}, IdempotencyKey: key})
	}
	first, err := run("k1", map[string]any{"name": "x"})
	if err != nil || first.Status != enact.StatusPass || first.Replayed {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := run("k1", map[string]any{"name": "x"})
	if err != nil || !again.Replayed || again.RunID != first.RunID || fmt.Sprint(again.Outputs["executions"]) != "1" || again.Receipt == nil {
		t.Fatalf("replay: %+v %v", again, err)
	}
	// Only one run executed: one receipt, and the counter is at 1.
	if envs, _ := store.List(ctx, receipts.ListOptions{}); len(envs) != 1 {
		t.Errorf("%d receipts after a replay, want 1", len(envs))
	}
	_, err = run("k1", map[string]any{"name": "y"})
	var ie *enact.IdempotencyError
	if !errors.As(err, &ie) || ie.Code != receipts.ClaimMismatch {
		t.Fatalf("other inputs under the same key: %v", err)
	}
	// Without a key every call executes.
	r3, _ := run("", map[string]any{"name": "x"})
	if fmt.Sprint(r3.Outputs["executions"]) != "2" {
		t.Errorf("keyless run: %v", r3.Outputs)
	}
}

func TestSameKeyInFlightIsRefused(t *testing.T) {
	t.Parallel()
	client, _, _ := setup(t, "version: 1\nallow: [kv.*]\n")
	c := counterCap(t)
	const callers = 12
	var wg sync.WaitGroup
	results := make(chan string, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := client.Run(context.Background(), enact.RunRequest{Capability: c, Inputs: map[string]any{"name": "busy", "ms": 300}, IdempotencyKey: "same"})
			var ie *enact.IdempotencyError
			switch {
			case errors.As(err, &ie):
				results <- ie.Code
			case err != nil:
				results <- "error: " + err.Error()
			case res.Replayed:
				results <- "replay"
			default:
				results <- "executed"
			}
		}()
	}
	wg.Wait()
	close(results)
	counts := map[string]int{}
	for r := range results {
		counts[r]++
	}
	if counts["executed"] != 1 || counts["executed"]+counts["replay"]+counts[receipts.ClaimInProgress] != callers {
		t.Fatalf("outcomes %v: want exactly one execution, the rest replays or in_progress", counts)
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot start a process")
	}
	return cmd.Process.Pid
}

func TestCrashedRuns(t *testing.T) {
	t.Parallel()
	client, _, _, dir := setupDir(t, "version: 1\nallow: [kv.*]\n")
	ctx := context.Background()
	c := counterCap(t)
	in := map[string]any{"name": "crash"}
	// Take the key as a run of this request would, then make its holder a
	// process that died.
	if res, err := client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, IdempotencyKey: "probe"}); err != nil || res.Status != enact.StatusPass {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "receipts.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	host, _ := os.Hostname()
	for key, open := range map[string]bool{"died-mid-action": true, "died-between-actions": false} {
		// The ledger names keys per actor (hostfns.RunKey); these runs had
		// no actor.
		if _, err := db.Exec(`INSERT INTO run_keys (key, digest, run_id, state, owner, created, updated)
			SELECT ?, digest, ?, 'running', ?, created, updated FROM run_keys WHERE key = ?`,
			hostfns.RunKey("", key), "run-"+key, fmt.Sprintf("%s:%d", host, deadPID(t)), hostfns.RunKey("", "probe")); err != nil {
			t.Fatal(err)
		}
		state := "completed"
		if open {
			state = "intent"
		}
		if _, err := db.Exec(`INSERT INTO journal (run_id, seq, action, args_digest, action_key, state, created, updated) VALUES (?, 1, 'kv.put', 'sha256:x', 'k:1', ?, 0, 0)`, "run-"+key, state); err != nil {
			t.Fatal(err)
		}
	}
	_, err = client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, IdempotencyKey: "died-mid-action"})
	var ie *enact.IdempotencyError
	if !errors.As(err, &ie) || ie.Code != receipts.ClaimAmbiguous || ie.RunID != "run-died-mid-action" {
		t.Errorf("a run that died mid-action: %v", err)
	}
	res, err := client.Run(ctx, enact.RunRequest{Capability: c, Inputs: in, IdempotencyKey: "died-between-actions"})
	if err != nil || res.Status != enact.StatusPass || res.Replayed {
		t.Errorf("a run that died between actions may run again: %+v %v", res, err)
	}
}

// A run refused before any task ran leaves its key free: the retry is
// judged again by the policy in effect then, not answered with the old
// refusal.
func TestBlockedRunDoesNotHoldItsKey(t *testing.T) {
	t.Parallel()
	strict, err := policy.Load([]byte("version: 1\nallow: [kv.*]\npolicies:\n  - use: require_actor_role\n    with: {allowed_roles: [admin]}\n"), "strict.yaml")
	if err != nil {
		t.Fatal(err)
	}
	open, err := policy.Load([]byte("version: 1\nallow: [kv.*]\n"), "open.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	c := counterCap(t)
	req := enact.RunRequest{Capability: c, Inputs: map[string]any{"name": "blocked-first"}, Actor: policy.Actor{Email: "a@b.c"}, IdempotencyKey: "k-blocked"}
	blocked, err := newClient(t, strict, st.Store, st.KV).Run(t.Context(), req)
	if err != nil || blocked.Status != enact.StatusBlock || blocked.Receipt == nil {
		t.Fatalf("under the strict policy: %+v %v", blocked, err)
	}
	again, err := newClient(t, open, st.Store, st.KV).Run(t.Context(), req)
	if err != nil || again.Status != enact.StatusPass || again.Replayed || fmt.Sprint(again.Outputs["executions"]) != "1" {
		t.Fatalf("the retry under the relaxed policy: %+v %v", again, err)
	}
	// And now the key holds the run that happened.
	replay, err := newClient(t, open, st.Store, st.KV).Run(t.Context(), req)
	if err != nil || !replay.Replayed || replay.RunID != again.RunID {
		t.Fatalf("a retry after the run: %+v %v", replay, err)
	}
}
