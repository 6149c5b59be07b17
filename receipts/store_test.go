package receipts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact/internal/pgtest"
)

// harness gives the contract tests a fresh storage location: open returns a
// new handle on it each time (a second handle stands for another process);
// raw, put and remove tamper with the stored envelope of a seq behind the
// store's back.
type harness struct {
	// location is the file, directory or DSN the store lives at.
	location string
	open     func(t *testing.T, signers []Signer) Store
	raw      func(t *testing.T, seq int64) []byte
	put      func(t *testing.T, seq int64, data []byte)
	remove   func(t *testing.T, seq int64)
}

func sqliteHarness(t *testing.T) *harness {
	path := filepath.Join(t.TempDir(), "enact.db")
	var (
		once sync.Once
		db   *sql.DB
	)
	// The tamperer's own handle, without fsync: thousands of tamperings
	// must stay fast.
	tamper := func(t *testing.T) *sql.DB {
		once.Do(func() {
			var err error
			db, err = sql.Open("sqlite", path+"?_pragma=busy_timeout(30000)&_pragma=synchronous(OFF)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		})
		return db
	}
	return &harness{
		location: path,
		open: func(t *testing.T, signers []Signer) Store {
			s, err := OpenSQLite(t.Context(), path, signers)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		raw: func(t *testing.T, seq int64) []byte {
			var b []byte
			if err := tamper(t).QueryRow(`SELECT envelope FROM receipts WHERE seq = ?`, seq).Scan(&b); err != nil {
				t.Fatal(err)
			}
			return b
		},
		put: func(t *testing.T, seq int64, data []byte) {
			if _, err := tamper(t).Exec(`UPDATE receipts SET envelope = ? WHERE seq = ?`, data, seq); err != nil {
				t.Fatal(err)
			}
		},
		remove: func(t *testing.T, seq int64) {
			if _, err := tamper(t).Exec(`DELETE FROM receipts WHERE seq = ?`, seq); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func postgresHarness(t *testing.T) *harness {
	dsn := pgtest.NewDatabase(t)
	var (
		once sync.Once
		conn *pgx.Conn
	)
	tamper := func(t *testing.T) *pgx.Conn {
		once.Do(func() {
			var err error
			conn, err = pgx.Connect(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close(context.Background()) })
		})
		return conn
	}
	return &harness{
		location: dsn,
		open: func(t *testing.T, signers []Signer) Store {
			s, err := OpenPostgres(t.Context(), dsn, signers)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		raw: func(t *testing.T, seq int64) []byte {
			var b []byte
			if err := tamper(t).QueryRow(t.Context(), `SELECT envelope FROM enact.receipts WHERE seq = $1`, seq).Scan(&b); err != nil {
				t.Fatal(err)
			}
			return b
		},
		put: func(t *testing.T, seq int64, data []byte) {
			if _, err := tamper(t).Exec(t.Context(), `UPDATE enact.receipts SET envelope = $1 WHERE seq = $2`, data, seq); err != nil {
				t.Fatal(err)
			}
		},
		remove: func(t *testing.T, seq int64) {
			if _, err := tamper(t).Exec(t.Context(), `DELETE FROM enact.receipts WHERE seq = $1`, seq); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func dirHarness(t *testing.T) *harness {
	dir := filepath.Join(t.TempDir(), "receipts")
	file := func(t *testing.T, seq int64) string {
		m, err := filepath.Glob(filepath.Join(dir, fmt.Sprintf("%0*d-*.json", seqDigits, seq)))
		if err != nil || len(m) != 1 {
			t.Fatalf("receipt file of seq %d: %v %v", seq, m, err)
		}
		return m[0]
	}
	return &harness{
		open: func(t *testing.T, signers []Signer) Store {
			s, err := OpenDir(dir, signers)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		raw: func(t *testing.T, seq int64) []byte {
			b, err := os.ReadFile(file(t, seq))
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		// put rewrites in place: truncating to zero first would make ext4
		// flush on close (auto_da_alloc), a few ms per tampering.
		put: func(t *testing.T, seq int64, data []byte) {
			f, err := os.OpenFile(file(t, seq), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Write(data); err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(int64(len(data))); err != nil {
				t.Fatal(err)
			}
		},
		remove: func(t *testing.T, seq int64) {
			if err := os.Remove(file(t, seq)); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func TestSQLiteStore(t *testing.T)   { t.Parallel(); testStore(t, sqliteHarness) }
func TestDirStore(t *testing.T)      { t.Parallel(); testStore(t, dirHarness) }
func TestPostgresStore(t *testing.T) { t.Parallel(); testStore(t, postgresHarness) }

// testStore is the contract every Store implementation passes.
func testStore(t *testing.T, newHarness func(t *testing.T) *harness) {
	signers, verifiers := testKeys(t, 1)

	// chain appends n sample receipts to a fresh store.
	chain := func(t *testing.T, n int) (*harness, Store, []*Envelope) {
		h := newHarness(t)
		s := h.open(t, signers)
		var envs []*Envelope
		for i := 1; i <= n; i++ {
			env, err := s.Append(t.Context(), sampleReceipt(i))
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, env)
		}
		return h, s, envs
	}

	t.Run("Append assigns seq and prev", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		s := h.open(t, signers)
		prev := ""
		for i := 1; i <= 3; i++ {
			r := sampleReceipt(i)
			r.Seq, r.Prev = 99, "ignored" // Append assigns them
			env, err := s.Append(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			if r.Seq != int64(i) || r.Prev != prev {
				t.Errorf("receipt %d: seq %d prev %q, want seq %d prev %q", i, r.Seq, r.Prev, i, prev)
			}
			got, err := Open(h.raw(t, int64(i)), verifiers)
			if err != nil {
				t.Fatal(err)
			}
			if got.Seq != int64(i) || got.Prev != prev {
				t.Errorf("stored receipt %d: seq %d prev %q", i, got.Seq, got.Prev)
			}
			prev = env.Hash
		}
		report, err := s.Verify(t.Context(), verifiers)
		if err != nil {
			t.Fatal(err)
		}
		if want := (VerifyReport{Verified: 3, HeadSeq: 3, HeadHash: prev, Head: sampleReceipt(3).Timestamp}); !cmp.Equal(report, want) {
			t.Errorf("Verify = %+v, want %+v", report, want)
		}
	})

	t.Run("Append sets a missing timestamp", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).open(t, signers)
		r := sampleReceipt(1)
		r.Timestamp = time.Time{}
		before := time.Now()
		if _, err := s.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		if r.Timestamp.Before(before) || r.Timestamp.After(time.Now()) || r.Timestamp.Location() != time.UTC {
			t.Errorf("timestamp %v, want now in UTC", r.Timestamp)
		}
		if r.Version != FormatVersion {
			t.Errorf("version %q, want %q", r.Version, FormatVersion)
		}
	})

	t.Run("empty store verifies", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).open(t, signers)
		report, err := s.Verify(t.Context(), verifiers)
		if err != nil || report != (VerifyReport{}) {
			t.Errorf("Verify = %+v, %v; want the zero report", report, err)
		}
		if list, err := s.List(t.Context(), ListOptions{}); err != nil || len(list) != 0 {
			t.Errorf("List = %v, %v; want nothing", list, err)
		}
	})

	t.Run("Get", func(t *testing.T) {
		t.Parallel()
		_, s, envs := chain(t, 3)
		for i, want := range envs {
			got, err := s.Get(t.Context(), sampleReceipt(i+1).RunID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Get(%s) mismatch (-appended +got):\n%s", sampleReceipt(i+1).RunID, diff)
			}
		}
		if _, err := s.Get(t.Context(), "run-9999"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get of an unknown run: got %v, want ErrNotFound", err)
		}
	})

	t.Run("rejected appends leave the chain unchanged", func(t *testing.T) {
		t.Parallel()
		_, s, envs := chain(t, 2)
		if _, err := s.Append(t.Context(), sampleReceipt(1)); !errors.Is(err, ErrDuplicate) {
			t.Errorf("Append of a recorded run id: got %v, want ErrDuplicate", err)
		}
		bad := sampleReceipt(3)
		bad.Decision = "MAYBE"
		if _, err := s.Append(t.Context(), bad); err == nil {
			t.Error("Append of an invalid receipt succeeded")
		}
		if bad.Seq != 0 {
			t.Errorf("a failed Append set seq %d", bad.Seq)
		}
		r := sampleReceipt(3)
		if _, err := s.Append(t.Context(), r); err != nil || r.Seq != 3 || r.Prev != envs[1].Hash {
			t.Errorf("Append after rejections: seq %d prev %q err %v; want seq 3 after %s", r.Seq, r.Prev, err, envs[1].Hash)
		}
		if report, err := s.Verify(t.Context(), verifiers); err != nil || report.Verified != 3 {
			t.Errorf("Verify = %+v, %v", report, err)
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		at := func(h, m, s, ms int) time.Time {
			return time.Date(2026, 3, 14, h, m, s, ms*int(time.Millisecond), time.UTC)
		}
		_, s, _ := chain(t, 7) // actors agent(i%3), decisions PASS,BLOCK,FAILED by i%3
		tests := []struct {
			opts ListOptions
			want []int
		}{
			{ListOptions{}, []int{1, 2, 3, 4, 5, 6, 7}},
			{ListOptions{Limit: 2}, []int{1, 2}},
			{ListOptions{After: 5}, []int{6, 7}},
			{ListOptions{After: 2, Limit: 3}, []int{3, 4, 5}},
			{ListOptions{Actor: "agent1@example.com"}, []int{1, 4, 7}},
			{ListOptions{Decision: DecisionPass}, []int{3, 6}},
			{ListOptions{Decision: DecisionBlock, Actor: "agent1@example.com"}, []int{1, 4, 7}},
			{ListOptions{Decision: DecisionBlock, Limit: 1, After: 1}, []int{4}},
			{ListOptions{Capability: "crm/create-contact", After: 6}, []int{7}},
			{ListOptions{Capability: "other"}, nil},
			{ListOptions{After: 7}, nil},
			{ListOptions{Newest: true, Limit: 2}, []int{7, 6}},
			{ListOptions{Newest: true, Before: 4}, []int{3, 2, 1}},
			{ListOptions{Newest: true, Before: 7, Actor: "agent1@example.com", Limit: 1}, []int{4}},
			{ListOptions{Before: 3}, []int{1, 2}},
			{ListOptions{Actor: "AGENT2@Example.com"}, []int{2, 5}},
			{ListOptions{RunIDPrefix: "run-000"}, []int{1, 2, 3, 4, 5, 6, 7}},
			{ListOptions{RunIDPrefix: "run-0003"}, []int{3}},
			{ListOptions{RunIDPrefix: "run-0003x"}, nil},
			{ListOptions{RunIDPrefix: "_"}, nil},
			// Receipt i is stamped 15:(9+i):28.036897 on testTime's day.
			{ListOptions{Since: at(15, 12, 28, 900)}, []int{3, 4, 5, 6, 7}},
			{ListOptions{Since: at(15, 12, 29, 0)}, []int{4, 5, 6, 7}},
			{ListOptions{Since: at(15, 12, 0, 0), Until: at(15, 14, 28, 500)}, []int{3, 4}},
			{ListOptions{Until: at(15, 11, 29, 0), Newest: true}, []int{2, 1}},
		}
		for _, tc := range tests {
			list, err := s.List(t.Context(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, env := range list {
				r, err := env.Verify(verifiers)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, int(r.Seq))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("List(%+v) seqs (-want +got):\n%s", tc.opts, diff)
			}
		}
	})

	t.Run("concurrent appends", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		s := h.open(t, signers)
		appendConcurrently(t, []Store{s}, 8, 25)
		checkContiguous(t, s, verifiers, 200)
	})

	t.Run("concurrent appends of one run id", func(t *testing.T) {
		t.Parallel()
		s := newHarness(t).open(t, signers)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			ok, dups int
		)
		for range 8 {
			wg.Go(func() {
				_, err := s.Append(t.Context(), sampleReceipt(1))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, ErrDuplicate):
					dups++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok != 1 || dups != 7 {
			t.Errorf("%d appends succeeded and %d were duplicates, want 1 and 7", ok, dups)
		}
		checkContiguous(t, s, verifiers, 1)
	})

	t.Run("two handles append concurrently", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		a, b := h.open(t, signers), h.open(t, signers)
		appendConcurrently(t, []Store{a, b}, 8, 25)
		checkContiguous(t, a, verifiers, 200)
		checkContiguous(t, b, verifiers, 200)
	})

	t.Run("key rotation", func(t *testing.T) {
		t.Parallel()
		k, err := OpenKeyring(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		h := newHarness(t)
		before := h.open(t, k.Signers())
		for i := 1; i <= 2; i++ {
			if _, err := before.Append(t.Context(), sampleReceipt(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := k.Rotate(); err != nil {
			t.Fatal(err)
		}
		after := h.open(t, k.Signers())
		for i := 3; i <= 4; i++ {
			if _, err := after.Append(t.Context(), sampleReceipt(i)); err != nil {
				t.Fatal(err)
			}
		}
		if report, err := after.Verify(t.Context(), k.Verifiers()); err != nil || report.Verified != 4 {
			t.Errorf("Verify across a rotation = %+v, %v", report, err)
		}
		var ce *ChainError
		if _, err := after.Verify(t.Context(), keyringVerifiers(t, k.Signers())); !errors.As(err, &ce) || ce.Seq != 1 || !isTyped[*UnknownKeyError](err) {
			t.Errorf("Verify with the new keys only: got %v, want an unknown key at seq 1", err)
		}
	})

	t.Run("tampering", func(t *testing.T) {
		t.Parallel()
		testTampering(t, newHarness, signers, verifiers)
	})
}

func appendConcurrently(t *testing.T, stores []Store, goroutines, each int) {
	t.Helper()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			s := stores[g%len(stores)]
			for i := range each {
				r := sampleReceipt(g*each + i + 1)
				if _, err := s.Append(t.Context(), r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func checkContiguous(t *testing.T, s Store, verifiers []Verifier, n int64) {
	t.Helper()
	report, err := s.Verify(t.Context(), verifiers)
	if err != nil || report.Verified != n || report.HeadSeq != n {
		t.Fatalf("Verify = %+v, %v; want %d receipts", report, err, n)
	}
	list, err := s.List(t.Context(), ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, env := range list {
		r, err := env.Verify(verifiers)
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq != int64(i+1) || seen[r.RunID] {
			t.Fatalf("List[%d]: seq %d run %s (seen before: %v)", i, r.Seq, r.RunID, seen[r.RunID])
		}
		seen[r.RunID] = true
	}
	if int64(len(seen)) != n {
		t.Fatalf("%d distinct runs listed, want %d", len(seen), n)
	}
}

// wantBroken checks that Verify reports the first broken link at seq.
func wantBroken(t *testing.T, s Store, verifiers []Verifier, seq int64, what string) {
	t.Helper()
	report, err := s.Verify(context.Background(), verifiers)
	var ce *ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("%s: Verify = %+v, %v; want a *ChainError at seq %d", what, report, err, seq)
	}
	if ce.Seq != seq || report.Verified != seq-1 {
		t.Fatalf("%s: Verify reports seq %d after %d verified (%v); want seq %d after %d", what, ce.Seq, report.Verified, err, seq, seq-1)
	}
}

// The directory store writes HEAD after the receipt: HEAD one receipt
// behind is an interrupted append, which Verify and Append accept; any
// other HEAD breaks the chain after its last receipt.
func TestDirStoreHead(t *testing.T) {
	t.Parallel()
	signers, verifiers := testKeys(t, 1)
	tests := []struct {
		name   string
		head   func(envs []*Envelope) []byte // nil: remove HEAD
		broken bool
	}{
		{"one behind", func(envs []*Envelope) []byte {
			return []byte(fmt.Sprintf(`{"seq":2,"hash":%q}`, envs[1].Hash))
		}, false},
		{"two behind", func(envs []*Envelope) []byte {
			return []byte(fmt.Sprintf(`{"seq":1,"hash":%q}`, envs[0].Hash))
		}, true},
		{"wrong hash", func(envs []*Envelope) []byte {
			return []byte(fmt.Sprintf(`{"seq":3,"hash":%q}`, envs[1].Hash))
		}, true},
		{"removed", nil, true},
		{"unreadable", func([]*Envelope) []byte { return []byte("{") }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s, err := OpenDir(dir, signers)
			if err != nil {
				t.Fatal(err)
			}
			var envs []*Envelope
			for i := 1; i <= 3; i++ {
				env, err := s.Append(t.Context(), smallReceipt(i))
				if err != nil {
					t.Fatal(err)
				}
				envs = append(envs, env)
			}
			if tc.head == nil {
				err = os.Remove(filepath.Join(dir, headFile))
			} else {
				err = os.WriteFile(filepath.Join(dir, headFile), tc.head(envs), 0o600)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, appendErr := s.Append(t.Context(), smallReceipt(4))
			if !tc.broken {
				if appendErr != nil {
					t.Fatalf("Append: %v", appendErr)
				}
				checkContiguous(t, s, verifiers, 4)
				return
			}
			if appendErr == nil {
				t.Error("Append on an inconsistent store succeeded")
			}
			wantBroken(t, s, verifiers, 4, tc.name)
		})
	}
}
