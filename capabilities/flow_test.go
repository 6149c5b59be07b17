package capabilities

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// compositeHead starts a composite importing A and B (version 1.0.0);
// what a test appends starts on line 8.
const compositeHead = "enact: 1.0.0\nid: Flow\ndescription: d\ntype: composite\nimports:\n  - {id: A, version: 1.0.0}\n  - {id: B, version: 1.0.0}\n"

func TestCompositeLoadProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc string
		want      []string // substrings of the one error
	}{
		{"cycle through dependsOn", "flow:\n  steps:\n    - {id: a, capability: A, dependsOn: [b]}\n    - {id: b, capability: B, dependsOn: [a]}\n",
			[]string{"/flow/steps: cycle", "a → b → a"}},
		{"cycle through a template", "flow:\n  steps:\n    - {id: a, capability: A, inputs: {x: '{{ steps.b.outputs.y }}'}}\n    - {id: b, capability: B, dependsOn: [a]}\n",
			[]string{"cycle", "a → b → a"}},
		{"depends on itself", "flow:\n  steps:\n    - {id: a, capability: A, condition: 'steps.a.status == \"passed\"'}\n",
			[]string{`step "a" depends on itself`}},
		{"unknown step in dependsOn", "flow:\n  steps:\n    - {id: a, capability: A, dependsOn: [nope]}\n",
			[]string{"t.yaml:10: /flow/steps/0/dependsOn/0", `step "a" depends on "nope"`}},
		{"unknown step in a template", "flow:\n  steps:\n    - {id: a, capability: A, inputs: {x: '{{ steps.nope.outputs }}'}}\n",
			[]string{`step "a"`, `reads step "nope"`}},
		{"not imported", "flow:\n  steps:\n    - {id: a, capability: C}\n", []string{`step "a" runs "C", which is not in imports`}},
		{"two unnamed steps of one capability", "flow:\n  steps:\n    - {capability: A}\n    - {capability: A}\n",
			[]string{"has no id", `capability "A" appears in 2 steps`}},
		{"duplicate step id", "flow:\n  steps:\n    - {id: a, capability: A}\n    - {id: a, capability: B}\n", []string{`duplicate step id "a"`}},
		{"CEL syntax", "flow:\n  steps:\n    - {id: a, capability: A, inputs: {x: '{{ inputs.x || }}'}}\n", []string{`step "a"`, "/x", "Syntax error"}},
		{"dynamic step index", "flow:\n  steps:\n    - {id: a, capability: A}\n    - {id: b, capability: B, inputs: {x: '{{ steps[inputs.s] }}'}}\n",
			[]string{"step id written out"}},
		{"ambiguous upstream outputs", "flow:\n  steps:\n    - {id: a1, capability: A}\n    - {id: a2, capability: A}\n    - {id: b, capability: B, inputs: {x: '{{ outputs.A.y }}'}}\n",
			[]string{"outputs.A is ambiguous (steps a1, a2)"}},
		{"unclosed template", "flow:\n  steps:\n    - {id: a, capability: A, inputs: {x: '{{ inputs.x'}}\n", []string{"not closed"}},
		{"onError twice, disagreeing", "flow:\n  steps:\n    - {id: a, capability: A, onError: fail, handler: {onError: continue}}\n", []string{"give one"}},
		{"tasks in a composite", "flow:\n  steps:\n    - {capability: A}\n" + "tasks:\n  - {id: t, type: script, language: js, code: x}\n", []string{"a composite capability has a flow, not tasks"}},
		{"no flow", "", []string{"/flow: required"}},
		{"valid", "flow:\n  steps:\n    - {capability: A}\n    - {capability: B, dependsOn: [A]}\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load([]byte(compositeHead+tc.doc), "t.yaml")
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Load accepted the document")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	for _, doc := range []string{
		head + script + "flow:\n  steps:\n    - {capability: A}\n",
		head + script + "imports: [{id: A, version: 1.0.0}]\n",
		head + script + "outputs: {type: object, source: {a: b}}\n",
	} {
		if _, err := Load([]byte(doc), "t.yaml"); err == nil || !strings.Contains(err.Error(), "belongs to a composite") {
			t.Errorf("an atomic capability with composite fields: %v", err)
		}
	}
	unpinned := strings.Replace(compositeHead, "{id: A, version: 1.0.0}", "{id: A}", 1) + "flow:\n  steps:\n    - {capability: A}\n"
	if _, err := Load([]byte(unpinned), "t.yaml"); err == nil || !strings.Contains(err.Error(), "/imports/0/version: required") {
		t.Errorf("an import without a version: %v", err)
	}
}

