package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The notice shows only when preparing an engine takes longer than the
// threshold, and then ends its line when the engine is ready; off a
// terminal the CLI installs no hook at all.
func TestProgressNotice(t *testing.T) {
	t.Parallel()
	var slow, quick bytes.Buffer
	done := progressNotice(&slow, "/cache", time.Millisecond)("python")
	time.Sleep(50 * time.Millisecond)
	done()
	if out := slow.String(); !strings.HasPrefix(out, "enact-run: preparing the python engine (compiled once, then kept in /cache)… ready in ") || !strings.HasSuffix(out, "s\n") {
		t.Errorf("slow preparation: %q", out)
	}
	progressNotice(&quick, "/cache", time.Hour)("javascript")()
	if quick.Len() != 0 {
		t.Errorf("quick preparation printed %q", quick.String())
	}
	c := &cli{stderr: &bytes.Buffer{}}
	if c.preparingNotice("/cache") != nil {
		t.Error("a hook is installed although standard error is not a terminal")
	}
}
