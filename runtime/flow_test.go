package runtime_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/runtime"
)

// flowOf loads a composite of n independent steps of one atomic
// capability, followed by extra (YAML lines of further steps).
func flowOf(t testing.TB, n int, extra string) *capabilities.Capability {
	t.Helper()
	dir := t.TempDir()
	part := "enact: 1.0.0\nid: P\nversion: 1.0.0\ndescription: d\ntasks:\n  - {id: t, type: script, language: js, code: 'return {}'}\n"
	doc := "enact: 1.0.0\nid: F\ndescription: d\ntype: composite\nimports: [{id: P, version: 1.0.0}]\nflow:\n  steps:\n"
	for i := range n {
		doc += fmt.Sprintf("    - {id: s%d, capability: P}\n", i)
	}
	doc += extra
	for name, data := range map[string]string{"p.yaml": part, "f.yaml": doc} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := capabilities.LoadFile(filepath.Join(dir, "f.yaml"))
	if err == nil {
		c, err = (&capabilities.Resolver{NoShipped: true}).Resolve(c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRunFlowBoundsConcurrency: independent steps run together, at most
// MaxParallelSteps at once.
func TestRunFlowBoundsConcurrency(t *testing.T) {
	t.Parallel()
	c := flowOf(t, 7, "")
	var inflight, most atomic.Int32
	full := make(chan struct{})
	var once sync.Once
	res, err := engine(t).RunFlow(t.Context(), c, map[string]any{}, func(ctx context.Context, s *capabilities.Step, _ *capabilities.Capability, _ map[string]any) runtime.StepRun {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if n == runtime.MaxParallelSteps {
			once.Do(func() { close(full) })
		}
		select { // the first steps wait until the bound is reached
		case <-full:
		case <-ctx.Done():
		}
		return runtime.StepRun{Passed: true, Outputs: map[string]any{"id": s.ID}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if most.Load() != runtime.MaxParallelSteps {
		t.Errorf("at most %d steps ran at once, want %d", most.Load(), runtime.MaxParallelSteps)
	}
	for _, s := range res.Steps {
		if s.Status != capabilities.StepPassed {
			t.Errorf("step %s: %s", s.ID, s.Status)
		}
	}
}

// TestRunFlowStopsAtAFailure: a failing step (onError fail) stops the
// flow: its dependents and the steps not yet started are not run.
func TestRunFlowStopsAtAFailure(t *testing.T) {
	t.Parallel()
	c := flowOf(t, 1, "    - {id: after, capability: P, dependsOn: [s0]}\n")
	res, err := engine(t).RunFlow(t.Context(), c, map[string]any{}, func(_ context.Context, s *capabilities.Step, _ *capabilities.Capability, _ map[string]any) runtime.StepRun {
		return runtime.StepRun{Err: &runtime.Error{Code: "guest_error", Message: "no"}}
	})
	re, ok := err.(*runtime.Error)
	if !ok || re.Code != "guest_error" || re.Task != "s0" || !strings.Contains(re.Message, `step "s0" (P) failed: no`) {
		t.Fatalf("error %v", err)
	}
	if res.Steps[0].Status != capabilities.StepFailed || res.Steps[1].Status != capabilities.StepNotRun {
		t.Errorf("statuses %s %s", res.Steps[0].Status, res.Steps[1].Status)
	}
	// The engine does not run a composite by itself.
	if _, err := engine(t).Run(t.Context(), c, nil); err == nil || !strings.Contains(err.Error(), "enact.Client") {
		t.Errorf("Run of a composite: %v", err)
	}
}

// BenchmarkRunFlow measures the flow's own work (scheduling, templates,
// outputs) around steps that do nothing: 16 steps, 8 pairs in a chain.
func BenchmarkRunFlow(b *testing.B) {
	extra := ""
	for i := range 8 {
		extra += fmt.Sprintf("    - {id: c%d, capability: P, inputs: {x: '{{ steps.s%d.outputs.n + 1 }}'}}\n", i, i)
	}
	c := flowOf(b, 8, extra)
	e := engine(b)
	run := func(_ context.Context, s *capabilities.Step, _ *capabilities.Capability, _ map[string]any) runtime.StepRun {
		return runtime.StepRun{Passed: true, Outputs: map[string]any{"n": 1}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.RunFlow(b.Context(), c, map[string]any{}, run); err != nil {
			b.Fatal(err)
		}
	}
}
