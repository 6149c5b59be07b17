package runtime_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/enact-run/enact/runtime"
)

// A memory limit below what an interpreter needs to start is refused by
// Check, before anything runs, naming the limit and the floor.
func TestCheckRefusesMemoryBelowTheEngineFloor(t *testing.T) {
	t.Parallel()
	e := engine(t)
	doc := func(lang, mem string) string {
		return "enact: 1.0.0\nid: Floor\ndescription: x\nenv:\n  resources:\n    memory: " + mem +
			"\ntasks:\n  - id: t\n    type: script\n    language: " + lang + "\n    code: \"1\"\n"
	}
	err := e.Check(load(t, doc("python", "16MiB")))
	var re *runtime.Error
	if !errors.As(err, &re) || re.Code != runtime.CodeInvalidInput ||
		!strings.Contains(re.Message, "env.resources.memory: 16 MiB") || !strings.Contains(re.Message, "python engine needs to start (20 MiB)") {
		t.Errorf("python at 16 MiB: %v", err)
	}
	if err := e.Check(load(t, doc("python", "20MiB"))); err != nil {
		t.Errorf("python at its floor: %v", err)
	}
	if err := e.Check(load(t, doc("javascript", "4MiB"))); err != nil {
		t.Errorf("javascript at 4 MiB (above its floor): %v", err)
	}
}
