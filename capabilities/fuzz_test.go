package capabilities

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad checks that Load never panics, that it fails only with the
// package's error types, and that what it returns is usable.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"testdata/protocol", "testdata/upstream", "examples"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(head + script + "x-a: &a [1, 2]\nx-b: {<<: {c: *a}, d: [*a, *a]}\n"))
	f.Add([]byte(head + "tasks:\n  - {id: w, type: wasm, plugin: {path: w.wasm, sha256: " + sha + "}}\nenv: {resources: {memory: 1GiB, timeout: 2m}}\n"))
	f.Add([]byte(head + script + "inputs: {type: object, properties: {a: {default: {b: 1}, properties: {b: {pattern: '^x'}}}}}\n"))
	f.Add([]byte(compositeHead + "inputs: {type: object}\nflow:\n  steps:\n    - {id: a, capability: A, inputs: {x: '{{ inputs.x }}', y: 'n={{ size(inputs) }}'}}\n" +
		"    - {capability: B, dependsOn: [a], condition: 'steps.a.status == \"passed\"', handler: {onError: continue}, inputs: {z: '{{ outputs.A.x }}'}}\n" +
		"outputs: {type: object, source: {x: '{{ steps.B.outputs }}'}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(data, "f.yaml")
		if err != nil {
			var ve *ValidationError
			switch e := err.(type) {
			case *ValidationError:
			case ValidationErrors:
				if len(e) < 2 || len(e) > maxErrors {
					t.Fatalf("ValidationErrors with %d problems", len(e))
				}
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
			if !errors.As(err, &ve) || ve.Msg == "" || ve.Rule == "" {
				t.Fatalf("problem without a rule or message: %#v", ve)
			}
			if e := ve.Err; e != nil && !errors.Is(e, ErrTooLarge) && !errors.Is(e, ErrTooDeep) && !errors.Is(e, ErrAliasExpansion) {
				t.Fatalf("unexpected cause %v", e)
			}
			return
		}
		if c.Type == "atomic" && len(c.Tasks) == 0 || !strings.HasPrefix(c.Digest, "sha256:") || !strings.HasPrefix(c.Enact, "1.") {
			t.Fatalf("loaded an invalid capability: %+v", c)
		}
		for _, s := range []json.RawMessage{c.InputSchema(), c.OutputSchema(), c.Env.Vars} {
			if s != nil && !json.Valid(s) {
				t.Fatalf("schema is not JSON: %s", s)
			}
		}
		if out, err := c.ValidateInputs(map[string]any{}); err == nil {
			_ = c.ValidateOutputs(out)
		}
		given := map[string]any{}
		for _, v := range c.Vars() {
			given[v.Name] = "value"
		}
		_, _ = c.ResolveVars(context.Background(), given)
		if c.Type == "composite" {
			// Templates evaluate (or fail) over any scope without panicking.
			scope := Scope{Inputs: map[string]any{"x": "v"}, Steps: map[string]StepState{}}
			for _, st := range c.Flow.Steps {
				_, _ = st.EvalCondition(t.Context(), scope)
				_, _ = st.EvalInputs(t.Context(), scope)
				scope.Steps[st.ID] = StepState{Status: StepPassed, Outputs: map[string]any{"x": "y"}}
			}
			_, _ = c.Flow.EvalOutputs(t.Context(), scope)
		}
	})
}
