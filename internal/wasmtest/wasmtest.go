// Package wasmtest assembles small binary Wasm modules for tests: a
// hand assembler for exactly the shapes the memory-limit tests need
// (tables, memories, globals, element and data segments, one exported
// function), so hostile modules of any size are built in the test rather
// than committed.
package wasmtest

// Module describes a module with one function, "run" () -> i32, exported
// under that name (and its memory, if any, as "memory").
type Module struct {
	Tables   []Table
	Memories []Limits
	// Globals is the number of immutable i32 globals (each 0).
	Globals  int
	Elements []Element
	Data     []Data
	// Locals is the number of i32 locals of run.
	Locals int
	// Run is the body of run, without its final end; it must leave one
	// i32. Empty means i32.const 0.
	Run []byte
}

// Limits are a table's (entries) or memory's (pages) bounds.
type Limits struct {
	Min, Max uint32
	HasMax   bool
}

// Reference types.
const (
	Funcref   = 0x70
	Externref = 0x6f
)

// Table is one table.
type Table struct {
	Ref byte // Funcref or Externref
	Limits
}

// Element is an element segment of Entries references to run (function
// 0): active at offset 0 of table 0, or passive.
type Element struct {
	Passive bool
	Entries int
}

// Data is a data segment of Size zero bytes: active at offset 0 of memory
// 0, or passive.
type Data struct {
	Passive bool
	Size    int
}

