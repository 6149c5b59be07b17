package runtime

import (
	"fmt"
	"sync"

	"github.com/enact-run/enact/plugins"
)

// engineFloors memoises, per language, the memory an interpreter declares
// it needs to start (its linear memory's initial size): a run whose limit
// is lower cannot start, so Check refuses it before anything runs.
var engineFloors sync.Map // language -> floorResult

type floorResult struct {
	bytes uint64
	err   error
}

// engineFloor returns the initial memory, in bytes, of the interpreter of
// a language, read from its module's memory section without compiling it.
func engineFloor(language string) (uint64, error) {
	if v, ok := engineFloors.Load(language); ok {
		r := v.(floorResult)
		return r.bytes, r.err
	}
	r := floorResult{}
	eng, err := plugins.EngineFor(language)
	if err == nil {
		var wasm []byte
		if wasm, err = eng.Wasm(); err == nil {
			var fp *plugins.Footprint
			if fp, err = plugins.ModuleFootprint(wasm); err == nil && len(fp.Memories) > 0 {
				r.bytes = uint64(fp.Memories[0].Min) * 65536
			}
		}
	}
	r.err = err
	engineFloors.Store(language, r)
	return r.bytes, r.err
}

// checkFloors refuses a memory limit below the floor of an interpreter a
// script task runs on.
func checkFloors(ps []*plugins.Plugin, memLimit uint64) error {
	for _, p := range ps {
		if p.Kind() != plugins.KindScript {
			continue
		}
		floor, err := engineFloor(p.Language())
		if err != nil {
			return err
		}
		if floor > memLimit {
			return &Error{Code: CodeInvalidInput, Message: fmt.Sprintf(
				"env.resources.memory: %d MiB is below what the %s engine needs to start (%d MiB); ask for at least that",
				memLimit>>20, p.Language(), (floor+(1<<20)-1)>>20)}
		}
	}
	return nil
}
