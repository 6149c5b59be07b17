// Package bounds holds the time bound of the writes a run makes whatever
// its caller's deadline (a receipt, an action's outcome, a run key's
// result, and any store call made without a deadline), so that the
// packages that make them share one value, receipts.RecordTimeout, and a
// test of a store that stops answering can shorten it for its own
// duration instead of waiting it out several times over. Programs never
// change it.
package bounds

import (
	"sync/atomic"
	"time"
)

// DefaultRecord is the bound in effect unless a test sets another:
// receipts.RecordTimeout.
const DefaultRecord = 15 * time.Second

var record atomic.Int64

func init() { record.Store(int64(DefaultRecord)) }

// Record returns the bound of a write that must outlive its caller's
// deadline.
func Record() time.Duration { return time.Duration(record.Load()) }

// SetRecordForTest makes d the bound until the returned function restores
// the one before. It is for a test that runs alone (not in parallel with
// others): every run of the process sees the new bound.
func SetRecordForTest(d time.Duration) (restore func()) {
	old := record.Swap(int64(d))
	return func() { record.Store(old) }
}
