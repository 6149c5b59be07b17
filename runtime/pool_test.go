package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/enact-run/enact/runtime"
)

// Instances, pooled or not, serve one run each: what a run leaves in the
// interpreter is gone for the next.
func TestNoStateSurvivesBetweenRuns(t *testing.T) {
	t.Parallel()
	e, err := runtime.New(runtime.Config{PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	ctx := context.Background()
	for _, tc := range []struct{ lang, code string }{
		{"python", "seen = 'enact_leak' in globals()\nglobals()['enact_leak'] = True\nreturn {'seen': seen}"},
		{"javascript", "const seen = globalThis.leak === true;\nglobalThis.leak = true;\nreturn { seen };"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			if err := e.Warm(ctx, tc.lang); err != nil {
				t.Fatal(err)
			}
			c := load(t, scriptDoc(tc.lang, tc.code, ""))
			// The pool prepares its instances in the background; the runs
			// go on (each on a fresh or pooled instance) until one was
			// pooled, at most 200 of them.
			pooled := 0
			for i := 0; i < 8 || (pooled == 0 && i < 200); i++ {
				res, err := e.Run(ctx, c, nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Outputs["seen"] != false {
					t.Fatalf("run %d saw state left by an earlier run", i)
				}
				if res.Tasks[0].Pooled {
					pooled++
				}
				time.Sleep(50 * time.Millisecond) // let the pool refill
			}
			if pooled == 0 {
				t.Error("no run used a pooled instance")
			}
		})
	}
}

// JavaScript instances start from a snapshot of a started engine; each run
// must still get its own random sequence, and the memory limit the engine
// was started with must still hold.
func TestJavaScriptSnapshotsKeepRunsApart(t *testing.T) {
	t.Parallel()
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	ctx := context.Background()
	c := load(t, scriptDoc("javascript", "const seen = globalThis.leak === true;\nglobalThis.leak = true;\nreturn { seen, r: [Math.random(), Math.random()] };", ""))
	seen := map[string]bool{}
	for i := range 6 {
		res, err := e.Run(ctx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outputs["seen"] != false {
			t.Fatalf("run %d saw state left by an earlier run", i)
		}
		for _, v := range res.Outputs["r"].([]any) {
			f, err := v.(json.Number).Float64()
			if err != nil || f < 0 || f >= 1 || seen[v.(json.Number).String()] {
				t.Fatalf("run %d: Math.random gave %v (seen before: %v)", i, v, seen[v.(json.Number).String()])
			}
			seen[v.(json.Number).String()] = true
		}
	}
	// A memory bomb after restored starts is still refused.
	bomb := load(t, scriptDoc("javascript", "const a = []; for (;;) a.push(new Array(1e5).fill(1));", "env:\n  resources:\n    timeout: 20s\n    memory: 48MiB\n"))
	for range 2 {
		_, err := e.Run(ctx, bomb, nil)
		var re *runtime.Error
		if !errors.As(err, &re) || re.Code != runtime.CodeMemoryLimit {
			t.Fatalf("memory bomb: %v", err)
		}
	}
}
