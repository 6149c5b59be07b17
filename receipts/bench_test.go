package receipts

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
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

func BenchmarkAppendSQLite(b *testing.B) {
	signers, _ := testKeys(b, 1)
	s, err := OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "enact.db"), signers)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Append(b.Context(), benchReceipt(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
}

func BenchmarkAppendDir(b *testing.B) {
	signers, _ := testKeys(b, 1)
	s, err := OpenDir(filepath.Join(b.TempDir(), "receipts"), signers)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Append(b.Context(), benchReceipt(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
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

// BenchmarkAppendSQLiteParallel appends from 16 goroutines per CPU: group commit
// writes what they queue in one transaction.
func BenchmarkAppendSQLiteParallel(b *testing.B) {
	signers, _ := testKeys(b, 1)
	s, err := OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "enact.db"), signers)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
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
}
