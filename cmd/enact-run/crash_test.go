package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/crashpoint"
	"github.com/enact-run/enact/internal/pgtest"
)

// crashBin is enact-run built with crash points, once for the package's
// crash tests; TestMain removes its directory.
var crashBin struct {
	once      sync.Once
	dir, path string
	err       error
}

// crashBinary builds (once) and returns enact-run with crash points.
func crashBinary(t *testing.T) string {
	t.Helper()
	crashBin.once.Do(func() {
		if crashBin.dir, crashBin.err = os.MkdirTemp("", "enact-crash-bin-"); crashBin.err != nil {
			return
		}
		crashBin.path = filepath.Join(crashBin.dir, "enact-run")
		if out, err := exec.Command("go", "build", "-tags", "enact_crashpoints", "-o", crashBin.path, ".").CombinedOutput(); err != nil {
			crashBin.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if crashBin.err != nil {
		t.Fatalf("build enact-run with crash points: %v", crashBin.err)
	}
	return crashBin.path
}

// crashSteps is how many actions (rows) one harness run makes.
const crashSteps = 3

// crashTrials is how many trials TestCrashConsistency makes:
// $ENACT_CRASH_TRIALS, else 200 in CI, 60 otherwise, 12 with -short.
func crashTrials(t *testing.T) int {
	if v := os.Getenv("ENACT_CRASH_TRIALS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ENACT_CRASH_TRIALS=%q", v)
		}
		return n
	}
	switch {
	case testing.Short():
		return 12
	case os.Getenv("CI") != "":
		return 200
	}
	return 60
}

// TestCrashConsistency is the crash harness. Each trial runs the real
// enact-run (built with crash points) as a subprocess that inserts
// crashSteps rows into Postgres, one action each, under an idempotency
// key, and kills it with SIGKILL: at a named crash point (before or after
// an action's intent, after the action, after its outcome, inside the
// receipt's transaction, after the receipt) or at a random moment. Then
// `enact-run recover` runs, and the harness checks, before any retry,
// that every row in the table has a journal record of its action marked
// completed and no action marked not_performed left a row, and that no
// action is left open; then the agent's retry with the same key must pass
// and leave exactly one row per step. Trials alternate between the SQLite
// store and a Postgres store; at the end both receipt chains must verify.
func TestCrashConsistency(t *testing.T) {
	trials := crashTrials(t)
	bin := crashBinary(t)
	effects := pgtest.NewDatabase(t, `CREATE TABLE effects (trial integer NOT NULL, step integer NOT NULL)`)
	storeURL := pgtest.NewDatabase(t)
	home := t.TempDir()
	capability, _ := filepath.Abs("testdata/crash/effects.yaml")
	policyFile, _ := filepath.Abs("testdata/crash/policy.yaml")
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ENACT_CRASH_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("crash harness: %d trials, seed %d (ENACT_CRASH_SEED replays it)", trials, seed)
	rng := rand.New(rand.NewPCG(seed, 0x656e616374))

	db, err := pgx.Connect(t.Context(), effects)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())

	baseEnv := append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+home, "ENACT_POSTGRES_URL="+effects, "ENACT_POLICY="+policyFile,
		"ENACT_ACTOR=harness@acme.test", "ENACT_CRASHPOINT=")
	storeEnv := func(kind string) []string {
		if kind == "postgres" {
			return append(baseEnv, "ENACT_STORE_URL="+storeURL)
		}
		return append(baseEnv, "ENACT_STORE_URL=")
	}
	command := func(env []string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd
	}
	runArgs := func(trial int) []string {
		return []string{"run", capability, "--json", "--idempotency-key", fmt.Sprintf("trial-%d", trial),
			"--input", fmt.Sprintf(`{"trial": %d, "steps": %d}`, trial, crashSteps)}
	}

	// Calibrate the random kills on a whole run with the compilation
	// cache warm (the first run fills it).
	var whole time.Duration
	for i := range 2 {
		start := time.Now()
		if out, err := command(storeEnv("sqlite"), runArgs(-i)...).CombinedOutput(); err != nil {
			t.Fatalf("calibration run: %v\n%s", err, out)
		}
		whole = time.Since(start)
	}

	// journal returns the states of the actions of the runs under a key,
	// by seq, from one store.
	lite, err := sql.Open("sqlite", filepath.Join(home, "receipts.db")+"?_pragma=busy_timeout(30000)")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pgJournal, err := sql.Open("pgx", storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pgJournal.Close()
	journalOf := map[string]struct {
		db    *sql.DB
		query string
	}{
		"sqlite":   {lite, `SELECT j.seq, j.state FROM journal j JOIN runs r ON r.run_id = j.run_id WHERE r.run_key = ?`},
		"postgres": {pgJournal, `SELECT j.seq, j.state FROM enact.journal j JOIN enact.runs r ON r.run_id = j.run_id WHERE r.run_key = $1`},
	}
	journal := func(kind, key string) map[int64][]string {
		states := map[int64][]string{}
		// The ledger names the key per actor (ENACT_ACTOR above).
		rows, err := journalOf[kind].db.Query(journalOf[kind].query, hostfns.RunKey("harness@acme.test", key))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var state string
			if err := rows.Scan(&seq, &state); err != nil {
				t.Fatal(err)
			}
			states[seq] = append(states[seq], state)
		}
		return states
	}
	rowsOf := func(trial int) map[int64]int {
		counts := map[int64]int{}
		rows, err := db.Query(t.Context(), `SELECT step, count(*) FROM effects WHERE trial = $1 GROUP BY step`, trial)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var step int64
			var n int
			if err := rows.Scan(&step, &n); err != nil {
				t.Fatal(err)
			}
			counts[step] = n
		}
		return counts
	}

	tally := map[string]int{}
	spent := map[string]time.Duration{} // per phase and store
	timed := func(phase, kind string, since time.Time) { spent[phase+" "+kind] += time.Since(since) }
	for trial := 1; trial <= trials && !t.Failed(); trial++ {
		kind := []string{"sqlite", "postgres"}[trial%2]
		key := fmt.Sprintf("trial-%d", trial)
		env := storeEnv(kind)
		// How this trial's first run dies.
		how := "random"
		var delay time.Duration
		if rng.IntN(4) != 0 {
			point := crashpoint.All[rng.IntN(len(crashpoint.All))]
			nth := 1
			switch point {
			case crashpoint.DuringReceipt, crashpoint.AfterReceipt:
			default:
				nth = 1 + rng.IntN(crashSteps)
			}
			how = fmt.Sprintf("%s:%d", point, nth)
			env = append(env, "ENACT_CRASHPOINT="+how)
		} else {
			delay = time.Duration(rng.Int64N(int64(whole)))
		}
		began := time.Now()
		first := command(env, runArgs(trial)...)
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		if how == "random" {
			time.Sleep(delay)
			_ = first.Process.Signal(syscall.SIGKILL)
		}
		err := first.Wait() // reaped: its pid is dead to the ledger
		timed("crashed run", kind, began)
		killed := false
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
				killed = true
			}
		}
		switch {
		case how != "random" && !killed:
			t.Fatalf("trial %d (%s): the run was not killed at its crash point: %v", trial, how, err)
		case how == "random" && killed:
			tally["random kill"]++
		case how == "random":
			tally["random kill after the run ended"]++
		default:
			tally[strings.SplitN(how, ":", 2)[0]]++
		}

		// Recover. A Postgres owner's lock goes when its server notices
		// the dead connection, a moment after the kill: try a few times.
		began = time.Now()
		var open []string
		attempts := 0
		for attempts < 20 {
			attempts++
			out, err := command(storeEnv(kind), "recover", "--json").Output()
			if err != nil {
				t.Fatalf("trial %d (%s, %s): recover: %v\n%s", trial, how, kind, err, out)
			}
			open = nil
			for seq, states := range journal(kind, key) {
				for _, s := range states {
					if s == "intent" || s == "ambiguous" {
						open = append(open, fmt.Sprintf("#%d %s", seq, s))
					}
				}
			}
			if len(open) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		timed("recover", kind, began)
		if attempts > 1 {
			tally["recover retried (postgres lock not yet released)"]++
		}
		if len(open) > 0 {
			t.Fatalf("trial %d (%s, %s): actions left open after recovery: %v", trial, how, kind, open)
		}
		// Before any retry: every row has its action journaled as
		// completed; no action found not_performed left a row.
		states := journal(kind, key)
		for step, n := range rowsOf(trial) {
			if n != 1 {
				t.Errorf("trial %d (%s, %s): step %d has %d rows", trial, how, kind, step, n)
			}
			completed := false
			for _, s := range states[step] {
				completed = completed || s == "completed"
			}
			if !completed {
				t.Errorf("trial %d (%s, %s): step %d has a row but no completed action in the journal (%v)", trial, how, kind, step, states[step])
			}
		}
		rows := rowsOf(trial)
		for step, ss := range states {
			for _, s := range ss {
				if s == "not_performed" && rows[step] > 0 {
					t.Errorf("trial %d (%s, %s): step %d was judged not performed but has a row", trial, how, kind, step)
				}
			}
		}

		// The agent retries with the same key.
		began = time.Now()
		out, err := command(storeEnv(kind), runArgs(trial)...).Output()
		timed("retry", kind, began)
		var report struct {
			Status   string `json:"status"`
			Replayed bool   `json:"replayed"`
			Error    any    `json:"error"`
		}
		if jerr := json.Unmarshal(out, &report); jerr != nil || err != nil || report.Status != "PASS" {
			t.Fatalf("trial %d (%s, %s): retry: %v %v\n%s", trial, how, kind, err, jerr, out)
		}
		if report.Replayed {
			tally["retry replayed"]++
		} else {
			tally["retry ran again"]++
		}
		rows = rowsOf(trial)
		for step := int64(1); step <= crashSteps; step++ {
			if rows[step] != 1 {
				t.Errorf("trial %d (%s, %s): after the retry step %d has %d rows, want exactly 1", trial, how, kind, step, rows[step])
			}
		}
		if len(rows) != crashSteps {
			t.Errorf("trial %d: rows for steps %v", trial, rows)
		}
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		if out, err := command(storeEnv(kind), "receipts", "verify").CombinedOutput(); err != nil {
			t.Errorf("%s store: receipts verify: %v\n%s", kind, err, out)
		}
	}
	var total int
	if err := db.QueryRow(t.Context(), `SELECT count(*) FROM effects`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	t.Logf("crash harness: %d trials, %d rows (want %d), outcomes %v", trials, total, (trials+2)*crashSteps, tally)
	for phase, d := range spent {
		t.Logf("  %-22s %6.1f ms per trial", phase, float64(d.Milliseconds())/float64(trials/2))
	}
	if total != (trials+2)*crashSteps {
		t.Errorf("%d rows in effects, want %d", total, (trials+2)*crashSteps)
	}
}
