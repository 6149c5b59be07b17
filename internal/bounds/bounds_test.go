package bounds

import (
	"testing"
	"time"
)

// A test's bound holds until it restores the one before.
func TestSetRecordForTestRestores(t *testing.T) {
	if got := Record(); got != DefaultRecord {
		t.Fatalf("Record() = %v before any test set it, want %v", got, DefaultRecord)
	}
	restore := SetRecordForTest(time.Second)
	if got := Record(); got != time.Second {
		t.Errorf("Record() = %v under the test's bound, want 1s", got)
	}
	restore()
	if got := Record(); got != DefaultRecord {
		t.Errorf("Record() = %v after restore, want %v", got, DefaultRecord)
	}
}
