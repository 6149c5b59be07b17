package receipts

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ledgerStore is a Store with a Ledger, as both database stores are.
type ledgerStore interface {
	Store
	Ledger
}

// ledgerHarness opens handles on one fresh database store; exec runs a
// statement (? placeholders, unqualified tables) on it behind the
// store's back; dead is an owner whose process is gone.
type ledgerHarness struct {
	open func(t *testing.T) ledgerStore
	exec func(t *testing.T, stmt string, args ...any)
	dead func(t *testing.T) string
}

// orphan makes a run's owner a process that is gone, as a crash would.
func (h *ledgerHarness) orphan(t *testing.T, runID string) {
	dead := h.dead(t)
	h.exec(t, `UPDATE runs SET owner = ? WHERE run_id = ?`, dead, runID)
	h.exec(t, `UPDATE run_keys SET owner = ? WHERE run_id = ?`, dead, runID)
}

func sqliteLedger(t *testing.T) *ledgerHarness {
	h := sqliteHarness(t)
	db, err := sql.Open("sqlite", h.location+"?_pragma=busy_timeout(30000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newLedgerHarness(t, h,
		func(t *testing.T, stmt string, args ...any) {
			if _, err := db.Exec(stmt, args...); err != nil {
				t.Fatal(err)
			}
		},
		func(t *testing.T) string {
			// A pid that was this host's and is no more.
			cmd := exec.Command("true")
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
			host, _ := os.Hostname()
			return fmt.Sprintf("%s:%d", host, cmd.Process.Pid)
		})
}

