package receipts

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enact-run/enact/internal/pgtest"
)

// benchReceipt is a receipt whose body is about 1 KiB.
func benchReceipt(i int) *Receipt {
	r := smallReceipt(i)
	r.Inputs = map[string]any{"note": strings.Repeat("x", 300)}
	r.Actions[0].Result, r.Actions[0].Error, r.Actions[0].Decision = json.RawMessage(`{"ok":true}`), nil, ActionAllowed
	r.Seq = 1
	return r
}

func BenchmarkSeal(b *testing.B) {
	signers, _ := testKeys(b, 1)
	r := benchReceipt(1)
	env, err := Seal(r, signers)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Seal(r, signers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(env.Body)), "body-bytes")
}

func BenchmarkOpen(b *testing.B) {
	signers, verifiers := testKeys(b, 1)
	data := sealed(b, benchReceipt(1), signers)
	for b.Loop() {
		if _, err := Open(data, verifiers); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStores opens a fresh store of each kind for a benchmark.
var benchStores = []struct {
	name string
	open func(b *testing.B, signers []Signer) Store
}{
	{"sqlite", func(b *testing.B, signers []Signer) Store {
		s, err := OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "enact.db"), signers)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(b *testing.B, signers []Signer) Store {
		s, err := OpenPostgres(b.Context(), pgtest.NewDatabase(b), signers)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}},
	{"dir", func(b *testing.B, signers []Signer) Store {
		s, err := OpenDir(filepath.Join(b.TempDir(), "receipts"), signers)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
}

// BenchmarkAppend appends receipts one after another: each waits for its
// commit (fsync).
func BenchmarkAppend(b *testing.B) {
	signers, _ := testKeys(b, 1)
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b, signers)
			i := 0
			for b.Loop() {
				i++
				if _, err := s.Append(b.Context(), benchReceipt(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
		})
	}
}

// BenchmarkClaimKey claims idempotency keys: new ones (a write each), and
// finished ones (the replay of a retry).
func BenchmarkClaimKey(b *testing.B) {
	signers, _ := testKeys(b, 1)
	for _, st := range benchStores[:2] {
		b.Run(st.name, func(b *testing.B) {
			l := st.open(b, signers).(Ledger)
			b.Run("new", func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					if c, err := l.ClaimKey(b.Context(), fmt.Sprint("new-", i), "d", fmt.Sprint("run-", i), time.Hour); err != nil || c.State != ClaimNew {
						b.Fatal(c, err)
					}
				}
			})
			b.Run("replay", func(b *testing.B) {
				if _, err := l.ClaimKey(b.Context(), "done", "d", "run-done", time.Hour); err != nil {
					b.Fatal(err)
				}
				if err := l.FinishKey(b.Context(), "done", "run-done", []byte(`{"status":"PASS"}`)); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if c, err := l.ClaimKey(b.Context(), "done", "d", "run-x", time.Hour); err != nil || c.State != ClaimReplay {
						b.Fatal(c, err)
					}
				}
			})
		})
	}
}

func BenchmarkVerifyChain(b *testing.B) {
	const n = 1000
	signers, verifiers := testKeys(b, 1)
	s, err := OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "enact.db"), signers)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 1; i <= n; i++ {
		if _, err := s.Append(b.Context(), benchReceipt(i)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		report, err := s.Verify(b.Context(), verifiers)
		if err != nil || report.Verified != n {
			b.Fatal(report, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/receipt")
}

// BenchmarkAppendParallel appends from 16 goroutines per CPU: group commit
// writes what they queue in one transaction.
func BenchmarkAppendParallel(b *testing.B) {
	signers, _ := testKeys(b, 1)
	for _, st := range benchStores[:2] {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b, signers)
			var next atomic.Int64
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Append(b.Context(), benchReceipt(int(next.Add(1)))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
		})
	}
}
