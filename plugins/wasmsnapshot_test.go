package plugins_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/enact-run/enact/internal/wasmtest"
	"github.com/enact-run/enact/plugins"
)

// asm assembles a module for the ForImage tests from raw section bodies:
// types, then sections in the order given.
type asm struct {
	sections [][]byte
}

func (a *asm) add(id byte, body ...[]byte) *asm {
	b := wasmtest.Cat(body...)
	a.sections = append(a.sections, wasmtest.Cat([]byte{id}, wasmtest.U32(uint32(len(b))), b))
	return a
}

func (a *asm) bytes() []byte {
	return wasmtest.Cat(append([][]byte{{0, 'a', 's', 'm', 1, 0, 0, 0}}, a.sections...)...)
}

func vec(items ...[]byte) []byte {
	return wasmtest.Cat(append([][]byte{wasmtest.U32(uint32(len(items)))}, items...)...)
}

func name(s string) []byte { return wasmtest.Cat(wasmtest.U32(uint32(len(s))), []byte(s)) }

func body(code ...[]byte) []byte {
	b := wasmtest.Cat(append([][]byte{{0}}, append(code, []byte{0x0b})...)...)
	return wasmtest.Cat(wasmtest.U32(uint32(len(b))), b)
}

// imageTestModule has one memory of one page, a mutable i32 global (100),
// an immutable i64 one, active segments "hello" at 16 and "xyz" at 100
// around a passive "world", and functions exercising them:
//
//	get() -> i32         global 0
//	set()                global 0 = 7
//	copy_passive()       memory.init 1 (to 200, 5 bytes); data.drop 1
//	init_active(n i32)   memory.init 0 (to 0, n bytes from 0)
func imageTestModule() []byte {
	memInit := func(seg byte) []byte { return []byte{0xfc, 8, seg, 0} }
	return (&asm{}).
		add(1, vec([]byte{0x60, 0, 1, 0x7f}, []byte{0x60, 0, 0}, []byte{0x60, 1, 0x7f, 0})).
		add(3, vec([]byte{0}, []byte{1}, []byte{1}, []byte{2})).
		add(5, vec([]byte{0, 1})).
		add(6, vec(wasmtest.Cat([]byte{0x7f, 1}, wasmtest.I32Const(100), []byte{0x0b}), []byte{0x7e, 0, 0x42, 5, 0x0b})).
		add(7, vec(
			wasmtest.Cat(name("get"), []byte{0, 0}), wasmtest.Cat(name("set"), []byte{0, 1}),
			wasmtest.Cat(name("copy_passive"), []byte{0, 2}), wasmtest.Cat(name("init_active"), []byte{0, 3}),
			wasmtest.Cat(name("memory"), []byte{2, 0}))).
		add(12, []byte{3}).
		add(10, vec(
			body([]byte{0x23, 0}),
			body(wasmtest.I32Const(7), []byte{0x24, 0}),
			body(wasmtest.I32Const(200), wasmtest.I32Const(0), wasmtest.I32Const(5), memInit(1), []byte{0xfc, 9, 1}),
			body(wasmtest.I32Const(0), wasmtest.I32Const(0), []byte{0x20, 0}, memInit(0)),
		)).
		add(11, vec(
			wasmtest.Cat([]byte{0}, wasmtest.I32Const(16), []byte{0x0b}, name("hello")),
			wasmtest.Cat([]byte{1}, name("world")),
			wasmtest.Cat([]byte{2, 0}, wasmtest.I32Const(100), []byte{0x0b}, name("xyz")),
		)).
		add(0, name("a custom section"), []byte("kept")).
		bytes()
}

