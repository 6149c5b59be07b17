package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progressAfter is how long an engine's preparation may take before the
// CLI says what it is doing: loading from the cache is quicker, a first
// compilation takes seconds.
const progressAfter = time.Second

// isTerminal says whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// preparingNotice returns the runtime's Preparing hook for the CLI: when
// standard error is a terminal, progressNotice on it. Off a terminal it is
// nil: scripts and agents get no chatter.
func (c *cli) preparingNotice(cache string) func(string) func() {
	if !isTerminal(c.stderr) {
		return nil
	}
	return progressNotice(c.stderr, cache, progressAfter)
}

// progressNotice returns a Preparing hook that, when an engine takes
// longer than after to be ready, says so on w, and when it is ready says
// how long it took.
func progressNotice(w io.Writer, cache string, after time.Duration) func(string) func() {
	var mu sync.Mutex
	return func(lang string) func() {
		start := time.Now()
		shown, finished := false, false
		t := time.AfterFunc(after, func() {
			mu.Lock()
			defer mu.Unlock()
			if finished {
				return
			}
			shown = true
			fmt.Fprintf(w, "enact-run: preparing the %s engine (compiled once, then kept in %s)…", lang, cache)
		})
		return func() {
			t.Stop()
			mu.Lock()
			defer mu.Unlock()
			finished = true
			if shown {
				fmt.Fprintf(w, " ready in %.1fs\n", time.Since(start).Seconds())
			}
		}
	}
}
