package initgc_test

import (
	"os"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/enact-run/enact/internal/initgc"
)

// gcPercent reads the collector's setting without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// This test binary calls Restore only in the test: the collector is off
// from the package's init, and Restore gives back GOGC's setting.
func TestRestoreGivesBackGOGC(t *testing.T) {
	if got := gcPercent(); got != -1 {
		t.Fatalf("before Restore the collector's setting is %d, want -1 (off)", got)
	}
	want := 100
	if v := os.Getenv("GOGC"); v == "off" {
		want = -1
	} else if n, err := strconv.Atoi(v); err == nil {
		want = n
	}
	initgc.Restore()
	if got := gcPercent(); got != want {
		t.Fatalf("after Restore the collector's setting is %d, want %d (GOGC=%q)", got, want, os.Getenv("GOGC"))
	}
	debug.SetGCPercent(-1)
	initgc.Restore()
	if got := gcPercent(); got != want {
		t.Fatalf("a second Restore set the collector to %d, want %d", got, want)
	}
}
