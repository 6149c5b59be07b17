package runtime

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental/table"
	"github.com/tetratelabs/wazero/sys"
)

// errLongjmp is what _emscripten_throw_longjmp raises; the invoke_*
// trampoline that catches it turns it into emscripten's setThrew(1, 0).
var errLongjmp = errors.New("emscripten longjmp")

// emscriptenCalls implements emscripten's invoke_* trampolines (indirect
// calls that catch longjmp, which MicroPython uses for every exception
// handler). wazero ships an implementation, but it creates a new function
// object, with its own call stack, for the target and for each helper on
// every call: 1.5 MB of garbage per Python run. This one keeps, per guest
// instance, the helper functions and a free list of target functions per
// table slot. A target is taken off the list while it runs, so a recursive
// invoke of the same slot gets a function object of its own.
type emscriptenCalls struct {
	states sync.Map // api.Module -> *emscriptenState
}

type emscriptenState struct {
	getCurrent, restore, setThrew api.Function
	free                          map[invokeKey][]api.Function
}

type invokeKey struct {
	offset uint32
	sig    string
}

// attach prepares the state for a new guest instance.
func (e *emscriptenCalls) attach(m api.Module) {
	e.states.Store(m, &emscriptenState{
		getCurrent: m.ExportedFunction("emscripten_stack_get_current"),
		restore:    m.ExportedFunction("_emscripten_stack_restore"),
		setThrew:   m.ExportedFunction("setThrew"),
		free:       map[invokeKey][]api.Function{},
	})
}

// detach forgets a closed instance.
func (e *emscriptenCalls) detach(m api.Module) { e.states.Delete(m) }

// export adds invoke_* and _emscripten_throw_longjmp for every such import
// of the guests to the builder, and returns the names it exported.
func (e *emscriptenCalls) export(b wazero.HostModuleBuilder, guests ...wazero.CompiledModule) map[string]bool {
	done := map[string]bool{}
	for _, g := range guests {
		for _, f := range g.ImportedFunctions() {
			mod, name, _ := f.Import()
			if mod != "env" || done[name] {
				continue
			}
			switch {
			case name == "_emscripten_throw_longjmp":
				b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {
					panic(errLongjmp)
				}), nil, nil).Export(name)
			case strings.HasPrefix(name, "invoke_") && len(f.ParamTypes()) > 0:
				params, results := f.ParamTypes(), f.ResultTypes()
				b.NewFunctionBuilder().WithGoModuleFunction(e.invoke(name, params[1:], results), params, results).Export(name)
			default:
				continue
			}
			done[name] = true
		}
	}
	return done
}

func (e *emscriptenCalls) invoke(sig string, params, results []api.ValueType) api.GoModuleFunc {
	return func(ctx context.Context, m api.Module, stack []uint64) {
		v, ok := e.states.Load(m)
		if !ok {
			panic(errors.New("emscripten call from an unknown instance"))
		}
		st := v.(*emscriptenState)
		key := invokeKey{offset: uint32(stack[0]), sig: sig}
		copy(stack, stack[1:])
		var f api.Function
		if list := st.free[key]; len(list) > 0 {
			f, st.free[key] = list[len(list)-1], list[:len(list)-1]
		} else {
			f = table.LookupFunction(m, 0, key.offset, params, results)
		}
		var saved [2]uint64
		if err := st.getCurrent.CallWithStack(ctx, saved[:]); err != nil {
			panic(err)
		}
		err := f.CallWithStack(ctx, stack)
		st.free[key] = append(st.free[key], f)
		if err == nil {
			return
		}
		var exit *sys.ExitError
		if errors.As(err, &exit) {
			panic(err)
		}
		if rerr := st.restore.CallWithStack(ctx, saved[:]); rerr != nil {
			panic(rerr)
		}
		if !errors.Is(err, errLongjmp) {
			panic(err)
		}
		saved[0], saved[1] = 1, 0
		if terr := st.setThrew.CallWithStack(ctx, saved[:]); terr != nil {
			panic(terr)
		}
	}
}