// The rewritten module writes nothing at instantiation; with its active
// data segments written by the host it behaves as the original, memory.init
// and data.drop included, and its mutable global is exported.
func TestForImage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	orig := imageTestModule()
	im, err := plugins.ForImage(orig)
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Data) != 2 || im.Data[0].Offset != 16 || string(im.Data[0].Bytes) != "hello" ||
		im.Data[1].Offset != 100 || string(im.Data[1].Bytes) != "xyz" || im.MemoryMin != 1 {
		t.Fatalf("data: %+v, minimum %d", im.Data, im.MemoryMin)
	}
	if len(im.Globals) != 1 || im.Globals[0] != (plugins.ImageGlobal{Index: 0, Export: "enact.image.global.0", Type: 0x7f}) {
		t.Fatalf("globals: %+v", im.Globals)
	}
	fp, err := plugins.ModuleFootprint(im.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	if fp.DataSegments != 3 || fp.DataBytes != 13 {
		t.Errorf("the rewritten module has %d data segments of %d bytes, want 3 of 13", fp.DataSegments, fp.DataBytes)
	}
	if !bytes.Contains(im.Wasm, []byte("a custom section")) {
		t.Error("the custom section was lost")
	}

	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	inst := func(w []byte, name string) api.Module {
		m, err := rt.InstantiateWithConfig(ctx, w, wazero.NewModuleConfig().WithName(name))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := inst(orig, "orig"), inst(im.Wasm, "image")
	if mem, _ := b.Memory().Read(0, 65536); !bytes.Equal(mem, make([]byte, 65536)) {
		t.Fatal("instantiating the rewritten module wrote into its memory")
	}
	for _, d := range im.Data {
		b.Memory().Write(d.Offset, d.Bytes)
	}
	for _, m := range []api.Module{a, b} {
		if _, err := m.ExportedFunction("copy_passive").Call(ctx); err != nil {
			t.Fatalf("%s: passive segment: %v", m.Name(), err)
		}
		// wazero keeps an active segment's bytes after instantiation
		// (the specification drops them): the rewrite keeps that.
		if _, err := m.ExportedFunction("init_active").Call(ctx, 2); err != nil {
			t.Errorf("%s: memory.init of 2 bytes of an active segment: %v", m.Name(), err)
		}
		if _, err := m.ExportedFunction("init_active").Call(ctx, 6); err == nil || !strings.Contains(err.Error(), "out of bounds") {
			t.Errorf("%s: memory.init of 6 bytes of a 5-byte segment: %v, want out of bounds", m.Name(), err)
		}
		if _, err := m.ExportedFunction("copy_passive").Call(ctx); err == nil {
			t.Errorf("%s: the passive segment was not dropped", m.Name())
		}
	}
	ma, _ := a.Memory().Read(0, 65536)
	mb, _ := b.Memory().Read(0, 65536)
	if !bytes.Equal(ma, mb) {
		t.Error("the memories differ")
	}
	if string(mb[0:2]) != "he" || string(mb[16:21]) != "hello" || string(mb[100:103]) != "xyz" || string(mb[200:205]) != "world" {
		t.Errorf("memory: %q %q %q", mb[16:21], mb[100:103], mb[200:205])
	}
	g, ok := b.ExportedGlobal("enact.image.global.0").(api.MutableGlobal)
	if !ok || g.Get() != 100 {
		t.Fatalf("exported global: %v", g)
	}
	if _, err := b.ExportedFunction("set").Call(ctx); err != nil || g.Get() != 7 {
		t.Errorf("after set: %d (%v)", g.Get(), err)
	}
	g.Set(42)
	if res, err := b.ExportedFunction("get").Call(ctx); err != nil || res[0] != 42 {
		t.Errorf("get after the host set 42: %v (%v)", res, err)
	}
}

// A module without an export section gets one, in its place among the
// sections.
func TestForImageAddsExportSection(t *testing.T) {
	t.Parallel()
	w := (&asm{}).
		add(5, vec([]byte{0, 1})).
		add(6, vec(wasmtest.Cat([]byte{0x7e, 1, 0x42, 9, 0x0b}))).
		add(11, vec(wasmtest.Cat([]byte{0}, wasmtest.I32Const(0), []byte{0x0b}, name("a")))).
		bytes()
	im, err := plugins.ForImage(w)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := rt.Instantiate(ctx, im.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	if g := m.ExportedGlobal("enact.image.global.0"); g == nil || g.Get() != 9 || g.Type() != api.ValueTypeI64 {
		t.Errorf("exported global: %v", g)
	}
}

// Modules whose start-up state is not all in their memory and mutable
// globals are refused, each with its reason.
func TestForImageRefuses(t *testing.T) {
	t.Parallel()
	mem := []byte{0, 1}
	run := func(code ...[]byte) []byte {
		return (&asm{}).
			add(1, vec([]byte{0x60, 0, 0})).add(3, vec([]byte{0})).
			add(4, vec([]byte{0x70, 0, 1})).add(5, vec(mem)).
			add(10, vec(body(code...))).bytes()
	}
	for _, tc := range []struct {
		name, want string
		w          []byte
	}{
		{"start function", "start function", (&asm{}).add(1, vec([]byte{0x60, 0, 0})).add(3, vec([]byte{0})).
			add(5, vec(mem)).add(8, []byte{0}).add(10, vec(body())).bytes()},
		{"table.set", "table.set 0", run(wasmtest.I32Const(0), wasmtest.RefNull(wasmtest.Funcref), []byte{0x26, 0})},
		{"table.grow", "table.grow 0", run(wasmtest.RefNull(wasmtest.Funcref), wasmtest.I32Const(1), wasmtest.TableGrow(0), []byte{0x1a})},
		{"table.fill", "table.fill 0", run(wasmtest.I32Const(0), wasmtest.RefNull(wasmtest.Funcref), wasmtest.I32Const(1), wasmtest.TableFill(0))},
		{"imported memory", "imports env.mem (memory)", (&asm{}).add(2, vec(wasmtest.Cat(name("env"), name("mem"), []byte{2, 0, 1}))).bytes()},
		{"imported global", "imports env.g (global)", (&asm{}).add(2, vec(wasmtest.Cat(name("env"), name("g"), []byte{3, 0x7f, 0}))).add(5, vec(mem)).bytes()},
		{"no memory", "defines 0 memories", (&asm{}).add(6, vec([]byte{0x7f, 1, 0x41, 0, 0x0b})).bytes()},
		{"shared memory", "memory is shared", (&asm{}).add(5, vec([]byte{3, 1, 1})).bytes()},
		{"mutable externref global", "global 0 is mutable and of type 0x6f", (&asm{}).add(5, vec(mem)).add(6, vec([]byte{0x6f, 1, 0xd0, 0x6f, 0x0b})).bytes()},
		{"offset from a global", "data segment 0 has an offset that is not an i32.const", (&asm{}).add(5, vec(mem)).
			add(6, vec([]byte{0x7f, 0, 0x41, 0, 0x0b})).add(11, vec(wasmtest.Cat([]byte{0, 0x23, 0, 0x0b}, name("a")))).bytes()},
		{"segment beyond the minimum", "data segment 0 (2 bytes at 65535) lies outside the memory's 1 pages", (&asm{}).add(5, vec(mem)).
			add(11, vec(wasmtest.Cat([]byte{0}, wasmtest.I32Const(65535), []byte{0x0b}, name("ab")))).bytes()},
		{"export name taken", `already exports a name "enact.image.global.0"`, (&asm{}).add(5, vec(mem)).
			add(6, vec([]byte{0x7f, 1, 0x41, 0, 0x0b})).add(7, vec(wasmtest.Cat(name("enact.image.global.0"), []byte{2, 0}))).bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plugins.ForImage(tc.w)
			if !errors.Is(err, plugins.ErrNoImage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrNoImage naming %q", err, tc.want)
			}
		})
	}
}

// The pinned engines can start from an image. QuickJS's one mutable
// global is its stack pointer.
func TestForImageOfEngines(t *testing.T) {
	t.Parallel()
	w, err := plugins.JavaScript().Wasm()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := plugins.ModuleFootprint(w)
	if err != nil {
		t.Fatal(err)
	}
	im, err := plugins.ForImage(w)
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, d := range im.Data {
		n += uint64(len(d.Bytes))
	}
	if len(im.Data) != int(fp.DataSegments) || n != fp.DataBytes || len(im.Globals) != 1 || im.Globals[0].Index != 0 {
		t.Errorf("%d segments of %d bytes (module: %d of %d), globals %+v", len(im.Data), n, fp.DataSegments, fp.DataBytes, im.Globals)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, im.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cm.ExportedFunctions()["New_QJS"]; !ok {
		t.Error("the rewritten module lost its exports")
	}
}

// FuzzForImage feeds arbitrary bytes to ForImage: nothing panics, and
// whatever it rewrites decodes again with the same sections and data.
func FuzzForImage(f *testing.F) {
	f.Add(imageTestModule())
	f.Add(wasmtest.Module{
		Memories: []wasmtest.Limits{{Min: 1}},
		Globals:  2,
		Data:     []wasmtest.Data{{Size: 3}, {Passive: true, Size: 2}},
	}.Bytes())
	f.Fuzz(func(t *testing.T, w []byte) {
		im, err := plugins.ForImage(w)
		if err != nil {
			if !errors.Is(err, plugins.ErrNotWasm) && !errors.Is(err, plugins.ErrNoImage) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		before, _ := plugins.ModuleFootprint(w)
		after, err := plugins.ModuleFootprint(im.Wasm)
		if err != nil {
			t.Fatalf("the rewritten module does not decode: %v", err)
		}
		var moved uint64
		for _, d := range im.Data {
			moved += uint64(len(d.Bytes))
		}
		if after.DataSegments != before.DataSegments || after.DataBytes != before.DataBytes || moved > before.DataBytes ||
			after.Globals != before.Globals || len(after.Memories) != 1 || after.Memories[0] != before.Memories[0] {
			t.Fatalf("footprint %+v after the rewrite, %+v before (%d bytes moved)", after, before, moved)
		}
		again, err := plugins.ForImage(im.Wasm)
		if len(im.Globals) == 0 && (err != nil || len(again.Data) != 0 || !bytes.Equal(again.Wasm, im.Wasm)) {
			t.Fatalf("rewriting twice: %v", err)
		}
	})
}

// RewriteForImage leaves the code unread; CheckImageCode is what refuses
// code that changes a table.
func TestCheckImageCodeApart(t *testing.T) {
	t.Parallel()
	w := (&asm{}).
		add(1, vec([]byte{0x60, 0, 0})).add(3, vec([]byte{0})).
		add(4, vec([]byte{0x70, 0, 1})).add(5, vec([]byte{0, 1})).
		add(10, vec(body(wasmtest.I32Const(0), wasmtest.I32Const(0), []byte{0xfc, 12, 0, 0}))).
		bytes()
	if _, err := plugins.RewriteForImage(w); err != nil {
		t.Fatalf("RewriteForImage: %v", err)
	}
	err := plugins.CheckImageCode(w)
	if !errors.Is(err, plugins.ErrNoImage) || !strings.Contains(err.Error(), "table.init on table 0") {
		t.Errorf("CheckImageCode: %v", err)
	}
	if err := plugins.CheckImageCode(imageTestModule()); err != nil {
		t.Errorf("CheckImageCode of a module that changes no table: %v", err)
	}
}
