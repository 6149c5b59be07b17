package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/receipts"
)

// compositeReport is the part of `run --json` a composite adds.
type compositeReport struct {
	Status   string            `json:"status"`
	Replayed bool              `json:"replayed"`
	Outputs  map[string]any    `json:"outputs"`
	Error    *report.Error     `json:"error"`
	Steps    []report.Step     `json:"steps"`
	Receipt  receipts.Envelope `json:"receipt"`
}

// TestCompositeCrashRecoverRetry kills enact-run (SIGKILL, at a crash
// point) in the middle of a composite's second step, right after its row
// went into Postgres and before the outcome was journaled; `recover`
// reconciles the step's action with Postgres and frees the keys; the retry
// with the same key replays the first step (its action is not repeated),
// runs the second again (its insert finds its row) and the third, leaving
// exactly one row per step.
func TestCompositeCrashRecoverRetry(t *testing.T) {
	t.Parallel()
	bin := crashBinary(t)
	effects := pgtest.NewDatabase(t, `CREATE TABLE effects (trial integer NOT NULL, step integer NOT NULL)`)
	home := t.TempDir()
	flow, _ := filepath.Abs("testdata/composite/flow.yaml")
	policyFile, _ := filepath.Abs("testdata/crash/policy.yaml")
	env := append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+home, "ENACT_POSTGRES_URL="+effects,
		"ENACT_POLICY="+policyFile, "ENACT_ACTOR=agent@acme.test", "ENACT_STORE_URL=", "ENACT_CRASHPOINT=")
	command := func(extra string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(env[:len(env):len(env)], extra)
		return cmd
	}
	runArgs := []string{"run", flow, "--json", "--idempotency-key", "lead-9", "--input", `{"trial": 9}`}

	db, err := pgx.Connect(t.Context(), effects)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(t.Context())
	rows := func() map[int]int {
		out := map[int]int{}
		r, err := db.Query(t.Context(), `SELECT step, count(*) FROM effects WHERE trial = 9 GROUP BY step`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for r.Next() {
			var step, n int
			if err := r.Scan(&step, &n); err != nil {
				t.Fatal(err)
			}
			out[step] = n
		}
		return out
	}
	lite, err := sql.Open("sqlite", filepath.Join(home, "receipts.db")+"?_pragma=busy_timeout(30000)")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	// journal lists the states of the journaled actions of every run
	// under a step's key.
	journal := func(step string) []string {
		key := hostfns.RunKey("agent@acme.test", enact.StepKey("lead-9", step))
		r, err := lite.Query(`SELECT j.state FROM journal j JOIN runs r ON r.run_id = j.run_id WHERE r.run_key = ? ORDER BY j.run_id, j.seq`, key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var states []string
		for r.Next() {
			var s string
			if err := r.Scan(&s); err != nil {
				t.Fatal(err)
			}
			states = append(states, s)
		}
		return states
	}

	// The second action of the process is the second step's insert.
	err = command("ENACT_CRASHPOINT=after_action:2", runArgs...).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("the run was not killed at its crash point: %v", err)
	}
	if got := rows(); fmt.Sprint(got) != "map[1:1 2:1]" {
		t.Fatalf("rows after the crash: %v, want steps 1 and 2", got)
	}
	if got := journal("second"); fmt.Sprint(got) != "[intent]" {
		t.Fatalf("the second step's journal after the crash: %v", got)
	}

	out, err := command("", "recover", "--json").Output()
	if err != nil {
		t.Fatalf("recover: %v\n%s", err, out)
	}
	var rec struct {
		Runs []enact.RecoveredRun `json:"runs"`
	}
	if err := json.Unmarshal(out, &rec); err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]string{}
	for _, r := range rec.Runs {
		outcomes[r.Key] = r.Outcome
	}
	want := map[string]string{"lead-9": enact.RecoveryKeyReleased, "lead-9/second": enact.RecoverySealed}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Fatalf("recovered %v, want %v\n%s", outcomes, want, out)
	}
	if got := journal("second"); fmt.Sprint(got) != "[completed]" {
		t.Errorf("the second step's action after recovery: %v, want completed (its row is in Postgres)", got)
	}

	out, err = command("", runArgs...).Output()
	var rep compositeReport
	if jerr := json.Unmarshal(out, &rep); err != nil || jerr != nil || rep.Status != enact.StatusPass {
		t.Fatalf("retry: %v %v\n%s", err, jerr, out)
	}
	replayed := map[string]bool{}
	for _, s := range rep.Steps {
		if s.Status != "passed" || s.Receipt == "" || s.RunID == "" {
			t.Errorf("retry step %+v", s)
		}
		replayed[s.ID] = s.Replayed
	}
	if fmt.Sprint(replayed) != "map[first:true second:false third:false]" {
		t.Errorf("replayed steps %v: the first should replay, the others run", replayed)
	}
	if got := fmt.Sprint(rep.Outputs["steps"]); got != "[1 2 3]" {
		t.Errorf("outputs %v", rep.Outputs)
	}
	if got := rows(); fmt.Sprint(got) != "map[1:1 2:1 3:1]" {
		t.Errorf("rows after the retry: %v, want one per step", got)
	}
	// The first step acted once; the second's action ran twice (the
	// crashed run's, reconciled, and the retry's, which found its row).
	if got := journal("first"); fmt.Sprint(got) != "[completed]" {
		t.Errorf("the first step's journal: %v, want one completed action", got)
	}
	if got := journal("second"); len(got) != 2 {
		t.Errorf("the second step's journal: %v, want the crashed and the retried action", got)
	}
	if out, err := command("", "receipts", "verify").CombinedOutput(); err != nil {
		t.Errorf("receipts verify: %v\n%s", err, out)
	}
}

