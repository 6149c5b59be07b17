package main

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact/internal/initgc"
)

// The tests call the package's functions without going through a
// command: they get the collector back before any of them runs.
func init() { initgc.Restore() }

// TestCommandsRunWithTheCollectorOn: the collector held off during package
// initialisation is back before a command runs. Root's PersistentPreRun
// gives it back, and cobra runs only the nearest such hook, so no
// subcommand may define its own.
func TestCommandsRunWithTheCollectorOn(t *testing.T) {
	root := (&cli{getenv: os.Getenv}).rootCommand()
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			if sub.PersistentPreRun != nil || sub.PersistentPreRunE != nil {
				t.Errorf("%q defines a PersistentPreRun, so root's (which restores the collector) would not run for it", sub.CommandPath())
			}
			walk(sub)
		}
	}
	walk(root)

	want := debug.SetGCPercent(-1) // as a fresh process has it
	defer debug.SetGCPercent(want)
	if code, _, errOut := invoke(t, t.TempDir(), "", "version"); code != exitPass {
		t.Fatalf("version: exit %d: %s", code, errOut)
	}
	got := debug.SetGCPercent(want)
	if got != want {
		t.Fatalf("after a command the collector's setting is %d, want %d (GOGC=%q)", got, want, os.Getenv("GOGC"))
	}
}
