package capabilities

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLoad measures Load on the shipped examples and on documents
// built to be expensive.
func BenchmarkLoad(b *testing.B) {
	var keys strings.Builder
	for i := 0; keys.Len() < MaxSize-200; i++ {
		fmt.Fprintf(&keys, "k%d: 1\n", i)
	}
	laughs := head + script + "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i, prev := range "abcdefgh" {
		name := string(rune('b' + i))
		laughs += "x-" + name + ": &" + name + " [" + strings.TrimSuffix(strings.Repeat("*"+string(prev)+", ", 10), ", ") + "]\n"
	}
	docs := map[string]string{
		"temperature-converter": string(Examples()["temperature-converter.yaml"]),
		"wide sequence":         head + script + "x-a: [" + strings.Repeat("1,", (MaxSize-200)/2) + "1]\n",
		"unknown fields":        head + script + keys.String(),
		"deep":                  head + script + "x-a: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
		"billion laughs":        laughs,
		"composite":             compositeHead + benchFlow,
	}
	for name, doc := range docs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				Load([]byte(doc), name)
			}
		})
	}
}

// BenchmarkResolveVars measures resolving a run's environment variables:
// the operator's values, a default, validation.
func BenchmarkResolveVars(b *testing.B) {
	c, err := Load([]byte(head+script+"env:\n  vars:\n    API_KEY: {type: string, minLength: 8}\n    REGION: {type: string, enum: [eu, us]}\n    RETRIES: {type: integer, default: 3}\n"), "b.yaml")
	if err != nil {
		b.Fatal(err)
	}
	given := map[string]any{"API_KEY": "0123456789abcdef", "REGION": "eu"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ResolveVars(b.Context(), given); err != nil {
			b.Fatal(err)
		}
	}
}

const benchFlow = `inputs: {type: object}
flow:
  steps:
    - {id: a, capability: A, inputs: {email: "{{ inputs.email }}"}}
    - id: b
      capability: B
      condition: steps.a.outputs.valid
      inputs:
        email: "{{ steps.a.outputs.email }}"
        company: "{{ has(inputs.company) ? inputs.company : 'unknown' }}"
        tags: "{{ steps.a.outputs.tags + ['lead'] }}"
        subject: "Follow up with {{ steps.a.outputs.email }} ({{ size(steps.a.outputs.tags) }} tags)"
        amount: "{{ inputs.amount * 2 }}"
outputs: {type: object, source: {email: "{{ steps.b.outputs.email }}"}}
`

// BenchmarkTemplates measures evaluating a step's condition and inputs:
// what the flow does before each step starts.
func BenchmarkTemplates(b *testing.B) {
	c, err := Load([]byte(compositeHead+benchFlow), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	step := c.Flow.Steps[1]
	scope := Scope{Inputs: map[string]any{"email": "a@b.example", "amount": 21}, Steps: map[string]StepState{
		"a": {Status: StepPassed, Outputs: map[string]any{"email": "a@b.example", "valid": true, "tags": []any{"x", "y"}}}}}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := step.EvalCondition(b.Context(), scope); !ok || err != nil {
			b.Fatal(ok, err)
		}
		if _, err := step.EvalInputs(b.Context(), scope); err != nil {
			b.Fatal(err)
		}
	}
}
