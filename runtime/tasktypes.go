package runtime

import (
	"errors"
	"fmt"

	"github.com/enact-run/enact/capabilities"
)

// taskTypeReasons says, for each task type the protocol names but this
// runtime cannot run, why.
var taskTypeReasons = map[string]string{
	"shell":   "shell tasks never run in the Enact sandbox: it has no shell, no processes and no host files; use a script or wasm task",
	"agent":   "agent tasks are not supported yet; use a script or wasm task",
	"prompt":  "prompt tasks are not supported yet; use a script or wasm task",
	"request": "request tasks are not supported yet; reach other systems through a connector action (x-enact.actions) from a script or wasm task",
}

// runnableTasks refuses a capability with a task of a type the sandbox
// cannot run, naming each such task, its type and the reason.
func runnableTasks(c *capabilities.Capability) error {
	var errs []error
	for _, t := range c.Tasks {
		if why, ok := taskTypeReasons[t.Type]; ok {
			errs = append(errs, fmt.Errorf("task %q (line %d) has type %s: %s", t.ID, t.Line, t.Type, why))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	err := errors.Join(errs...)
	return &Error{Code: CodeUnsupported, Message: err.Error(), cause: err}
}
