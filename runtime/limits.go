package runtime

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/enact-run/enact/plugins"
)

// What a prebuilt module costs, per thing it declares. Everything below
// is Go heap (or, for linear memories, mappings) that a run's instances
// hold, and all of it counts against env.resources.memory together with
// every linear memory of the run: the plugin's own and the Extism
// kernel's.
//
// The figures are wazero v1.12's representation, read from its source:
//
//   - A table entry is a wasm.Reference, a uintptr: 8 bytes. A table is a
//     []Reference made at its declared minimum; table.grow appends, so a
//     table growing step by step may briefly hold its old and new arrays
//     (up to 3× its size while the old one waits for the collector). The
//     steady size is what is counted.
//   - A global is a decoded wasm.Global in the compiled module (~40 bytes
//     with its constant expression) plus, per instance, a *GlobalInstance
//     (48 bytes, and the pointer) and the engine's 16-byte slot: rounded
//     up to 128 bytes.
//   - An element segment entry is a decoded constant expression in the
//     compiled module (~40 bytes) plus the 8-byte reference an instance
//     holds for a passive segment: 48 bytes.
//   - A data segment byte is a byte: the compiled module keeps a copy
//     (active segments are then also copied into linear memory, which is
//     counted as memory).
//   - A linear memory page is 64 KiB, counted as the guest grows it.
const (
	tableEntryBytes   = 8
	globalBytes       = 128
	elementEntryBytes = 48
	pageBytes         = 65536
	// kernelMemory is the Extism kernel's linear memory at
	// instantiation (16 pages); it grows with the plugin's input, output
	// and the replies of host calls, within the same budget.
	kernelMemory = 16 * pageBytes
)

// modulePlan is how one prebuilt module fits a memory limit.
type modulePlan struct {
	// fixed is what the module's tables, globals and segments claim,
	// charged to the run's budget before instantiation; linear memories
	// are charged as they are allocated and grown.
	fixed uint64
	// maxima are table maximums the runtime writes into the module: for
	// tables the code grows (table.grow) and that declare no maximum, or
	// one beyond what the limit allows.
	maxima map[int]uint32
	// key names the compiled form: the plugin's digest, plus the
	// maximums when the module is rewritten.
	key string
}

// planModule prices what a prebuilt module declares against a memory
// limit. A single declaration over the limit, or all of them together, is
// refused (plugin_error) with a message naming it and its size: nothing is
// compiled or instantiated.
//
// Tables the code can grow get a maximum the module cannot exceed, and
// that maximum is charged in full before the run, because wazero has no
// hook to count table growth as it happens: half of what the limit leaves
// after every declared minimum goes to such tables (shared equally), the
// rest stays for linear memories to grow into. A table whose own maximum
// fits in its share keeps it. Every table.grow on a table the runtime
// bounded is rewritten to trap where it would fail, and that trap is
// reported as memory_limit (see plugins.BoundTables): a guest cannot tell
// a grow refused for the budget from one refused by its own maximum, and
// nearly every guest treats -1 as fatal anyway, so the run ends with the
// code that says why. A table whose code never grows it (what Go, Rust,
// C and TinyGo emit) costs its declared size and nothing more.
func planModule(task string, f *plugins.Footprint, digest string, limit uint64) (*modulePlan, error) {
	refuse := func(format string, args ...any) error {
		return &Error{Code: CodePluginError, Task: task, Message: fmt.Sprintf(format, args...) +
			fmt.Sprintf("; the memory limit is %s", mib(limit))}
	}
	p := &modulePlan{key: digest, maxima: map[int]uint32{}}
	var tables, memories uint64
	for i, t := range f.Tables {
		size := uint64(t.Min) * tableEntryBytes
		if size > limit {
			return nil, refuse("table %d declares a minimum of %d entries (~%s at %d bytes each)", i, t.Min, mib(size), tableEntryBytes)
		}
		tables += size
	}
	for i, m := range f.Memories {
		size := uint64(m.Min) * pageBytes
		if size > limit {
			return nil, refuse("memory %d declares a minimum of %d pages (%s)", i, m.Min, mib(size))
		}
		memories += size
	}
	globals := f.Globals * globalBytes
	if globals > limit {
		return nil, refuse("the module defines %d globals (~%s at %d bytes each)", f.Globals, mib(globals), globalBytes)
	}
	elements := f.ElementEntries * elementEntryBytes
	if e := f.LargestElement; e.Size*elementEntryBytes > limit {
		return nil, refuse("element segment %d holds %d entries (~%s at %d bytes each)", e.Index, e.Size, mib(e.Size*elementEntryBytes), elementEntryBytes)
	}
	if elements > limit {
		return nil, refuse("the module's %d element segments hold %d entries (~%s at %d bytes each)", f.ElementSegments, f.ElementEntries, mib(elements), elementEntryBytes)
	}
	if d := f.LargestData; d.Size > limit {
		return nil, refuse("data segment %d holds %d bytes (%s)", d.Index, d.Size, mib(d.Size))
	}
	if f.DataBytes > limit {
		return nil, refuse("the module's %d data segments hold %d bytes (%s)", f.DataSegments, f.DataBytes, mib(f.DataBytes))
	}
	p.fixed = tables + globals + elements + f.DataBytes
	if total := p.fixed + memories + kernelMemory; total > limit {
		return nil, refuse("the module declares ~%s in all (tables %s, linear memories %s, globals %s, element segments %s, data segments %s, the Extism kernel's memory %s)",
			mib(total), mib(tables), mib(memories), mib(globals), mib(elements), mib(f.DataBytes), mib(kernelMemory))
	}
	// Growth room for tables the code grows.
	var grown []int
	for i, t := range f.Tables {
		if t.Grown && (!t.HasMax || t.Max > t.Min) {
			grown = append(grown, i)
		}
	}
	if len(grown) > 0 {
		left := limit - p.fixed - memories - kernelMemory
		share := left / 2 / uint64(len(grown)) / tableEntryBytes
		for _, i := range grown {
			t := f.Tables[i]
			room := share
			if t.HasMax && uint64(t.Max-t.Min) <= share {
				room = uint64(t.Max - t.Min)
			} else {
				room = min(room, uint64(1<<27)-uint64(t.Min)) // wazero's largest table
				p.maxima[i] = t.Min + uint32(room)
			}
			p.fixed += room * tableEntryBytes
		}
	}
	if len(p.maxima) > 0 {
		var b strings.Builder
		for _, i := range slices.Sorted(maps.Keys(p.maxima)) {
			b.WriteString("," + strconv.Itoa(i) + ":" + strconv.FormatUint(uint64(p.maxima[i]), 10))
		}
		p.key = digest + "+tables" + b.String()
	}
	return p, nil
}

// mib writes a size in MiB, with one decimal below 100 MiB.
func mib(n uint64) string {
	if n < 100<<20 && n%(1<<20) != 0 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatUint(n>>20, 10) + " MiB"
}