// compositeFiles are a kv composite and its parts, for the CLI tests.
var compositeFiles = map[string]string{
	"put.yaml": `enact: 1.0.0
id: KvPut
description: writes a value
version: 1.0.0
x-enact: {actions: [kv.put]}
inputs: {type: object, properties: {key: {type: string}}, required: [key]}
tasks:
  - {id: put, type: script, language: javascript, code: 'const r = enact.request("kv.put", {key, value: 1}); if (!r.ok) throw new Error(r.error.message); return {key};'}
`,
	"flow.yaml": `enact: 1.0.0
id: KvFlow
description: writes two values, the second only when asked
version: 1.0.0
type: composite
imports: [{id: KvPut, version: 1.0.0}]
inputs: {type: object, properties: {twice: {type: boolean, default: false}}}
flow:
  steps:
    - {id: one, capability: KvPut, inputs: {key: one}}
    - {id: two, capability: KvPut, condition: inputs.twice, inputs: {key: "{{ steps.one.outputs.key + '-two' }}"}}
outputs: {type: object, source: {first: "{{ steps.one.outputs.key }}", second: "{{ steps.two.status }}"}}
`,
	"cycle.yaml": `enact: 1.0.0
id: Cycle
description: a cycle
type: composite
imports: [{id: KvPut, version: 1.0.0}]
flow:
  steps:
    - {id: a, capability: KvPut, dependsOn: [b]}
    - {id: b, capability: KvPut, inputs: {key: "{{ steps.a.outputs.key }}"}}
`,
	"mismatch.yaml": `enact: 1.0.0
id: Mismatch
description: imports a version that is not there
type: composite
imports: [{id: KvPut, version: 2.0.0}]
flow:
  steps:
    - {capability: KvPut, inputs: {key: k}}
`,
}