// part is a capability file for the resolver tests.
func part(id, version string) string {
	return fmt.Sprintf("enact: 1.0.0\nid: %s\nversion: %s\ndescription: d\ntasks:\n  - {id: t, type: script, language: js, code: 'return {}'}\n", id, version)
}

// runs is a composite that runs next (version 1.0.0).
func runs(id, next string) string {
	return fmt.Sprintf("enact: 1.0.0\nid: %s\nversion: 1.0.0\ndescription: d\ntype: composite\nimports: [{id: %s, version: 1.0.0}]\nflow:\n  steps:\n    - {id: s, capability: %s}\n", id, next, next)
}

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestResolve(t *testing.T) {
	t.Parallel()
	// A chain of n composites C1 → C2 → … → Cn → Leaf.
	chainOf := func(n int) map[string]string {
		files := map[string]string{"leaf.yaml": part("Leaf", "1.0.0")}
		for i := 1; i <= n; i++ {
			next := fmt.Sprintf("C%d", i+1)
			if i == n {
				next = "Leaf"
			}
			files[fmt.Sprintf("c%d.yaml", i)] = runs(fmt.Sprintf("C%d", i), next)
		}
		return files
	}
	other := writeDir(t, map[string]string{"b.yaml": part("B", "1.0.0"), "a2.yaml": part("A", "2.0.0")})
	for _, tc := range []struct {
		name  string
		files map[string]string
		dirs  []string
		want  []string // substrings of the error; nil: resolves
	}{
		{"beside the composite", map[string]string{"top.yaml": runs("Top", "A"), "a.yaml": part("A", "1.0.0")}, nil, nil},
		{"from --dir", map[string]string{"top.yaml": runs("Top", "B")}, []string{other}, nil},
		{"version mismatch", map[string]string{"top.yaml": runs("Top", "A"), "a.yaml": part("A", "1.1.0")}, []string{other},
			[]string{`step "s" (capability A)`, "version mismatch", "version 1.0.0 is imported", "1.1.0 in ", "2.0.0 in "}},
		{"unresolved", map[string]string{"top.yaml": runs("Top", "Nope"), "nope.yaml": "enact: 1.0.0\nid: Nope\n"}, nil,
			[]string{`step "s" (capability Nope)`, "unresolved import", "the shipped set", "these files there do not load", "nope.yaml"}},
		{"bundle reference without a fetcher", map[string]string{"top.yaml": strings.Replace(runs("Top", "Nope"), "version: 1.0.0}", "version: 1.0.0, ref: 'oci://r.example/nope@sha256:00'}", 1)}, nil,
			[]string{"cannot fetch bundle references yet", "oci://r.example/nope"}},
		{"import cycle", map[string]string{"top.yaml": runs("Top", "Mid"), "mid.yaml": runs("Mid", "Top")}, nil,
			[]string{"import cycle: Top → Mid → Top"}},
		{"depth 8", chainOf(8), nil, nil},
		{"depth 9", chainOf(9), nil, []string{"depth", "C1 → C2 → C3 → C4 → C5 → C6 → C7 → C8 → C9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeDir(t, tc.files)
			top := "top.yaml"
			if _, ok := tc.files[top]; !ok {
				top = "c1.yaml"
			}
			c, err := LoadFile(filepath.Join(dir, top))
			if err == nil {
				c, err = (&Resolver{Dirs: tc.dirs}).Resolve(c)
			}
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				if !c.Resolved() || c.Imported(c.Imports[0].ID) == nil {
					t.Fatal("not resolved")
				}
				return
			}
			if err == nil {
				t.Fatal("resolved")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// A shipped capability resolves by id and version.
	doc := "enact: 1.0.0\nid: Top\ndescription: d\ntype: composite\nimports: [{id: new_lead_workflow, version: 1.0.0}]\nflow:\n  steps:\n    - {capability: new_lead_workflow}\n"
	c, err := Load([]byte(doc), "top.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c, err = (&Resolver{}).Resolve(c); err != nil || c.Imported("new_lead_workflow").Name != "shipped/new_lead_workflow.yaml" {
		t.Fatalf("shipped import: %v", err)
	}
	if _, err := (&Resolver{NoShipped: true}).Resolve(c); err == nil {
		t.Error("NoShipped still found the shipped capability")
	}
	// A bundle hook is asked last, and its capability must match.
	withRef := strings.Replace(runs("Top", "Far"), "version: 1.0.0}", "version: 1.0.0, ref: 'oci://r.example/far@sha256:00'}", 1)
	c, err = Load([]byte(withRef), "top.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var asked string
	far, _ := Load([]byte(part("Far", "1.0.0")), "far.yaml")
	r := &Resolver{Bundle: func(ref string) (*Capability, error) { asked = ref; return far, nil }}
	if c, err = r.Resolve(c); err != nil || asked != "oci://r.example/far@sha256:00" || c.Imported("Far") != far {
		t.Fatalf("bundle hook: %v, asked %q", err, asked)
	}
}

// TestTemplates evaluates templates: a whole template keeps its type,
// text around templates makes a string, CEL's forms of upstream's
// JavaScript-looking expressions work, and a member that reads a step
// that did not pass is left out.
func TestTemplates(t *testing.T) {
	t.Parallel()
	doc := compositeHead + `flow:
  steps:
    - {id: a, capability: A}
    - id: b
      capability: B
      inputs:
        n: "{{ steps.a.outputs.n }}"
        list: "{{ steps.a.outputs.tags + ['x'] }}"
        obj: "{{ steps.a.outputs }}"
        text: "n={{ steps.a.outputs.n }}, tags={{ steps.a.outputs.tags }}, ok={{ true }}"
        either: "{{ has(inputs.nick) ? inputs.nick : 'anonymous' }}"
        or_default: "{{ inputs.?nick.orValue('anon') }}"
        upstream: "{{ outputs.A.n * 2 }}"
        status: "{{ steps.a.status }}"
        nested: {deep: ["{{ inputs.x }}", "lit"]}
        half: "{{ double(inputs.x) / 2.0 }}"
`
	c, err := Load([]byte(doc), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b := c.Flow.Steps[1]
	if diff := cmp.Diff([]string{"a"}, b.Needs()); diff != "" {
		t.Errorf("needs (-want +got):\n%s", diff)
	}
	scope := Scope{Inputs: map[string]any{"x": json.Number("3")}, Steps: map[string]StepState{
		"a": {Status: StepPassed, Outputs: map[string]any{"n": json.Number("21"), "tags": []any{"p", "q"}}}}}
	got, err := b.EvalInputs(context.Background(), scope)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"n": json.Number("21"), "list": []any{"p", "q", "x"},
		"obj":    map[string]any{"n": json.Number("21"), "tags": []any{"p", "q"}},
		"text":   `n=21, tags=["p","q"], ok=true`,
		"either": "anonymous", "or_default": "anon", "upstream": json.Number("42"), "status": "passed",
		"nested": map[string]any{"deep": []any{json.Number("3"), "lit"}},
		"half":   json.Number("1.5"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	// a failed: the members reading its outputs are left out; its status
	// is still there.
	scope.Steps["a"] = StepState{Status: StepFailed, Outputs: map[string]any{}}
	got, err = b.EvalInputs(context.Background(), scope)
	if err != nil {
		t.Fatal(err)
	}
	if got["status"] != "failed" || got["n"] != nil || got["either"] != "anonymous" {
		t.Errorf("after a failed: %v", got)
	}
	if _, ok := got["n"]; ok {
		t.Error("n is present although a failed")
	}
	// A condition reading the outputs of a step that did not pass is
	// false; one reading those of a step that passed, an error.
	cond := compositeHead + "flow:\n  steps:\n    - {id: a, capability: A}\n    - {id: b, capability: B, condition: steps.a.outputs.valid}\n"
	cc, err := Load([]byte(cond), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for status, want := range map[string]string{StepSkipped: "false <nil>", StepFailed: "false <nil>"} {
		ok, err := cc.Flow.Steps[1].EvalCondition(context.Background(), Scope{Steps: map[string]StepState{"a": {Status: status}}})
		if got := fmt.Sprint(ok, " ", err); got != want {
			t.Errorf("condition after a %s step: %s", status, got)
		}
	}
	if _, err := cc.Flow.Steps[1].EvalCondition(context.Background(), Scope{Steps: map[string]StepState{"a": {Status: StepPassed, Outputs: map[string]any{}}}}); err == nil {
		t.Error("a condition reading a missing output of a passed step is not an error")
	}
	// An error unrelated to an unpassed step is an error.
	scope.Steps["a"] = StepState{Status: StepPassed, Outputs: map[string]any{}}
	if _, err := b.EvalInputs(context.Background(), scope); err == nil || !strings.Contains(err.Error(), "no such key") {
		t.Errorf("missing output of a passed step: %v", err)
	}
}

// upstreamFlow is upstream's CustomerDataProcessor example (its composite
// document, March 2025) with the inputs and outputs written as JSON
// Schemas and its JavaScript-looking expressions in CEL.
const upstreamFlow = `enact: 1.0.0
id: CustomerDataProcessor
description: Processes customer data through validation, enrichment, and analytics
version: 1.0.0
type: composite
authors:
  - name: Jane Smith
    email: jane@example.com
inputs:
  type: object
  properties:
    customerData: {type: array, items: {type: object}}
    options: {type: object, default: {}}
  required: [customerData]
imports:
  - id: DataValidator
    version: "1.2.0"
  - id: DataEnricher
    version: "2.0.1"
  - id: DataAnalyzer
    version: "1.5.0"
flow:
  steps:
    - capability: DataValidator
      inputs:
        data: "{{inputs.customerData}}"
        schema: "customer"
      handler:
        onSuccess: next
        onError: fail
    - capability: DataEnricher
      inputs:
        data: "{{outputs.DataValidator.validatedData}}"
        enrichmentLevel: "{{inputs.options.?enrichmentLevel.orValue('standard')}}"
      handler:
        onSuccess: next
        onError: next
    - capability: DataAnalyzer
      inputs:
        data: "{{has(outputs.DataEnricher.enrichedData) ? outputs.DataEnricher.enrichedData : outputs.DataValidator.validatedData}}"
        analysisType: "{{has(inputs.options.analysisType) ? inputs.options.analysisType : 'basic'}}"
outputs:
  type: object
  properties:
    processedData:
      type: array
      source: "{{has(outputs.DataEnricher.enrichedData) ? outputs.DataEnricher.enrichedData : outputs.DataValidator.validatedData}}"
    analytics:
      type: object
      source: "{{outputs.DataAnalyzer.results}}"
    errors:
      type: array
      source: "{{
              outputs.DataValidator.?errors.orValue([]) +
              outputs.DataEnricher.?errors.orValue([]) +
              outputs.DataAnalyzer.?errors.orValue([])
            }}"
`

func TestUpstreamCompositeExample(t *testing.T) {
	t.Parallel()
	c, err := Load([]byte(upstreamFlow), "upstream.yaml")
	if err != nil {
		t.Fatal(err)
	}
	steps := c.Flow.Steps
	if steps[1].OnError != "continue" || steps[0].OnError != "fail" || fmt.Sprint(steps[2].Needs()) != "[DataEnricher DataValidator]" {
		t.Errorf("steps: %+v %+v %v", steps[0], steps[1], steps[2].Needs())
	}
	if strings.Contains(string(c.OutputSchema()), "source") {
		t.Errorf("the outputs schema keeps the sources: %s", c.OutputSchema())
	}
	// The enricher failed (onError next): the analyzer reads the
	// validator's data; the outputs gather the errors.
	scope := Scope{Inputs: map[string]any{"customerData": []any{}, "options": map[string]any{}}, Steps: map[string]StepState{
		"DataValidator": {Status: StepPassed, Outputs: map[string]any{"validatedData": []any{"r1"}, "errors": []any{"e1"}}},
		"DataEnricher":  {Status: StepFailed, Outputs: map[string]any{}},
		"DataAnalyzer":  {Status: StepPassed, Outputs: map[string]any{"results": map[string]any{"n": json.Number("1")}}},
	}}
	in, err := steps[2].EvalInputs(context.Background(), scope)
	if err != nil || fmt.Sprint(in) != "map[analysisType:basic data:[r1]]" {
		t.Errorf("analyzer inputs %v %v", in, err)
	}
	out, err := c.Flow.EvalOutputs(context.Background(), scope)
	if err != nil || fmt.Sprint(out) != "map[analytics:map[n:1] errors:[e1] processedData:[r1]]" {
		t.Errorf("outputs %v %v", out, err)
	}
	if err := c.ValidateOutputs(out); err != nil {
		t.Error(err)
	}
	// Upstream's own expressions: [].concat is not CEL, refused at load
	// naming the step; the branching onSuccess is refused with the way
	// to write it.
	js := strings.Replace(upstreamFlow, `"{{
              outputs.DataValidator.?errors.orValue([]) +`, `"{{[].concat(outputs.DataValidator.errors || [],`, 1)
	if _, err := Load([]byte(js), "upstream.yaml"); err == nil || !strings.Contains(err.Error(), "/outputs/source: template") {
		t.Errorf("[].concat: %v", err)
	}
	branch := strings.Replace(upstreamFlow, "onSuccess: next\n        onError: fail", "onSuccess: {condition: '{{outputs.DataValidator.validCount > 10}}', 'true': a, 'false': b}", 1)
	if _, err := Load([]byte(branch), "upstream.yaml"); err == nil || !strings.Contains(err.Error(), "give them a condition") {
		t.Errorf("branching onSuccess: %v", err)
	}
}