func postgresLedger(t *testing.T) *ledgerHarness {
	h := postgresHarness(t)
	conn, err := pgx.Connect(t.Context(), h.location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	var mu sync.Mutex // one pgx.Conn, one statement at a time
	return newLedgerHarness(t, h,
		func(t *testing.T, stmt string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			if _, err := conn.Exec(context.Background(), "SET search_path = enact"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(context.Background(), rebind(stmt), args...); err != nil {
				t.Fatal(err)
			}
		},
		// An owner nobody holds the lock of: a runner whose connection
		// closed.
		func(*testing.T) string { return "gone:1/dead" })
}

// newLedgerHarness opens the store harness h's stores as ledgers.
func newLedgerHarness(t *testing.T, h *harness, exec func(t *testing.T, stmt string, args ...any), dead func(t *testing.T) string) *ledgerHarness {
	signers, _ := testKeys(t, 1)
	return &ledgerHarness{
		open: func(t *testing.T) ledgerStore { return h.open(t, signers).(ledgerStore) },
		exec: exec,
		dead: dead,
	}
}

func TestSQLiteLedger(t *testing.T)   { t.Parallel(); testLedger(t, sqliteLedger) }
func TestPostgresLedger(t *testing.T) { t.Parallel(); testLedger(t, postgresLedger) }

// intent is a journal entry of run for tests.
func intent(run string, seq int64, key string) Intent {
	return Intent{
		Run: JournalRun{RunID: run, Key: key, Capability: Capability{ID: "kv/put", Version: "1.0.0", Digest: "sha256:ab"},
			Actor: Actor{Email: "agent@acme.test"}, Started: testTime},
		Seq: seq, Action: "kv.put", ArgsDigest: "sha256:cd", ActionKey: fmt.Sprintf("%s:%d", key, seq),
		Args: json.RawMessage(`{"key":"k","value":1}`),
	}
}

// testLedger is the contract every Ledger implementation passes.
func testLedger(t *testing.T, newHarness func(t *testing.T) *ledgerHarness) {
	const day = 24 * time.Hour
	claim := func(t *testing.T, l Ledger, key, digest, run string) Claim {
		t.Helper()
		c, err := l.ClaimKey(t.Context(), key, digest, run, day)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("claim, finish, replay, mismatch", func(t *testing.T) {
		t.Parallel()
		l := newHarness(t).open(t)
		if c := claim(t, l, "k1", "d1", "run-1"); c.State != ClaimNew || c.RunID != "run-1" {
			t.Fatalf("first claim = %+v", c)
		}
		if c := claim(t, l, "k1", "d1", "run-2"); c.State != ClaimInProgress || c.RunID != "run-1" {
			t.Fatalf("claim while running = %+v", c)
		}
		if err := l.FinishKey(t.Context(), "k1", "run-2", json.RawMessage(`{}`)); err == nil {
			t.Fatal("a run that does not hold the key finished it")
		}
		if err := l.FinishKey(t.Context(), "k1", "run-1", json.RawMessage(`{"status":"PASS"}`)); err != nil {
			t.Fatal(err)
		}
		c := claim(t, l, "k1", "d1", "run-3")
		if c.State != ClaimReplay || c.RunID != "run-1" || string(c.Result) != `{"status":"PASS"}` {
			t.Fatalf("claim after finish = %+v (%s)", c, c.Result)
		}
		if c := claim(t, l, "k1", "d2", "run-4"); c.State != ClaimMismatch || c.Reason == "" {
			t.Fatalf("claim with another digest = %+v", c)
		}
	})
	t.Run("expired keys are free again", func(t *testing.T) {
		t.Parallel()
		l := newHarness(t).open(t)
		claim(t, l, "k", "d", "run-1")
		if err := l.FinishKey(t.Context(), "k", "run-1", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
		c, err := l.ClaimKey(t.Context(), "k", "other", "run-2", time.Millisecond)
		if err != nil || c.State != ClaimNew {
			t.Fatalf("claim after retention = %+v, %v", c, err)
		}
	})
	t.Run("a dead holder with an open intent makes the key ambiguous until recovery", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		l := h.open(t)
		claim(t, l, "k", "d", "run-1")
		if err := l.Intend(t.Context(), intent("run-1", 1, "k")); err != nil {
			t.Fatal(err)
		}
		if err := l.Outcome(t.Context(), "run-1", 1, JournalCompleted, json.RawMessage(`{"version":1}`)); err != nil {
			t.Fatal(err)
		}
		if err := l.Intend(t.Context(), intent("run-1", 2, "k")); err != nil {
			t.Fatal(err)
		}
		if got := len(mustUnfinished(t, l)); got != 0 {
			t.Fatalf("a live run is listed as unfinished (%d)", got)
		}
		h.orphan(t, "run-1")
		if c := claim(t, l, "k", "d", "run-2"); c.State != ClaimAmbiguous || c.RunID != "run-1" {
			t.Fatalf("claim = %+v", c)
		}
		runs := mustUnfinished(t, l)
		if len(runs) != 1 {
			t.Fatalf("unfinished = %+v", runs)
		}
		u := runs[0]
		if u.RunID != "run-1" || u.Key != "k" || !u.HoldsKey || u.Sealed || !u.Journaled || u.Capability.ID != "kv/put" || u.Actor.Email != "agent@acme.test" {
			t.Fatalf("unfinished run = %+v", u)
		}
		if len(u.Intents) != 2 || u.Intents[0].State != JournalCompleted || u.Intents[0].Args != nil ||
			u.Intents[1].State != JournalIntent || string(u.Intents[1].Args) != `{"key":"k","value":1}` || u.Intents[1].ActionKey != "k:2" {
			t.Fatalf("intents = %+v", u.Intents)
		}
		// Two recoverers race for the run: one wins.
		other := h.open(t)
		var won atomic.Int32
		var wg sync.WaitGroup
		for _, s := range []Ledger{l, other} {
			wg.Go(func() {
				ok, err := s.TakeOver(t.Context(), "run-1", u.Owner)
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d recoverers took the run over", won.Load())
		}
		if err := l.Outcome(t.Context(), "run-1", 2, JournalNotPerformed, json.RawMessage(`"absent"`)); err != nil {
			t.Fatal(err)
		}
		if err := l.ReleaseKey(t.Context(), "k", "run-1"); err != nil {
			t.Fatal(err)
		}
		if c := claim(t, l, "k", "d", "run-2"); c.State != ClaimNew {
			t.Fatalf("claim after recovery = %+v", c)
		}
	})
	t.Run("an abandoned run is dead again", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		l := h.open(t)
		claim(t, l, "k", "d", "run-1")
		if err := l.Intend(t.Context(), intent("run-1", 1, "k")); err != nil {
			t.Fatal(err)
		}
		h.orphan(t, "run-1")
		u := mustUnfinished(t, l)
		if ok, err := l.TakeOver(t.Context(), "run-1", u[0].Owner); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if c := claim(t, l, "k", "d", "run-2"); c.State != ClaimInProgress {
			t.Fatalf("claim while a recoverer holds the run = %+v", c)
		}
		if n := len(mustUnfinished(t, l)); n != 0 {
			t.Fatalf("a run being recovered is listed (%d)", n)
		}
		if err := l.Abandon(t.Context(), "run-1"); err != nil {
			t.Fatal(err)
		}
		if c := claim(t, l, "k", "d", "run-2"); c.State != ClaimAmbiguous {
			t.Fatalf("claim after abandon = %+v", c)
		}
		if u := mustUnfinished(t, l); len(u) != 1 || u[0].RunID != "run-1" {
			t.Fatalf("unfinished after abandon = %+v", u)
		}
	})
	t.Run("the ledger's clock does not run backwards", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		l := h.open(t)
		claim(t, l, "k", "d", "run-1")
		if err := l.FinishKey(t.Context(), "k", "run-1", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
		if c := claim(t, l, "k", "d", "run-2"); c.State != ClaimReplay {
			t.Fatalf("claim = %+v", c)
		}
		// The ledger once recorded a time two hours ahead of the clock now
		// (the clock was set back since): k, finished just now by the
		// clock, is judged by that time, and its hour has passed.
		claim(t, l, "other", "d", "run-3")
		h.exec(t, `UPDATE run_keys SET updated = updated + ? WHERE key = 'other'`, int64(2*time.Hour))
		c, err := l.ClaimKey(t.Context(), "k", "d", "run-4", time.Hour)
		if err != nil || c.State != ClaimNew {
			t.Fatalf("claim judged by the clock set back: %+v, %v", c, err)
		}
	})
	t.Run("a dead holder whose actions all ended frees the key", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		l := h.open(t)
		claim(t, l, "k", "d", "run-1")
		if err := l.Intend(t.Context(), intent("run-1", 1, "k")); err != nil {
			t.Fatal(err)
		}
		if err := l.Outcome(t.Context(), "run-1", 1, JournalFailed, json.RawMessage(`"conflict"`)); err != nil {
			t.Fatal(err)
		}
		h.orphan(t, "run-1")
		if c := claim(t, l, "k", "d", "run-2"); c.State != ClaimNew {
			t.Fatalf("claim = %+v", c)
		}
	})
	t.Run("a run sealed before its key was closed is listed as sealed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		l := h.open(t)
		claim(t, l, "k", "d", "run-0007")
		r := sampleReceipt(7)
		if _, err := l.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		h.orphan(t, "run-0007")
		runs := mustUnfinished(t, l)
		if len(runs) != 1 || !runs[0].Sealed || !runs[0].HoldsKey || runs[0].Journaled {
			t.Fatalf("unfinished = %+v", runs)
		}
	})
	t.Run("outcomes are checked", func(t *testing.T) {
		t.Parallel()
		l := newHarness(t).open(t)
		if err := l.Outcome(t.Context(), "nope", 1, JournalCompleted, nil); err == nil {
			t.Error("outcome of an intent that does not exist")
		}
		if err := l.Intend(t.Context(), intent("run-1", 1, "")); err != nil {
			t.Fatal(err)
		}
		if err := l.Outcome(t.Context(), "run-1", 1, "done", nil); err == nil {
			t.Error("outcome state done accepted")
		}
		if err := l.Intend(t.Context(), intent("run-1", 1, "")); err == nil {
			t.Error("the same intent journaled twice")
		}
	})
	t.Run("concurrent claims of one key: exactly one wins", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		stores := []Ledger{h.open(t), h.open(t)}
		var won atomic.Int32
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				c, err := stores[i%2].ClaimKey(t.Context(), "k", "d", fmt.Sprintf("run-%d", i), day)
				if err != nil {
					t.Error(err)
					return
				}
				switch c.State {
				case ClaimNew:
					won.Add(1)
				case ClaimInProgress:
				default:
					t.Errorf("claim = %+v", c)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d claims won", won.Load())
		}
	})
	t.Run("counters count a sliding window, shared by handles", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		a, b := h.open(t).(Counters), h.open(t).(Counters)
		ctx := t.Context()
		reserve := func(c Counters, key string, window time.Duration) (int64, string) {
			t.Helper()
			n, tok, err := c.Reserve(ctx, key, window)
			if err != nil {
				t.Fatal(err)
			}
			return n, tok
		}
		n1, _ := reserve(a, "k", time.Hour)
		n2, tok2 := reserve(b, "k", time.Hour)
		n3, _ := reserve(a, "k", time.Hour)
		if n1 != 1 || n2 != 2 || n3 != 3 {
			t.Fatalf("counts %d %d %d, want 1 2 3", n1, n2, n3)
		}
		if err := a.Release(ctx, tok2); err != nil {
			t.Fatal(err)
		}
		if n, _ := reserve(b, "k", time.Hour); n != 3 {
			t.Fatalf("after a release: %d, want 3", n)
		}
		if n, _ := reserve(a, "other", time.Hour); n != 1 {
			t.Fatalf("another key: %d, want 1", n)
		}
		reserve(a, "short", time.Millisecond)
		time.Sleep(3 * time.Millisecond)
		if n, _ := reserve(a, "short", time.Millisecond); n != 1 {
			t.Fatalf("an event older than the window still counts: %d", n)
		}
		if _, _, err := a.Reserve(ctx, "k", 0); err == nil {
			t.Error("a zero window was accepted")
		}
		// Concurrent reservations get distinct counts.
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				n, _, err := []Counters{a, b}[i%2].Reserve(ctx, "burst", time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[n] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		for i := int64(1); i <= 20; i++ {
			if !seen[i] {
				t.Fatalf("concurrent counts %v: %d missing", seen, i)
			}
		}
		// Prune drops the expired events only.
		if n, err := h.open(t).Prune(ctx, 24*time.Hour); err != nil || n != 2 {
			t.Fatalf("prune = %d, %v; want the 2 expired events", n, err)
		}
		if n, _ := reserve(a, "burst", time.Hour); n != 21 {
			t.Fatalf("prune dropped live events: %d, want 21", n)
		}
	})
	t.Run("prune forgets old finished keys and sealed journals", func(t *testing.T) {
		t.Parallel()
		l := newHarness(t).open(t)
		claim(t, l, "k", "d", "run-0003")
		if err := l.Intend(t.Context(), intent("run-0003", 1, "k")); err != nil {
			t.Fatal(err)
		}
		if err := l.Outcome(t.Context(), "run-0003", 1, JournalCompleted, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(t.Context(), sampleReceipt(3)); err != nil {
			t.Fatal(err)
		}
		if err := l.FinishKey(t.Context(), "k", "run-0003", json.RawMessage(`{}`)); err != nil {
			t.Fatal(err)
		}
		if n, err := l.Prune(t.Context(), day); err != nil || n != 0 {
			t.Fatalf("prune of young records = %d, %v", n, err)
		}
		time.Sleep(2 * time.Millisecond)
		n, err := l.Prune(t.Context(), time.Millisecond)
		if err != nil || n < 2 {
			t.Fatalf("prune = %d, %v", n, err)
		}
		if c := claim(t, l, "k", "d2", "run-9"); c.State != ClaimNew {
			t.Fatalf("claim after prune = %+v", c)
		}
		if _, err := l.Get(t.Context(), "run-0003"); err != nil {
			t.Fatalf("prune lost a receipt: %v", err)
		}
	})
}

func mustUnfinished(t *testing.T, l Ledger) []UnfinishedRun {
	t.Helper()
	runs, err := l.Unfinished(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return runs
}