func TestCompositeCLI(t *testing.T) {
	t.Parallel()
	dir, home := t.TempDir(), t.TempDir()
	for name, data := range compositeFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := invoke(t, home, "", "run", filepath.Join(dir, "flow.yaml"), "--json")
	var rep compositeReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitPass {
		t.Fatalf("run: %d %v\n%s\n%s", code, err, stdout, stderr)
	}
	if len(rep.Steps) != 2 || rep.Steps[0].Status != "passed" || rep.Steps[0].Receipt == "" || rep.Steps[1].Status != "skipped" || rep.Steps[1].RunID != "" {
		t.Errorf("steps %+v", rep.Steps)
	}
	if rep.Outputs["first"] != "one" || rep.Outputs["second"] != "skipped" {
		t.Errorf("outputs %v", rep.Outputs)
	}
	// The step's run is listed under its own capability, and its receipt
	// hash is the one the composite's report gives.
	code, stdout, _ = invoke(t, home, "", "receipts", "list", "--json")
	var listed struct {
		Runs []struct {
			Receipt *receipts.Envelope `json:"receipt"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &listed); err != nil || code != exitPass {
		t.Fatalf("receipts list: %d %v", code, err)
	}
	ids := map[string]string{}
	for _, run := range listed.Runs {
		env := run.Receipt
		var b receipts.Receipt
		if err := json.Unmarshal(env.Body, &b); err != nil {
			t.Fatal(err)
		}
		ids[b.RunID] = b.Capability.ID
		if b.RunID == rep.Steps[0].RunID && env.Hash != rep.Steps[0].Receipt {
			t.Errorf("step receipt hash %s, listed %s", rep.Steps[0].Receipt, env.Hash)
		}
	}
	if ids[rep.Steps[0].RunID] != "KvPut" || len(ids) != 2 {
		t.Errorf("receipts list: %v", ids)
	}
	// The console's page of the composite lists the step's run (the
	// skipped step has none).
	var body receipts.Receipt
	if err := json.Unmarshal(rep.Receipt.Body, &body); err != nil {
		t.Fatal(err)
	}
	keys, err := receipts.OpenKeyring(filepath.Join(home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := receipts.OpenSQLite(t.Context(), filepath.Join(home, "receipts.db"), keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	children, err := compositeSteps(store)(t.Context(), body.RunID)
	store.Close()
	if err != nil || len(children) != 1 || children[0] != rep.Steps[0].RunID {
		t.Errorf("the console's child runs of %s: %v %v, want [%s]", body.RunID, children, err, rep.Steps[0].RunID)
	}
	// The human form names each step.
	_, _, stderr = invoke(t, home, "", "run", filepath.Join(dir, "flow.yaml"), "--input", `{"twice": true}`)
	if !strings.Contains(stderr, "step one (KvPut): passed") || !strings.Contains(stderr, "step two (KvPut): passed") {
		t.Errorf("stderr %q", stderr)
	}

	// validate checks the whole graph.
	code, stdout, _ = invoke(t, home, "", "validate", filepath.Join(dir, "flow.yaml"), filepath.Join(dir, "cycle.yaml"), filepath.Join(dir, "mismatch.yaml"))
	if code != exitInvalid || !strings.Contains(stdout, "ok    "+filepath.Join(dir, "flow.yaml")) ||
		!strings.Contains(stdout, "cycle: the steps form a cycle: a → b → a") ||
		!strings.Contains(stdout, `step "KvPut" (capability KvPut): version mismatch`) {
		t.Errorf("validate: %d\n%s", code, stdout)
	}
	// Imports found through --dir.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "flow.yaml"), []byte(compositeFiles["flow.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := invoke(t, home, "", "validate", filepath.Join(other, "flow.yaml")); code != exitInvalid || !strings.Contains(stdout, "unresolved import") {
		t.Errorf("validate without --dir: %d\n%s", code, stdout)
	}
	if code, stdout, _ := invoke(t, home, "", "validate", "--dir", dir, filepath.Join(other, "flow.yaml")); code != exitPass {
		t.Errorf("validate --dir: %d\n%s", code, stdout)
	}
	code, stdout, stderr = invoke(t, home, "", "run", "--dir", dir, filepath.Join(other, "flow.yaml"), "--dry-run", "--json", "--input", `{"twice": true}`)
	var plan struct {
		Steps   []report.Step   `json:"steps"`
		Actions []report.Action `json:"actions"`
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil || code != exitPass || len(plan.Steps) != 2 || plan.Steps[1].Status != "passed" {
		t.Errorf("run --dir --dry-run: %d %v\n%s\n%s", code, err, stdout, stderr)
	}
	// The dry run's plan: each step's write, planned, named by its step.
	if got := fmt.Sprint(plan.Actions); got != "[{1 kv.put allowed [] true false  one <nil>} {1 kv.put allowed [] true false  two <nil>}]" {
		t.Errorf("dry run actions %s", got)
	}
	// build builds the tasks of every capability the flow runs.
	out := t.TempDir()
	if code, stdout, stderr := invoke(t, home, "", "build", "--dir", dir, filepath.Join(other, "flow.yaml"), "-o", out); code != exitPass || !strings.Contains(stdout, "KvPut/put ") {
		t.Errorf("build: %d\n%s\n%s", code, stdout, stderr)
	}
	// A capability found by id in --dir.
	if code, stdout, stderr := invoke(t, home, "", "run", "KvFlow", "--dir", dir, "--json"); code != exitPass || !strings.Contains(stdout, `"capability": "KvFlow"`) {
		t.Errorf("run KvFlow --dir: %d\n%s\n%s", code, stdout, stderr)
	}
}
