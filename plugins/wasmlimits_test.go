package plugins_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tetratelabs/wazero"

	"github.com/enact-run/enact/internal/wasmtest"
	"github.com/enact-run/enact/plugins"
)

func TestModuleFootprint(t *testing.T) {
	t.Parallel()
	w := wasmtest.Module{
		Tables: []wasmtest.Table{
			{Ref: wasmtest.Funcref, Limits: wasmtest.Limits{Min: 3}},
			{Ref: wasmtest.Externref, Limits: wasmtest.Limits{Min: 1, Max: 9, HasMax: true}},
		},
		Memories: []wasmtest.Limits{{Min: 2, Max: 5, HasMax: true}},
		Globals:  7,
		Elements: []wasmtest.Element{{Entries: 3}, {Passive: true, Entries: 11}},
		Data:     []wasmtest.Data{{Size: 10}, {Passive: true, Size: 300}, {Size: 4}},
		Run:      wasmtest.Cat(wasmtest.RefNull(wasmtest.Externref), wasmtest.I32Const(1), wasmtest.TableGrow(1)),
	}.Bytes()
	got, err := plugins.ModuleFootprint(w)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tables) != 2 || got.Tables[0].Min != 3 || got.Tables[0].HasMax || got.Tables[0].Grown ||
		got.Tables[1].RefType != "externref" || got.Tables[1].Max != 9 || !got.Tables[1].Grown {
		t.Errorf("tables: %+v", got.Tables)
	}
	if diff := cmp.Diff([]plugins.Limits{{Min: 2, Max: 5, HasMax: true}}, got.Memories); diff != "" {
		t.Error(diff)
	}
	if got.Globals != 7 || got.ElementSegments != 2 || got.ElementEntries != 14 || got.LargestElement != (plugins.Segment{Index: 1, Size: 11}) ||
		got.DataSegments != 3 || got.DataBytes != 314 || got.LargestData != (plugins.Segment{Index: 1, Size: 300}) {
		t.Errorf("footprint: %+v", got)
	}
}

// The Go plugins in the tree decode fully, and their table is never
// grown (so it costs its declared size and is not rewritten).
func TestModuleFootprintOfGoPlugins(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"examples/textstats/textstats.wasm", "../runtime/testdata/hostile/hostile.wasm"} {
		w, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			t.Fatal(err)
		}
		f, err := plugins.ModuleFootprint(w)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(f.Tables) != 1 || f.Tables[0].Grown || len(f.Memories) != 1 || f.DataBytes == 0 {
			t.Errorf("%s: %+v", p, f)
		}
	}
}

// TestHostileModuleEncodings: malformed or unknown encodings in the
// sections that are priced are refused rather than guessed at.
func TestHostileModuleEncodings(t *testing.T) {
	t.Parallel()
	hdr := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	sec := func(id byte, body ...byte) []byte {
		return append(append(append([]byte(nil), hdr...), id, byte(len(body))), body...)
	}
	table := wasmtest.Module{Tables: []wasmtest.Table{{Ref: wasmtest.Funcref, Limits: wasmtest.Limits{Min: 1}}}}.Bytes()
	for name, w := range map[string][]byte{
		"table count beyond the section":  sec(4, 0xff, 0xff, 0x03, 0x70, 0),
		"unknown table element type":      sec(4, 1, 0x7f, 0, 1),
		"64-bit table limits":             sec(4, 1, 0x70, 0x05, 1, 2),
		"64-bit memory limits":            sec(5, 1, 0x04, 1),
		"memory count beyond the section": sec(5, 0xff, 0xff, 0xff, 0xff, 0x0f, 0),
		"unknown const instruction":       sec(6, 1, 0x7f, 0, 0x10, 0, 0x0b),
		"global without end":              sec(6, 1, 0x7f, 0, 0x41, 0),
		"stray bytes after globals":       sec(6, 1, 0x7f, 0, 0x41, 0, 0x0b, 0x0b, 0x0b, 0x0b),
		"element flags 8":                 sec(9, 1, 8, 0),
		"element count beyond":            sec(9, 1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f),
		"data flags 3":                    sec(11, 1, 3, 0),
		"data size beyond":                sec(11, 1, 1, 0x7f, 1, 2),
		"duplicate table section":         append(table, sec(4, 1, 0x70, 0, 1)[8:]...),
		"unknown instruction in code":     sec(10, 1, 3, 0, 0xff, 0x0b),
		"unknown 0xfc instruction":        sec(10, 1, 4, 0, 0xfc, 0x20, 0x0b),
		"truncated table.grow":            sec(10, 1, 3, 0, 0xfc, 0x0f),
		"br_table count beyond":           sec(10, 1, 7, 0, 0x0e, 0xff, 0xff, 0xff, 0x0f, 0x0b),
	} {
		if _, err := plugins.ModuleFootprint(w); !errors.Is(err, plugins.ErrNotWasm) {
			t.Errorf("%s: err = %v, want ErrNotWasm", name, err)
		}
	}
}

