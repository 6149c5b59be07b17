package runtime

import (
	"fmt"

	"github.com/enact-run/enact/plugins"
)

// checkFloors refuses a memory limit below the floor of an interpreter a
// script task runs on: the initial memory its module declares, which a run
// needs before it can start.
func checkFloors(ps []*plugins.Plugin, memLimit uint64) error {
	for _, p := range ps {
		if p.Kind() != plugins.KindScript {
			continue
		}
		eng, err := plugins.EngineFor(p.Language())
		if err != nil {
			return err
		}
		floor, err := eng.InitialMemory()
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