// U32 is the unsigned LEB128 encoding of v.
func U32(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// S32 is the signed LEB128 encoding of v.
func S32(v int32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// I32Const is i32.const v.
func I32Const(v int32) []byte { return append([]byte{0x41}, S32(v)...) }

// TableGrow is table.grow t.
func TableGrow(t uint32) []byte { return append([]byte{0xfc, 15}, U32(t)...) }

// TableSize is table.size t.
func TableSize(t uint32) []byte { return append([]byte{0xfc, 16}, U32(t)...) }

// TableFill is table.fill t.
func TableFill(t uint32) []byte { return append([]byte{0xfc, 17}, U32(t)...) }

// RefNull is ref.null of a reference type.
func RefNull(ref byte) []byte { return []byte{0xd0, ref} }

// RefFunc is ref.func f.
func RefFunc(f uint32) []byte { return append([]byte{0xd2}, U32(f)...) }

// Cat concatenates instruction sequences.
func Cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func section(id byte, body []byte) []byte {
	return append(append([]byte{id}, U32(uint32(len(body)))...), body...)
}

func limits(l Limits) []byte {
	if l.HasMax {
		return Cat([]byte{1}, U32(l.Min), U32(l.Max))
	}
	return Cat([]byte{0}, U32(l.Min))
}

// Bytes assembles the module.
func (m Module) Bytes() []byte {
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	out = append(out, section(1, []byte{1, 0x60, 0, 1, 0x7f})...)
	out = append(out, section(3, []byte{1, 0})...)
	if len(m.Tables) > 0 {
		b := U32(uint32(len(m.Tables)))
		for _, t := range m.Tables {
			b = append(append(b, t.Ref), limits(t.Limits)...)
		}
		out = append(out, section(4, b)...)
	}
	if len(m.Memories) > 0 {
		b := U32(uint32(len(m.Memories)))
		for _, l := range m.Memories {
			b = append(b, limits(l)...)
		}
		out = append(out, section(5, b)...)
	}
	if m.Globals > 0 {
		b := U32(uint32(m.Globals))
		for range m.Globals {
			b = append(b, 0x7f, 0, 0x41, 0, 0x0b)
		}
		out = append(out, section(6, b)...)
	}
	exports := Cat([]byte{3}, []byte("run"), []byte{0, 0})
	n := 1
	if len(m.Memories) > 0 {
		exports = Cat(exports, []byte{6}, []byte("memory"), []byte{2, 0})
		n++
	}
	out = append(out, section(7, Cat(U32(uint32(n)), exports))...)
	if len(m.Elements) > 0 {
		b := U32(uint32(len(m.Elements)))
		for _, e := range m.Elements {
			if e.Passive {
				b = append(b, 1, 0)
			} else {
				b = append(b, 0, 0x41, 0, 0x0b)
			}
			b = append(b, U32(uint32(e.Entries))...)
			b = append(b, make([]byte, e.Entries)...) // function 0 each
		}
		out = append(out, section(9, b)...)
	}
	run := m.Run
	if len(run) == 0 {
		run = I32Const(0)
	}
	var locals []byte
	if m.Locals > 0 {
		locals = Cat([]byte{1}, U32(uint32(m.Locals)), []byte{0x7f})
	} else {
		locals = []byte{0}
	}
	body := Cat(locals, run, []byte{0x0b})
	out = append(out, section(10, Cat([]byte{1}, U32(uint32(len(body))), body))...)
	if len(m.Data) > 0 {
		b := U32(uint32(len(m.Data)))
		for _, d := range m.Data {
			if d.Passive {
				b = append(b, 1)
			} else {
				b = append(b, 0, 0x41, 0, 0x0b)
			}
			b = append(b, U32(uint32(d.Size))...)
			b = append(b, make([]byte, d.Size)...)
		}
		out = append(out, section(11, b)...)
	}
	return out
}

// HostileLimit is the memory limit the Hostile modules are sized for.
const HostileLimit = 8 << 20

// Hostile is a module that claims more memory than HostileLimit, in one
// way each, and how a run of it must end.
type Hostile struct {
	Name string
	Wasm []byte
	// Code is the error code a run ends with: plugin_error for what the
	// module declares, memory_limit for what it grows.
	Code string
	// Message is a part of the error's message.
	Message string
}

// empty is the block type of a loop or block without results.
const empty = 0x40

// Hostiles returns the hostile modules, each a few hundred KiB at most
// except the data segment one (9 MiB).
func Hostiles() []Hostile {
	refFunc0 := RefFunc(0)
	return []Hostile{
		{
			Name:    "huge declared table minimum",
			Wasm:    Module{Tables: []Table{{Funcref, Limits{Min: 100_000_000}}}}.Bytes(),
			Code:    "plugin_error",
			Message: "table 0 declares a minimum of 100000000 entries (~762 MiB at 8 bytes each); the memory limit is 8 MiB",
		},
		{
			Name: "three 100M-entry tables",
			Wasm: Module{Tables: []Table{
				{Funcref, Limits{Min: 100_000_000}}, {Funcref, Limits{Min: 100_000_000}}, {Externref, Limits{Min: 100_000_000}},
			}}.Bytes(),
			Code:    "plugin_error",
			Message: "table 0 declares a minimum of 100000000 entries",
		},
		{
			Name: "tables that only fit one by one",
			Wasm: Module{Tables: []Table{
				{Funcref, Limits{Min: 400_000}}, {Funcref, Limits{Min: 400_000}}, {Externref, Limits{Min: 400_000}},
			}}.Bytes(),
			Code:    "plugin_error",
			Message: "the module declares ~10.2 MiB in all (tables 9.2 MiB,",
		},
		{
			Name:    "externref table minimum",
			Wasm:    Module{Tables: []Table{{Externref, Limits{Min: 50_000_000, Max: 50_000_000, HasMax: true}}}}.Bytes(),
			Code:    "plugin_error",
			Message: "table 0 declares a minimum of 50000000 entries",
		},
		{
			Name:    "many globals",
			Wasm:    Module{Globals: 100_000}.Bytes(),
			Code:    "plugin_error",
			Message: "the module defines 100000 globals (~12.2 MiB at 128 bytes each)",
		},
		{
			Name:    "huge data segment",
			Wasm:    Module{Memories: []Limits{{Min: 1}}, Data: []Data{{Passive: true, Size: 9 << 20}}}.Bytes(),
			Code:    "plugin_error",
			Message: "data segment 0 holds 9437184 bytes (9 MiB); the memory limit is 8 MiB",
		},
		{
			Name:    "huge element segment",
			Wasm:    Module{Tables: []Table{{Funcref, Limits{Min: 1}}}, Elements: []Element{{Passive: true, Entries: 200_000}}}.Bytes(),
			Code:    "plugin_error",
			Message: "element segment 0 holds 200000 entries (~9.2 MiB at 48 bytes each)",
		},
		{
			Name:    "huge memory minimum",
			Wasm:    Module{Memories: []Limits{{Min: 200}}}.Bytes(),
			Code:    "plugin_error",
			Message: "memory 0 declares a minimum of 200 pages (12.5 MiB)",
		},
		{
			Name: "table.grow loop",
			// loop: table.grow 0 (ref.null extern, 100000); drop; br 0
			Wasm: Module{Tables: []Table{{Externref, Limits{}}}, Run: Cat(
				[]byte{0x03, empty}, RefNull(Externref), I32Const(100_000), TableGrow(0), []byte{0x1a, 0x0c, 0, 0x0b},
				I32Const(0))}.Bytes(),
			Code:    "memory_limit",
			Message: "grew table 0 past what its memory limit of 8 MiB allows",
		},
		{
			Name: "one huge table.grow",
			Wasm: Module{Tables: []Table{{Funcref, Limits{Min: 1, Max: 200_000_000, HasMax: true}}}, Run: Cat(
				refFunc0, I32Const(100_000_000), TableGrow(0), []byte{0x1a}, I32Const(0))}.Bytes(),
			Code:    "memory_limit",
			Message: "grew table 0 past what its memory limit of 8 MiB allows",
		},
		{
			Name: "table.grow and table.fill",
			// loop: table.grow 0 (ref.null func, 50000); drop;
			// table.fill 0 (0, ref.func 0, table.size 0); br 0
			Wasm: Module{Tables: []Table{{Funcref, Limits{Min: 0}}, {Externref, Limits{Min: 10}}}, Run: Cat(
				[]byte{0x03, empty}, RefNull(Funcref), I32Const(50_000), TableGrow(0), []byte{0x1a},
				I32Const(0), refFunc0, TableSize(0), TableFill(0), []byte{0x0c, 0, 0x0b},
				I32Const(0))}.Bytes(),
			Code:    "memory_limit",
			Message: "grew table 0 past what its memory limit of 8 MiB allows",
		},
		{
			Name: "second table grown",
			Wasm: Module{Tables: []Table{{Funcref, Limits{Min: 5}}, {Externref, Limits{Min: 0}}}, Run: Cat(
				[]byte{0x03, empty}, RefNull(Externref), I32Const(1_000_000), TableGrow(1), []byte{0x1a, 0x0c, 0, 0x0b},
				I32Const(0))}.Bytes(),
			Code:    "memory_limit",
			Message: "grew table 1 past what its memory limit of 8 MiB allows",
		},
	}
}
