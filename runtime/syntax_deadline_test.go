package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/enact-run/enact/capabilities"
)

// The syntax check's deadline is the task's time, as a run's is: preparing
// the engine first (compiling it on a fresh cache, or waiting for another
// process compiling it) does not count against it. The engine's compile
// step is made to take longer than the capability's whole time limit;
// the check must still report the syntax error, not a timeout.
func TestCheckSyntaxPreparesTheEngineOutsideTheDeadline(t *testing.T) {
	t.Parallel()
	e, err := New(Config{CacheDir: testCacheDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	e.compiling = func(string) { time.Sleep(time.Second) }
	c, err := capabilities.Load([]byte(`enact: 1.0.0
id: T
description: test
env:
  resources:
    timeout: 300ms
tasks:
  - id: main
    type: script
    language: javascript
    code: |
      const = ;
`), "deadline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	found, err := e.CheckSyntax(t.Context(), c)
	if err != nil {
		t.Fatalf("CheckSyntax: %v", err)
	}
	if len(found) != 1 || found[0].Type != "SyntaxError" || found[0].Line != 1 {
		t.Fatalf("found %+v, want one SyntaxError on line 1", found)
	}
}
