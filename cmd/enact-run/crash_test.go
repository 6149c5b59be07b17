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

// crashLanes is how many trials TestCrashConsistency runs at once (an
// even number: trial n runs in lane n % crashLanes, on SQLite when n is
// odd). A trial mostly waits on its subprocesses, so lanes keep both
// cores busy once the package's other tests are done.
const crashLanes = 4

// crashTrials is how many trials TestCrashConsistency makes:
// $ENACT_CRASH_TRIALS, else 200 in CI, 40 otherwise (each named crash
// point about five times, drawn at random), 12 with -short.
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
	return 40
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
//
// The trials run in crashLanes lanes at once, half of them on SQLite
// stores and half on Postgres ones: a lane has its own $ENACT_HOME and its
// own receipt store, so no trial's recovery ever sees another lane's runs,
// and every trial is checked exactly as it would be alone; every lane's
// chain must verify. The crash points come from one seeded sequence, drawn
// before the lanes start, so a seed replays the same trials.
func TestCrashConsistency(t *testing.T) {
	t.Parallel()
	trials := crashTrials(t)
	bin := crashBinary(t)
	effects := pgtest.NewDatabase(t, `CREATE TABLE effects (trial integer NOT NULL, step integer NOT NULL)`)
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

	// Each lane has its own home (keys, kv, and for SQLite the receipt
	// store itself) and, on Postgres, its own database for the store; the
	// journal is read back through db with query.
	type lane struct {
		kind, home, storeURL string
		db                   *sql.DB
		query                string
	}
	lanes := make([]*lane, crashLanes)
	for i := range lanes {
		l := &lane{kind: "postgres", home: t.TempDir()}
		if i%2 == 1 {
			l.kind = "sqlite"
		}
		var err error
		if l.kind == "postgres" {
			l.storeURL = pgtest.NewDatabase(t)
			l.db, err = sql.Open("pgx", l.storeURL)
			l.query = `SELECT j.seq, j.state FROM enact.journal j JOIN enact.runs r ON r.run_id = j.run_id WHERE r.run_key = $1`
		} else {
			l.db, err = sql.Open("sqlite", filepath.Join(l.home, "receipts.db")+"?_pragma=busy_timeout(30000)")
			l.query = `SELECT j.seq, j.state FROM journal j JOIN runs r ON r.run_id = j.run_id WHERE r.run_key = ?`
		}
		if err != nil {
			t.Fatal(err)
		}
		defer l.db.Close()
		lanes[i] = l
	}
	storeEnv := func(l *lane) []string {
		return append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+l.home, "ENACT_POSTGRES_URL="+effects,
			"ENACT_POLICY="+policyFile, "ENACT_ACTOR=harness@acme.test", "ENACT_CRASHPOINT=", "ENACT_STORE_URL="+l.storeURL)
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

	// One whole run in each lane (trials 0, -1, ...) before any kill
	// makes the lane's keys and store; the last calibrates the random
	// kills, with the compilation cache warm (the first run fills it).
	var whole time.Duration
	for i, l := range lanes {
		start := time.Now()
		if out, err := command(storeEnv(l), runArgs(-i)...).CombinedOutput(); err != nil {
			t.Fatalf("calibration run: %v\n%s", err, out)
		}
		whole = time.Since(start)
	}

	// journal returns the states of the actions of the runs under a key,
	// by seq, from one lane's store.
	journal := func(l *lane, key string) (map[int64][]string, error) {
		states := map[int64][]string{}
		// The ledger names the key per actor (ENACT_ACTOR above).
		rows, err := l.db.Query(l.query, hostfns.RunKey("harness@acme.test", key))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var state string
			if err := rows.Scan(&seq, &state); err != nil {
				return nil, err
			}
			states[seq] = append(states[seq], state)
		}
		return states, rows.Err()
	}
	rowsOf := func(trial int) (map[int64]int, error) {
		counts := map[int64]int{}
		rows, err := db.Query(context.Background(), `SELECT step, count(*) FROM effects WHERE trial = $1 GROUP BY step`, trial)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var step int64
			var n int
			if err := rows.Scan(&step, &n); err != nil {
				return nil, err
			}
			counts[step] = n
		}
		return counts, rows.Err()
	}

	// How each trial's first run dies, drawn in trial order from the seed.
	type plan struct {
		how   string // "random", or the crash point and the how-manyeth hit
		delay time.Duration
	}
	plans := make([]plan, trials+1)
	for trial := 1; trial <= trials; trial++ {
		if rng.IntN(4) != 0 {
			point := crashpoint.All[rng.IntN(len(crashpoint.All))]
			nth := 1
			switch point {
			case crashpoint.DuringReceipt, crashpoint.AfterReceipt:
			default:
				nth = 1 + rng.IntN(crashSteps)
			}
			plans[trial] = plan{how: fmt.Sprintf("%s:%d", point, nth)}
		} else {
			plans[trial] = plan{how: "random", delay: time.Duration(rng.Int64N(int64(whole)))}
		}
	}

	var mu sync.Mutex // guards tally, spent, and db (one connection)
	tally := map[string]int{}
	spent := map[string]time.Duration{} // per phase and store
	count := func(what string) { mu.Lock(); tally[what]++; mu.Unlock() }
	timed := func(phase, kind string, since time.Time) {
		mu.Lock()
		spent[phase+" "+kind] += time.Since(since)
		mu.Unlock()
	}
	lockedRows := func(trial int) (map[int64]int, error) { mu.Lock(); defer mu.Unlock(); return rowsOf(trial) }

	// trial runs one trial against kind's store. A fatal problem (the
	// trial cannot go on) is its error; what it finds wrong but can check
	// past is reported with t.Errorf, as it goes.
	trial := func(trial int, l *lane) error {
		kind := l.kind
		key := fmt.Sprintf("trial-%d", trial)
		env := storeEnv(l)
		how, delay := plans[trial].how, plans[trial].delay
		if how != "random" {
			env = append(env, "ENACT_CRASHPOINT="+how)
		}
		began := time.Now()
		first := command(env, runArgs(trial)...)
		if err := first.Start(); err != nil {
			return err
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
			return fmt.Errorf("trial %d (%s): the run was not killed at its crash point: %v", trial, how, err)
		case how == "random" && killed:
			count("random kill")
		case how == "random":
			count("random kill after the run ended")
		default:
			count(strings.SplitN(how, ":", 2)[0])
		}

		// Recover. A Postgres owner's lock goes when its server notices
		// the dead connection, a moment after the kill: try a few times.
		began = time.Now()
		var open []string
		attempts := 0
		for attempts < 20 {
			attempts++
			out, err := command(storeEnv(l), "recover", "--json").Output()
			if err != nil {
				return fmt.Errorf("trial %d (%s, %s): recover: %v\n%s", trial, how, kind, err, out)
			}
			states, err := journal(l, key)
			if err != nil {
				return err
			}
			open = nil
			for seq, states := range states {
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
			count("recover retried (postgres lock not yet released)")
		}
		if len(open) > 0 {
			return fmt.Errorf("trial %d (%s, %s): actions left open after recovery: %v", trial, how, kind, open)
		}
		// Before any retry: every row has its action journaled as
		// completed; no action found not_performed left a row.
		states, err := journal(l, key)
		if err != nil {
			return err
		}
		rows, err := lockedRows(trial)
		if err != nil {
			return err
		}
		for step, n := range rows {
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
		for step, ss := range states {
			for _, s := range ss {
				if s == "not_performed" && rows[step] > 0 {
					t.Errorf("trial %d (%s, %s): step %d was judged not performed but has a row", trial, how, kind, step)
				}
			}
		}

		// The agent retries with the same key.
		began = time.Now()
		out, err := command(storeEnv(l), runArgs(trial)...).Output()
		timed("retry", kind, began)
		var report struct {
			Status   string `json:"status"`
			Replayed bool   `json:"replayed"`
			Error    any    `json:"error"`
		}
		if jerr := json.Unmarshal(out, &report); jerr != nil || err != nil || report.Status != "PASS" {
			return fmt.Errorf("trial %d (%s, %s): retry: %v %v\n%s", trial, how, kind, err, jerr, out)
		}
		if report.Replayed {
			count("retry replayed")
		} else {
			count("retry ran again")
		}
		if rows, err = lockedRows(trial); err != nil {
			return err
		}
		for step := int64(1); step <= crashSteps; step++ {
			if rows[step] != 1 {
				t.Errorf("trial %d (%s, %s): after the retry step %d has %d rows, want exactly 1", trial, how, kind, step, rows[step])
			}
		}
		if len(rows) != crashSteps {
			t.Errorf("trial %d: rows for steps %v", trial, rows)
		}
		return nil
	}

	// Trial n runs in lane n % crashLanes (odd trials on SQLite, even
	// ones on Postgres, as the lanes alternate); a lane stops at its
	// first failure, and every lane stops once one has failed.
	var running sync.WaitGroup
	for i, l := range lanes {
		running.Go(func() {
			first := i
			if first == 0 {
				first = crashLanes
			}
			for n := first; n <= trials && !t.Failed(); n += crashLanes {
				if err := trial(n, l); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	running.Wait()
	if t.Failed() {
		return
	}
	for i, l := range lanes {
		if out, err := command(storeEnv(l), "receipts", "verify").CombinedOutput(); err != nil {
			t.Errorf("lane %d, %s store: receipts verify: %v\n%s", i, l.kind, err, out)
		}
	}
	var total int
	if err := db.QueryRow(t.Context(), `SELECT count(*) FROM effects`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	t.Logf("crash harness: %d trials, %d rows (want %d), outcomes %v", trials, total, (trials+crashLanes)*crashSteps, tally)
	for phase, d := range spent {
		t.Logf("  %-22s %6.1f ms per trial", phase, float64(d.Milliseconds())/float64(trials/2))
	}
	if total != (trials+crashLanes)*crashSteps {
		t.Errorf("%d rows in effects, want %d", total, (trials+crashLanes)*crashSteps)
	}
}
