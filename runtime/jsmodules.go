package runtime

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental/table"

	"github.com/enact-run/enact/internal/lazyre"
)

// QuickJS-NG's own modules are closed at start-up, from outside the engine.
//
// The engine's start-up (New_QJS in github.com/fastschema/qjs) registers the
// modules qjs:std, qjs:os and qjs:bjson in its context (files, process
// exit, directory listings, timers, raw bytecode), evaluates a module named
// <init_global> that puts them on the global object, and installs a module
// loader that reads files. Deleting the globals is not enough: import()
// finds a module by name in the context's list of loaded modules first and
// asks the loader only for names not there, and neither the list nor the
// loader can be changed through the engine's exports. So closeModules
// empties the list and removes the loader in the engine's memory, before
// any program runs and before the start-up snapshot is taken. From then on
// every import, static or dynamic, of any specifier, fails inside the engine
// with ReferenceError "could not load module '<name>'", and nothing is read.
//
// The offsets below are those of QuickJS-NG 0.10.1 built for wasm32 in the
// pinned engine (plugins/engines/ENGINES.md). Each is checked against what
// it must hold before anything is written; an engine whose memory does not
// match is refused, so JavaScript never runs with the modules reachable.
const (
	qjsCtxRuntime       = 16  // JSContext.rt
	qjsCtxLoadedModules = 276 // JSContext.loaded_modules: list_head {prev, next}
	// JSRuntime.job_list (an empty list_head at start-up), followed by
	// module_normalize_func, module_loader_func and module_loader_opaque.
	qjsRtJobList = 180
	// JSModuleDef.link, the module's node in loaded_modules; the module's
	// name (an atom) is the word before it.
	qjsModuleLink = 8
)

// qjsStartupModules are the modules the engine's start-up leaves in its
// context, in order.
var qjsStartupModules = []string{"qjs:std", "qjs:os", "qjs:bjson", "<init_global>"}

// closeModules makes every module unreachable in a started QuickJS engine
// whose context is jsctx.
func closeModules(ctx context.Context, m api.Module, jsctx uint32) error {
	mem := m.Memory()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("runtime: javascript: the engine's module registry is not as expected (%s); refusing to run JavaScript with QuickJS's own modules reachable", fmt.Sprintf(format, args...))
	}
	word := func(addr uint32) uint32 {
		v, ok := mem.ReadUint32Le(addr)
		if !ok {
			return 0
		}
		return v
	}
	rt := word(jsctx + qjsCtxRuntime)
	if rt == 0 {
		return fail("the context has no runtime at JSContext+%d", qjsCtxRuntime)
	}

	// The loader: after an empty job list, no normaliser, the engine's own
	// loader (a table index), no opaque value.
	jobs := rt + qjsRtJobList
	loader := word(jobs + 12)
	if word(jobs) != jobs || word(jobs+4) != jobs || word(jobs+8) != 0 || loader == 0 || word(jobs+16) != 0 {
		return fail("no module loader at JSRuntime+%d", qjsRtJobList+12)
	}
	if !tableFunctionIs(m, loader, "QJS_ModuleLoader") {
		return fail("the module loader at JSRuntime+%d is not QJS_ModuleLoader", qjsRtJobList+12)
	}

	// The loaded modules: exactly the start-up's, in order.
	want, err := atomsOf(ctx, m, jsctx, qjsStartupModules)
	if err != nil {
		return err
	}
	head := jsctx + qjsCtxLoadedModules
	prev, node, n := head, word(head+4), 0
	for ; node != head; n++ {
		if n >= len(want) || word(node) != prev || word(node-qjsModuleLink+4) != want[n] {
			return fail("the context's loaded modules are not %v", qjsStartupModules)
		}
		prev, node = node, word(node+4)
	}
	if n != len(want) || word(head) != prev {
		return fail("the context's loaded modules are not %v", qjsStartupModules)
	}

	// Empty the list and remove the loader. The modules stay allocated
	// (the instance is discarded after one run); only their names are gone.
	if !mem.WriteUint32Le(head, head) || !mem.WriteUint32Le(head+4, head) || !mem.WriteUint32Le(jobs+12, 0) {
		return fmt.Errorf("runtime: javascript: write outside guest memory")
	}
	return nil
}

// tableFunctionIs reports whether entry idx of the engine's function table
// is the exported function name, typed as a module loader.
func tableFunctionIs(m api.Module, idx uint32, name string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false // out of range, or another signature
		}
	}()
	i32 := api.ValueTypeI32
	f := table.LookupFunction(m, 0, idx, []api.ValueType{i32, i32, i32}, []api.ValueType{i32})
	for _, n := range f.Definition().ExportNames() {
		if n == name {
			return true
		}
	}
	return false
}

// atomsOf returns the engine's atoms for names. The atoms exist already
// (the modules hold them), so they are released again at once.
func atomsOf(ctx context.Context, m api.Module, jsctx uint32, names []string) ([]uint32, error) {
	malloc, free := m.ExportedFunction("malloc"), m.ExportedFunction("free")
	newAtom, freeAtom := m.ExportedFunction("JS_NewAtom"), m.ExportedFunction("JS_FreeAtom")
	size := 0
	for _, n := range names {
		size += len(n) + 1
	}
	res, err := malloc.Call(ctx, uint64(size))
	if err != nil {
		return nil, err
	}
	buf := uint32(res[0])
	if buf == 0 {
		return nil, errGuestOutOfMemory
	}
	atoms := make([]uint32, 0, len(names))
	for off := buf; len(atoms) < len(names); {
		n := names[len(atoms)]
		if !m.Memory().WriteString(off, n+"\x00") {
			return nil, fmt.Errorf("runtime: write outside guest memory")
		}
		res, err := newAtom.Call(ctx, uint64(jsctx), uint64(off))
		if err != nil {
			return nil, err
		}
		if _, err := freeAtom.Call(ctx, uint64(jsctx), res[0]); err != nil {
			return nil, err
		}
		atoms = append(atoms, uint32(res[0]))
		off += uint32(len(n)) + 1
	}
	if _, err := free.Call(ctx, uint64(buf)); err != nil {
		return nil, err
	}
	return atoms, nil
}

// jsImportRefused matches the engine's error for an import once closeModules
// has run (the loader gone, no module loaded): every import ends so.
var jsImportRefused = lazyre.New(`^could not load module '(?s)(.*)'$`)

// jsImportMessage restates the engine's refusal of an import in the
// sandbox's terms, for the run's error; other messages are returned as is.
func jsImportMessage(typ, msg string) string {
	sub := jsImportRefused.FindStringSubmatch(msg)
	if typ != "ReferenceError" || sub == nil {
		return msg
	}
	return fmt.Sprintf("import of %q is not allowed in the sandbox: capabilities reach the world only through enact", truncate(sub[1], 200))
}
