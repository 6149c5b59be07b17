package runtime_test

import (
	"context"
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
			pooled := 0
			for i := range 8 {
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
				time.Sleep(20 * time.Millisecond) // let the pool refill
			}
			if pooled == 0 {
				t.Error("no run used a pooled instance")
			}
		})
	}
}
