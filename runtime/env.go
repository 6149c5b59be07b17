package runtime

import (
	"context"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// instantiateEnv builds the "env" host module of the JavaScript engine:
// QuickJS's bridge to its host (jsFunctionProxy), and a trap for every other
// "env" import the engine declares, so that a guest reaching one stops with
// a clear error instead of undefined data.
func instantiateEnv(ctx context.Context, r wazero.Runtime, live *sync.Map, guests ...wazero.CompiledModule) error {
	b := r.NewHostModuleBuilder("env")
	exported := map[string]bool{}
	i32 := api.ValueTypeI32
	fn := func(name string, f api.GoModuleFunc, params, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).Export(name)
		exported[name] = true
	}

	// QuickJS's bridge to its host: the guest ABI's entry point for
	// JavaScript and the runtime's own bridge (see javascriptProxy).
	fn("jsFunctionProxy", func(ctx context.Context, m api.Module, s []uint64) {
		s[0] = javascriptProxy(ctx, instanceOf(live, m), uint32(s[2]), uint32(s[3]))
	}, []api.ValueType{i32, api.ValueTypeI64, i32, i32}, []api.ValueType{api.ValueTypeI64})
	for _, g := range guests {
		for _, f := range g.ImportedFunctions() {
			mod, name, _ := f.Import()
			if mod != "env" || exported[name] {
				continue
			}
			params, results := f.ParamTypes(), f.ResultTypes()
			trapName := name
			fn(name, func(context.Context, api.Module, []uint64) {
				panic(fmt.Errorf("host function env.%s is not available in the Enact sandbox", trapName))
			}, params, results)
		}
	}
	_, err := b.Instantiate(ctx)
	return err
}