func TestBoundTables(t *testing.T) {
	t.Parallel()
	w := wasmtest.Module{
		Tables: []wasmtest.Table{
			{Ref: wasmtest.Funcref, Limits: wasmtest.Limits{Min: 2}},
			{Ref: wasmtest.Externref, Limits: wasmtest.Limits{Min: 1, Max: 1 << 30, HasMax: true}},
		},
		Locals: 1,
		Run: wasmtest.Cat(
			wasmtest.RefFunc(0), wasmtest.I32Const(3), wasmtest.TableGrow(0), []byte{0x1a},
			wasmtest.RefNull(wasmtest.Externref), wasmtest.I32Const(4), wasmtest.TableGrow(1)),
	}.Bytes()
	b, err := plugins.BoundTables(w, map[int]uint32{0: 10, 1: 20})
	if err != nil {
		t.Fatal(err)
	}
	f, err := plugins.ModuleFootprint(b.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	if f.Tables[0].Max != 10 || !f.Tables[0].HasMax || f.Tables[1].Max != 20 || f.Tables[0].Min != 2 || f.Tables[1].Min != 1 {
		t.Errorf("tables after the bound: %+v", f.Tables)
	}
	// The rewritten table.grows call functions 1 and 2 (run is 0): no
	// table.grow on the bounded tables is left outside them.
	if diff := cmp.Diff(map[uint32]int{1: 0, 2: 1}, b.GrowFuncs); diff != "" {
		t.Error(diff)
	}
	rt := wazero.NewRuntime(context.Background())
	defer rt.Close(context.Background())
	mod, err := rt.Instantiate(context.Background(), b.Wasm)
	if err != nil {
		t.Fatalf("the bounded module does not instantiate: %v", err)
	}
	// run grows table 1 from 1 by 4: the old size, 1.
	if res, err := mod.ExportedFunction("run").Call(context.Background()); err != nil || res[0] != 1 {
		t.Fatalf("run = %v, %v", res, err)
	}
	// Past the bound, the grow traps in the wrapper of table 0.
	w2 := wasmtest.Module{
		Tables: []wasmtest.Table{{Ref: wasmtest.Funcref}},
		Run:    wasmtest.Cat(wasmtest.RefFunc(0), wasmtest.I32Const(11), wasmtest.TableGrow(0)),
	}.Bytes()
	b2, err := plugins.BoundTables(w2, map[int]uint32{0: 10})
	if err != nil {
		t.Fatal(err)
	}
	mod2, err := rt.Instantiate(context.Background(), b2.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mod2.ExportedFunction("run").Call(context.Background()); err == nil || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), ".$1(") {
		t.Fatalf("growing past the bound: %v, want a trap in $1", err)
	}
	if _, err := plugins.BoundTables(w2, map[int]uint32{3: 10}); err == nil {
		t.Error("bounding a table that does not exist succeeded")
	}
}

// FuzzModuleLimits feeds arbitrary bytes to the decoder of the sections
// the runtime prices, and bounds every table of whatever decodes: nothing
// panics, and a bounded module decodes to the same footprint with the
// maximums written.
func FuzzModuleLimits(f *testing.F) {
	for _, h := range wasmtest.Hostiles() {
		if len(h.Wasm) < 1<<20 {
			f.Add(h.Wasm)
		}
	}
	f.Add(wasmtest.Module{
		Tables:   []wasmtest.Table{{Ref: wasmtest.Funcref, Limits: wasmtest.Limits{Min: 2}}},
		Memories: []wasmtest.Limits{{Min: 1}},
		Globals:  2,
		Elements: []wasmtest.Element{{Entries: 2}},
		Data:     []wasmtest.Data{{Size: 3}, {Passive: true, Size: 2}},
		Run:      wasmtest.Cat(wasmtest.RefFunc(0), wasmtest.I32Const(3), wasmtest.TableGrow(0)),
	}.Bytes())
	f.Fuzz(func(t *testing.T, w []byte) {
		fp, err := plugins.ModuleFootprint(w)
		if err != nil {
			return
		}
		maxima := map[int]uint32{}
		for i, tb := range fp.Tables {
			if tb.RefType != "ref" && tb.Min < 1<<30 {
				maxima[i] = tb.Min + 1
			}
		}
		b, err := plugins.BoundTables(w, maxima)
		if err != nil {
			return
		}
		got, err := plugins.ModuleFootprint(b.Wasm)
		if err != nil {
			t.Fatalf("the bounded module does not decode: %v", err)
		}
		for i, m := range maxima {
			if !got.Tables[i].HasMax || got.Tables[i].Max != m || got.Tables[i].Min != fp.Tables[i].Min {
				t.Fatalf("table %d after the bound: %+v, want maximum %d", i, got.Tables[i], m)
			}
		}
		if got.Globals != fp.Globals || got.ElementEntries != fp.ElementEntries || got.DataBytes != fp.DataBytes || len(got.Memories) != len(fp.Memories) {
			t.Fatalf("the bound changed the footprint: %+v, was %+v", got, fp)
		}
	})
}
