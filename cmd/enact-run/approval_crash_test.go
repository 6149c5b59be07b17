package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// approvalCrashCapability notes a merge in audit, then merges (a row in
// merges); the policy holds the merge for a maintainer.
const approvalCrashCapability = `enact: 1.0.0
id: approval-crash
description: notes a merge, then merges; the merge is held for approval
version: 1.0.0
x-enact:
  actions: [postgres.insert_row]
inputs:
  type: object
  properties:
    pr: {type: string}
  required: [pr]
tasks:
  - id: merge
    type: script
    language: javascript
    code: |
      enact.postgres.insert_row({ table: "audit", values: { pr } });
      const r = enact.postgres.insert_row({ table: "merges", values: { pr } });
      return { inserted: r.inserted };
`

const approvalCrashPolicy = `version: 1
actors:
  - email: agent@acme.test
    roles: [agent]
  - email: lead@acme.test
    roles: [maintainer]
allow: [postgres.insert_row, postgres.select_rows]
postgres:
  tables:
    audit: [pr]
    merges: [pr]
policies:
  - use: require_approval
    name: maintainer_merges
    actions: [postgres.insert_row]
    with:
      when: 'action.target.name == "merges"'
      approver_roles: [maintainer]
`

// TestApprovalCrashBetweenApprovalAndAction kills the real enact-run
// (built with crash points) with SIGKILL on the approved retry of a held
// action: after the held action's intent is journaled, and after the
// connector acted but before its outcome is recorded. `enact-run recover`
// then reconciles the run, and the agent's next retry with the same key
// passes: in every trial the held merge happened exactly once.
func TestApprovalCrashBetweenApprovalAndAction(t *testing.T) {
	// Its home, databases and processes are its own: it runs beside the
	// package's other tests rather than alone before them.
	t.Parallel()
	bin := crashBinary(t)
	began := time.Now()
	effects := pgtest.NewDatabase(t, `CREATE TABLE audit (pr text NOT NULL)`, `CREATE TABLE merges (pr text NOT NULL)`)
	storeURL := pgtest.NewDatabase(t)
	home, dir := t.TempDir(), t.TempDir()
	capFile := filepath.Join(dir, "merge.yaml")
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(capFile, []byte(approvalCrashCapability), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policyFile, []byte(approvalCrashPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+home, "ENACT_POSTGRES_URL="+effects,
		"ENACT_POLICY="+policyFile, "ENACT_ACTOR=agent@acme.test", "ENACT_STORE_URL="+storeURL, "ENACT_CRASHPOINT=")
	command := func(crash string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(env, "ENACT_CRASHPOINT="+crash)
		return cmd
	}
	type report struct {
		Status    string `json:"status"`
		ReceiptID string `json:"receipt_id"`
		Replayed  bool   `json:"replayed"`
		Error     *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	run := func(key, pr string) report {
		t.Helper()
		out, _ := command("", "run", capFile, "--json", "--idempotency-key", key, "--input", fmt.Sprintf(`{"pr": %q}`, pr)).Output()
		var r report
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("run %s: %v\n%s", key, err, out)
		}
		return r
	}
	db, err := pgx.Connect(t.Context(), effects)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	rows := func(table, pr string) int {
		var n int
		if err := db.QueryRow(t.Context(), `SELECT count(*) FROM `+table+` WHERE pr = $1`, pr).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var approver *enact.Client
	journal, err := pgx.Connect(t.Context(), storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer journal.Close(context.Background())
	openIntents := func(key string) int {
		var n int
		err := journal.QueryRow(t.Context(), `SELECT count(*) FROM enact.journal j JOIN enact.runs r ON r.run_id = j.run_id
			WHERE r.run_key = $1 AND j.state IN ('intent', 'ambiguous')`, hostfns.RunKey("agent@acme.test", key)).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	ctx := context.Background()
	// A held run killed after its PENDING receipt is stored, before it
	// gave its key back: recovery treats the receipt as finished and
	// frees the key, so the retry is held again on the same request
	// rather than replaying PENDING or being refused.
	{
		key := "approval-crash-held"
		crashed := command("after_receipt", "run", capFile, "--json", "--idempotency-key", key, "--input", `{"pr": "200"}`)
		var ee *exec.ExitError
		if err := crashed.Run(); !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
			t.Fatalf("the held run was not killed after its receipt: %v", err)
		}
		for attempt := 0; ; attempt++ {
			out, err := command("", "recover", "--json").Output()
			if err != nil {
				t.Fatalf("recover: %v\n%s", err, out)
			}
			var rec struct {
				Runs []enact.RecoveredRun `json:"runs"`
			}
			if err := json.Unmarshal(out, &rec); err != nil {
				t.Fatalf("recover: %v\n%s", err, out)
			}
			if len(rec.Runs) == 1 && rec.Runs[0].Key == key {
				if rec.Runs[0].Outcome != enact.RecoveryKeyReleased {
					t.Fatalf("recovery of the held run: %+v, want its key released", rec.Runs[0])
				}
				break
			}
			if attempt == 20 {
				t.Fatalf("recovery never took the held run over: %s", out)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if r := run(key, "200"); r.Status != enact.StatusPending || r.Replayed {
			t.Fatalf("retry of the recovered held run: %+v", r)
		}
		if n := rows("merges", "200"); n != 0 {
			t.Fatalf("%d merges rows for a held run", n)
		}
	}
	trial := 0
	// The crash points are exact, so one trial each says all there is.
	for _, point := range []string{"after_intent:2", "after_action:2"} {
		trial++
		key, pr := fmt.Sprintf("approval-crash-%d", trial), fmt.Sprint(200+trial)
		held := run(key, pr)
		if held.Status != enact.StatusPending || held.Error == nil || held.Error.Code != hostfns.CodeApprovalRequired {
			t.Fatalf("trial %d: first run %+v, want PENDING approval_required", trial, held)
		}
		if approver == nil { // the store and its keys exist after the first run
			approver = approvalClient(t, home, storeURL, policyFile)
		}
		reqs, err := approver.Approvals(ctx, receipts.ApprovalFilter{RunID: held.ReceiptID})
		if err != nil || len(reqs) != 1 {
			t.Fatalf("trial %d: requests of run %s: %+v %v", trial, held.ReceiptID, reqs, err)
		}
		if _, err := approver.Decide(ctx, reqs[0].ID, policy.Actor{Email: "lead@acme.test"}, true, "crash trial"); err != nil {
			t.Fatalf("trial %d: approve: %v", trial, err)
		}

		// The approved retry dies at the crash point on the held action
		// (the second mutating action: the first is the audit note).
		crashed := command(point, "run", capFile, "--json", "--idempotency-key", key, "--input", fmt.Sprintf(`{"pr": %q}`, pr))
		err = crashed.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("trial %d (%s): the retry was not killed at its crash point: %v", trial, point, err)
		}
		// Recover; a dead Postgres session's lock goes a moment after the
		// kill, so recovery may need a few tries.
		for attempt := 0; ; attempt++ {
			if out, err := command("", "recover", "--json").CombinedOutput(); err != nil {
				t.Fatalf("trial %d (%s): recover: %v\n%s", trial, point, err, out)
			}
			if openIntents(key) == 0 {
				break
			}
			if attempt == 20 {
				t.Fatalf("trial %d (%s): actions left open after recovery", trial, point)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n := rows("merges", pr); n > 1 {
			t.Fatalf("trial %d (%s): %d merges rows after recovery", trial, point, n)
		}
		done := run(key, pr)
		if done.Status != enact.StatusPass {
			t.Fatalf("trial %d (%s): retry after recovery: %+v", trial, point, done)
		}
		if m, a := rows("merges", pr), rows("audit", pr); m != 1 || a != 1 {
			t.Errorf("trial %d (%s): %d merges and %d audit rows, want exactly 1 of each", trial, point, m, a)
		}
	}
	if out, err := command("", "receipts", "verify").CombinedOutput(); err != nil {
		t.Errorf("receipts verify: %v\n%s", err, out)
	}
	t.Logf("%d trials in %v (the binary built)", trial, time.Since(began).Round(time.Millisecond))
}

// approvalClient is an approver's client over the runners' Postgres store
// and keys: it only decides (no engine, no connectors).
func approvalClient(t *testing.T, home, storeURL, policyFile string) *enact.Client {
	t.Helper()
	keyring, err := receipts.OpenKeyring(filepath.Join(home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := receipts.OpenPostgres(t.Context(), storeURL, keyring.Signers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	data, err := os.ReadFile(policyFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(data, policyFile)
	if err != nil {
		t.Fatal(err)
	}
	gate, err := hostfns.New(hostfns.Config{Policy: p, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return enact.New(nil, gate)
}
