package runtime

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/enact-run/enact/plugins"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// closeModules writes into the engine's memory only where it finds what it
// expects, and refuses otherwise, so that an engine whose memory differs
// never runs JavaScript with its modules reachable.
func TestCloseModulesChecksBeforeWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// wazero's interpreter: these checks run a few engine start-ups, far
	// cheaper than compiling the engine.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	js, err := plugins.EngineFor("javascript")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := js.Wasm()
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	if err := instantiateWASI(ctx, rt); err != nil {
		t.Fatal(err)
	}
	if err := instantiateEnv(ctx, rt, &sync.Map{}, compiled); err != nil {
		t.Fatal(err)
	}
	// started returns an engine after New_QJS, its modules still open.
	started := func(t *testing.T) (api.Module, uint32) {
		t.Helper()
		mod, err := rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = mod.Close(ctx) })
		res, err := mod.ExportedFunction("New_QJS").Call(ctx, 0, jsMaxStack, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res, err = mod.ExportedFunction("QJS_GetContext").Call(ctx, res[0]); err != nil {
			t.Fatal(err)
		}
		return mod, uint32(res[0])
	}
	word := func(m api.Module, addr uint32) uint32 {
		v, _ := m.Memory().ReadUint32Le(addr)
		return v
	}
	// state is the list head's two words and the loader.
	state := func(m api.Module, jsctx uint32) [3]uint32 {
		head, rt := jsctx+qjsCtxLoadedModules, word(m, jsctx+qjsCtxRuntime)
		return [3]uint32{word(m, head), word(m, head+4), word(m, rt+qjsRtJobList+12)}
	}
	wantRefusal := func(t *testing.T, m api.Module, jsctx uint32) {
		t.Helper()
		before := state(m, jsctx)
		err := closeModules(ctx, m, jsctx)
		if err == nil || !strings.Contains(err.Error(), "refusing to run JavaScript with QuickJS's own modules reachable") {
			t.Fatalf("closeModules: %v", err)
		}
		if after := state(m, jsctx); after != before {
			t.Fatalf("a refused close wrote to the engine: %v, was %v", after, before)
		}
	}

	t.Run("closes", func(t *testing.T) {
		m, jsctx := started(t)
		head := jsctx + qjsCtxLoadedModules
		if got := state(m, jsctx); got[0] == head || got[2] == 0 {
			t.Fatalf("before: %v; want the start-up's modules and a loader", got)
		}
		if err := closeModules(ctx, m, jsctx); err != nil {
			t.Fatal(err)
		}
		if got := state(m, jsctx); got != [3]uint32{head, head, 0} {
			t.Fatalf("after: %v; want an empty list at %#x and no loader", got, head)
		}
		// Closed already: no loader, no modules.
		wantRefusal(t, m, jsctx)
	})
	t.Run("a module of another name", func(t *testing.T) {
		m, jsctx := started(t)
		first := word(m, jsctx+qjsCtxLoadedModules+4)
		m.Memory().WriteUint32Le(first-qjsModuleLink+4, word(m, first-qjsModuleLink+4)+1)
		wantRefusal(t, m, jsctx)
	})
	t.Run("a module too many", func(t *testing.T) {
		m, jsctx := started(t)
		// Make the list's last node point back at its first instead of
		// the head: the walk must stop, and refuse.
		head := jsctx + qjsCtxLoadedModules
		last := word(m, head)
		m.Memory().WriteUint32Le(last+4, word(m, head+4))
		wantRefusal(t, m, jsctx)
	})
	t.Run("jobs pending", func(t *testing.T) {
		m, jsctx := started(t)
		jobs := word(m, jsctx+qjsCtxRuntime) + qjsRtJobList
		m.Memory().WriteUint32Le(jobs, jobs+64)
		wantRefusal(t, m, jsctx)
	})
}
