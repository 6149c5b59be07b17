package runtime

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// emscriptenENOSYS is emscripten's errno for "function not implemented"
// (emscripten numbers errno like WASI).
const emscriptenENOSYS = 52

// instantiateEnv builds the "env" host module shared by the interpreter
// modules: emscripten's invoke_* trampolines and longjmp support for
// MicroPython, the few emscripten and MicroPython imports the sandbox
// answers, and a trap for every other import the interpreters declare (the
// browser bridges of the PyScript build and QuickJS's Go proxy), so that a
// guest reaching one stops with a clear error instead of undefined data.
func instantiateEnv(ctx context.Context, r wazero.Runtime, calls *emscriptenCalls, live *sync.Map, guests ...wazero.CompiledModule) error {
	b := r.NewHostModuleBuilder("env")
	exported := calls.export(b, guests...)
	i32, f64 := api.ValueTypeI32, api.ValueTypeF64
	fn := func(name string, f api.GoModuleFunc, params, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).Export(name)
		exported[name] = true
	}

	start := time.Now()
	fn("mp_js_ticks_ms", func(_ context.Context, _ api.Module, s []uint64) {
		s[0] = uint64(uint32(time.Since(start).Milliseconds()))
	}, nil, []api.ValueType{i32})
	fn("mp_js_time_ms", func(_ context.Context, _ api.Module, s []uint64) {
		s[0] = math.Float64bits(float64(time.Now().UnixMilli()))
	}, nil, []api.ValueType{f64})
	fn("mp_js_random_u32", func(_ context.Context, _ api.Module, s []uint64) {
		var v [4]byte
		_, _ = rand.Read(v[:])
		s[0] = uint64(binary.LittleEndian.Uint32(v[:]))
	}, nil, []api.ValueType{i32})
	// No JavaScript object ever proxies a Python one here.
	fn("js_check_existing", func(_ context.Context, _ api.Module, s []uint64) {
		s[0] = uint64(math.MaxUint32) // -1
	}, []api.ValueType{i32}, []api.ValueType{i32})
	// The PyScript build's built-in js module proxies JavaScript's global
	// object. Here the global object has one attribute, enact_host, the
	// guest ABI's entry point (see pythonBridge); every other attribute is
	// missing, so Python code touching js gets AttributeError, not a trap.
	fn("lookup_attr", func(_ context.Context, m api.Module, s []uint64) {
		name, ok := readCString(m, uint32(s[1]), 256)
		if !ok || uint32(s[0]) != jsRefGlobalThis || name != "enact_host" {
			s[0] = 0
			return
		}
		if !writeWords(m, uint32(s[2]), jsKindObject, jsRefEnactHost, 0) {
			panic(fmt.Errorf("lookup_attr: result outside guest memory"))
		}
		s[0] = 1
	}, []api.ValueType{i32, i32, i32}, []api.ValueType{i32})
	fn("has_attr", func(_ context.Context, m api.Module, s []uint64) {
		ref := uint32(s[0])
		name, ok := readCString(m, uint32(s[1]), 256)
		s[0] = 0
		if ok && ref == jsRefGlobalThis && name == "enact_host" {
			s[0] = 1
		}
	}, []api.ValueType{i32, i32}, []api.ValueType{i32})
	fn("call1", func(ctx context.Context, m api.Module, s []uint64) {
		pythonBridge(ctx, instanceOf(live, m), uint32(s[0]), uint32(s[2]), uint32(s[3]))
		s[0] = 0
	}, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	// A JsProxy being collected; nothing to release on this side.
	fn("proxy_js_free_obj", func(context.Context, api.Module, []uint64) {}, []api.ValueType{i32}, nil)
	// QuickJS's bridge to its host: the guest ABI's entry point for
	// JavaScript and the runtime's own bridge (see javascriptProxy).
	fn("jsFunctionProxy", func(ctx context.Context, m api.Module, s []uint64) {
		s[0] = javascriptProxy(ctx, instanceOf(live, m), uint32(s[2]), uint32(s[3]))
	}, []api.ValueType{i32, api.ValueTypeI64, i32, i32}, []api.ValueType{api.ValueTypeI64})
	fn("emscripten_resize_heap", resizeHeap, []api.ValueType{i32}, []api.ValueType{i32})
	fn("_abort_js", func(context.Context, api.Module, []uint64) {
		panic(fmt.Errorf("interpreter aborted"))
	}, nil, nil)

	for _, g := range guests {
		for _, f := range g.ImportedFunctions() {
			mod, name, _ := f.Import()
			if mod != "env" || exported[name] {
				continue
			}
			params, results := f.ParamTypes(), f.ResultTypes()
			if len(name) > 10 && name[:10] == "__syscall_" {
				// The interpreters' libc asks for files; there are none.
				enosys := api.EncodeI32(-emscriptenENOSYS)
				fn(name, func(_ context.Context, _ api.Module, s []uint64) {
					s[0] = enosys
				}, params, results)
				continue
			}
			trapName := name
			fn(name, func(context.Context, api.Module, []uint64) {
				panic(fmt.Errorf("host function env.%s is not available in the Enact sandbox", trapName))
			}, params, results)
		}
	}
	_, err := b.Instantiate(ctx)
	return err
}

// resizeHeap grows the guest memory to hold at least the requested number
// of bytes. It answers 0 when the run's memory budget refuses, which
// MicroPython turns into MemoryError. The budget's allocator already grows
// its backing store geometrically, so growing to exactly what was asked is
// cheap.
func resizeHeap(_ context.Context, m api.Module, s []uint64) {
	const page = 65536
	requested := uint64(uint32(s[0]))
	mem := m.Memory()
	old := uint64(mem.Size())
	if requested <= old {
		s[0] = 1
		return
	}
	delta := uint32((requested - old + page - 1) / page)
	if _, ok := mem.Grow(delta); !ok {
		s[0] = 0
		return
	}
	s[0] = 1
}

// writeWords writes little-endian 32-bit words at ptr.
func writeWords(m api.Module, ptr uint32, words ...uint32) bool {
	for i, w := range words {
		if !m.Memory().WriteUint32Le(ptr+uint32(i)*4, w) {
			return false
		}
	}
	return true
}
