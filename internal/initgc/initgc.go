// Package initgc holds the garbage collector off while the process's
// packages initialise, until the program gives it back.
//
// Package initialisation of enact-run allocates 3–4 MB, most of which
// stays live (compiled JSON Schema meta-schemas, protobuf descriptors, CEL
// declarations). That crosses the collector's first 4 MB goal, so without
// this every process, even `enact-run --help`, ran one collection it did
// not need: a mark of the whole heap and a sweep, and on a virtual machine,
// where a page fault costs tens of microseconds, some 200 fresh pages for
// the collector's own work lists. Deferring it changes no result: a
// command that goes on allocating collects as soon as [Restore] runs, with
// the user's GOGC.
//
// The collector is off from the point this package initialises (the
// linker orders it before the heaviest dependencies, not before all) until
// Restore, which enact-run calls before any command runs (not for --help,
// which only prints). GOMEMLIMIT keeps working meanwhile: a memory limit
// still triggers a collection while GOGC is off.
package initgc

import "runtime/debug"

// previous is the collector's setting before this package turned it off:
// 100, or what the GOGC environment variable says.
var previous = debug.SetGCPercent(-1)

// Restore sets the collector back to the setting it had before package
// initialisation (GOGC's). Calling it again sets the same value again.
func Restore() { debug.SetGCPercent(previous) }
