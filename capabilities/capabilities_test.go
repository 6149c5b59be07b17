package capabilities

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// head and script make a minimal valid document; what a test appends
// starts on line 9.
const (
	head   = "enact: 1.0.0\nid: T\ndescription: d\n"
	script = "tasks:\n  - id: a\n    type: script\n    language: python\n    code: x\n"
	sha    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// problems returns the messages of a Load or Validate error, one per
// problem.
func problems(t *testing.T, err error) []string {
	t.Helper()
	switch e := err.(type) {
	case nil:
		return nil
	case *ValidationError:
		return []string{e.Error()}
	case ValidationErrors:
		if len(e) < 2 {
			t.Errorf("ValidationErrors with %d problems", len(e))
		}
		var out []string
		for _, v := range e {
			out = append(out, v.Error())
		}
		return out
	}
	t.Fatalf("error of type %T: %v", err, err)
	return nil
}

var ignoreSchemas = cmpopts.IgnoreUnexported(Capability{}, Flow{}, Step{})

func TestLoadProtocolExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want []string // problems; nil when the document loads
	}{
		{file: "hello-world.yaml"},
		{file: "temperature-converter.yaml"},
		{file: "simple-converter.yaml"},
		{file: "data-analyzer.yaml"},
		{file: "env-vars.yaml"},
		{file: "resources.yaml"},
		{file: "error-handling.yaml"},
		{file: "required-fields.yaml", want: []string{
			`F:5: /type: enum: must be one of atomic, composite (got "atomic|composite")`,
			`F:12: /tasks: type: must be array (got string)`,
		}},
		{file: "tasks-fragment.yaml", want: []string{
			`F:1: /description: required: missing`,
			`F:1: /enact: required: missing`,
			`F:1: /id: required: missing`,
			`F:3: /tasks/0/type: enum: must be one of script, wasm, request, agent, prompt, shell (got "string")`,
			`F:4: /tasks/0/language: enum: must be one of python, javascript, py, js (got "string")`,
		}},
		{file: "dependencies-fragment.yaml", want: []string{
			`F:1: /description: required: missing`,
			`F:1: /enact: required: missing`,
			`F:1: /id: required: missing`,
			`F:1: /tasks: required: missing`,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", "protocol", tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(data, "F")
			if diff := cmp.Diff(tc.want, problems(t, err)); diff != "" {
				t.Errorf("Load(%s) problems (-want +got):\n%s", tc.file, diff)
			}
		})
	}
}

// TestLoadFragments checks that each of the protocol document's partial
// examples, loaded as is, names the top-level fields it lacks.
func TestLoadFragments(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"inputs-fragment.yaml", "outputs-fragment.yaml", "env-vars-fragment.yaml", "resources-fragment.yaml", "error-handling-fragment.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "protocol", file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(data, "F")
		want := []string{"F:1: /description: required: missing", "F:1: /enact: required: missing", "F:1: /id: required: missing", "F:1: /tasks: required: missing"}
		if diff := cmp.Diff(want, problems(t, err)); diff != "" {
			t.Errorf("Load(%s) problems (-want +got):\n%s", file, diff)
		}
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "protocol", "temperature-converter.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Capability{
		Enact: "1.0.0", ID: "TemperatureConverter", Version: "1.0.0", Type: "atomic",
		Description: "Converts temperature from Celsius to Fahrenheit",
		Authors:     []Author{{Name: "Your Name", Email: "your.email@example.com"}},
		Tasks: []Task{{
			ID: "convertTemperature", Type: "script", Language: "python", Line: 17, CodeLine: 21, CodeColumn: 7,
			Code: "fahrenheit = celsius * 9/5 + 32\nreturn {\"fahrenheit\": fahrenheit}\n",
		}},
		Digest: "sha256:" + hex.EncodeToString(sum[:]),
		Name:   path,
		Dir:    filepath.Dir(abs),
	}
	if diff := cmp.Diff(want, got, ignoreSchemas); diff != "" {
		t.Errorf("LoadFile (-want +got):\n%s", diff)
	}
	wantIn := `{"properties":{"celsius":{"description":"Temperature in Celsius","type":"number"}},"required":["celsius"],"type":"object"}`
	if s := string(got.InputSchema()); s != wantIn {
		t.Errorf("InputSchema() = %s, want %s", s, wantIn)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want os.ErrNotExist", err)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc string
		want      *Capability
	}{{
		name: "defaults and aliases",
		doc: "enact: 1.0.0\nid: tools/conv.v2\ndescription: d\n" +
			"tasks:\n  - {id: a, type: script, language: py, code: x}\n  - {id: b, type: script, language: js, code: y}\n",
		want: &Capability{Enact: "1.0.0", ID: "tools/conv.v2", Description: "d", Type: "atomic", Tasks: []Task{
			{ID: "a", Type: "script", Language: "python", LanguageAlias: "py", Code: "x", Line: 5, CodeLine: 5, CodeColumn: 47},
			{ID: "b", Type: "script", Language: "javascript", LanguageAlias: "js", Code: "y", Line: 6, CodeLine: 6, CodeColumn: 47},
		}},
	}, {
		name: "wasm task",
		doc: head + "tasks:\n  - id: w\n    type: wasm\n    plugin:\n      path: plugins/w.wasm\n      sha256: " + sha + "\n" +
			"  - id: v\n    type: wasm\n    plugin: {path: ./v.wasm, sha256: " + sha + ", function: _handle2}\n",
		want: &Capability{Enact: "1.0.0", ID: "T", Description: "d", Type: "atomic", Tasks: []Task{
			{ID: "w", Type: "wasm", Plugin: &PluginRef{Path: "plugins/w.wasm", SHA256: sha, Function: "run", Input: "json", Output: "json"}, Line: 5},
			{ID: "v", Type: "wasm", Plugin: &PluginRef{Path: "./v.wasm", SHA256: sha, Function: "_handle2", Input: "json", Output: "json"}, Line: 10},
		}},
	}, {
		name: "composite without tasks, later 1.x protocol",
		doc:  "enact: 1.3.0\nid: C\ndescription: d\ntype: composite\nimports: [{id: X, version: 1.0.0}]\nflow: {steps: [{capability: X}]}\n",
		want: &Capability{Enact: "1.3.0", ID: "C", Description: "d", Type: "composite",
			Imports: []Import{{ID: "X", Version: "1.0.0", Line: 5}},
			Flow:    &Flow{Steps: []*Step{{ID: "X", Capability: "X", OnError: "fail", Line: 6}}}},
	}, {
		name: "dependencies and authors",
		doc: head + "authors:\n  - {name: A, email: a@example.com, url: https://a.example}\n  - name: B\n" +
			"tasks:\n  - id: a\n    type: script\n    language: python\n    code: x\n    dependencies:\n      version: '>=3.9'\n      packages:\n        - name: numpy\n          version: '>=1.24'\n        - name: re\n",
		want: &Capability{Enact: "1.0.0", ID: "T", Description: "d", Type: "atomic",
			Authors: []Author{{Name: "A", Email: "a@example.com", URL: "https://a.example"}, {Name: "B"}},
			Tasks: []Task{{ID: "a", Type: "script", Language: "python", Code: "x", Line: 8, CodeLine: 11, CodeColumn: 11,
				Dependencies: &Dependencies{Version: ">=3.9", Packages: []Package{{Name: "numpy", Version: ">=1.24"}, {Name: "re"}}}}}},
	}, {
		name: "x- fields everywhere",
		doc: head + "x-top: {n: 1, f: 1.5, big: 18446744073709551615, when: 2001-12-14, bin: !!binary aGVsbG8=, nil: ~, ok: true, list: [a]}\n" +
			"authors:\n  - {name: A, x-a: 1}\n" +
			"tasks:\n  - id: a\n    type: script\n    language: python\n    code: x\n    x-task: t\n    dependencies: {x-d: 1, packages: [{name: p, x-p: 1}]}\n" +
			"  - {id: w, type: wasm, plugin: {path: w.wasm, sha256: " + sha + ", x-p: 1}}\n" +
			"env: {x-e: 1, resources: {x-r: 1}, properties: {x-p: 1}}\n",
		want: &Capability{Enact: "1.0.0", ID: "T", Description: "d", Type: "atomic",
			Extensions: map[string]any{"x-top": map[string]any{
				"n": json.Number("1"), "f": json.Number("1.5"), "big": json.Number("18446744073709551615"),
				"when": "2001-12-14", "bin": "aGVsbG8=", "nil": nil, "ok": true, "list": []any{"a"},
			}},
			Authors: []Author{{Name: "A"}},
			Tasks: []Task{
				{ID: "a", Type: "script", Language: "python", Code: "x", Line: 8, CodeLine: 11, CodeColumn: 11, Extensions: map[string]any{"x-task": "t"},
					Dependencies: &Dependencies{Packages: []Package{{Name: "p"}}}},
				{ID: "w", Type: "wasm", Plugin: &PluginRef{Path: "w.wasm", SHA256: sha, Function: "run", Input: "json", Output: "json"}, Line: 14},
			}},
	}, {
		name: "env vars and resources",
		doc:  head + script + "env:\n  vars:\n    type: object\n    properties:\n      KEY: {type: string}\n  resources:\n    memory: 64MiB\n    timeout: 1.5s\n",
		want: &Capability{Enact: "1.0.0", ID: "T", Description: "d", Type: "atomic",
			Tasks: []Task{{ID: "a", Type: "script", Language: "python", Code: "x", Line: 5, CodeLine: 8, CodeColumn: 11}},
			Env: Env{Vars: json.RawMessage(`{"properties":{"KEY":{"type":"string"}},"type":"object"}`),
				Resources: Resources{Memory: 64 << 20, Timeout: 1500 * time.Millisecond}}},
	}, {
		name: "merge keys",
		doc: head + "x-base: &base {type: script, language: python}\n" +
			"tasks:\n  - <<: *base\n    id: a\n    code: x\n  - {<<: [*base, {code: ignored, id: b}], code: y}\n",
		want: &Capability{Enact: "1.0.0", ID: "T", Description: "d", Type: "atomic",
			Extensions: map[string]any{"x-base": map[string]any{"type": "script", "language": "python"}},
			Tasks: []Task{
				{ID: "a", Type: "script", Language: "python", Code: "x", Line: 6, CodeLine: 8, CodeColumn: 11},
				{ID: "b", Type: "script", Language: "python", Code: "y", Line: 9, CodeLine: 9, CodeColumn: 49},
			}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Load([]byte(tc.doc), "t.yaml")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			sum := sha256.Sum256([]byte(tc.doc))
			tc.want.Digest, tc.want.Name = "sha256:"+hex.EncodeToString(sum[:]), "t.yaml"
			if diff := cmp.Diff(tc.want, got, ignoreSchemas); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	unknown := ": additionalProperties: unknown field; besides the protocol's fields only names starting with x- are allowed"
	wasm := "tasks:\n  - id: w\n    type: wasm\n    plugin:\n      path: w.wasm\n      sha256: " + sha + "\n"
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		// Strictness: unknown fields at every level, with the key's line.
		{"unknown top-level field", head + script + "foo: 1\n", []string{"t.yaml:9: /foo" + unknown}},
		{"unknown author field", head + script + "authors:\n  - name: A\n    phone: 1\n", []string{"t.yaml:11: /authors/0/phone" + unknown}},
		{"unknown task field", head + script + "    timeout: 5\n", []string{"t.yaml:9: /tasks/0/timeout" + unknown}},
		{"unknown dependencies field", head + script + "    dependencies:\n      version: '3'\n      pip: [x]\n", []string{"t.yaml:11: /tasks/0/dependencies/pip" + unknown}},
		{"unknown package field", head + script + "    dependencies:\n      packages:\n        - name: x\n          hash: y\n", []string{"t.yaml:12: /tasks/0/dependencies/packages/0/hash" + unknown}},
		{"unknown env field", head + script + "env:\n  secrets: {}\n", []string{"t.yaml:10: /env/secrets" + unknown}},
		{"unknown env.properties field", head + script + "env:\n  properties:\n    other: {}\n", []string{"t.yaml:11: /env/properties/other" + unknown}},
		{"unknown resources field", head + script + "env:\n  resources:\n    cpu: 2\n", []string{"t.yaml:11: /env/resources/cpu" + unknown}},
		{"unknown plugin field", head + wasm + "      args: [1]\n", []string{"t.yaml:10: /tasks/0/plugin/args" + unknown}},
		{"field names are case-sensitive", head + script + "Env: {}\n", []string{"t.yaml:9: /Env" + strings.Replace(unknown, "unknown field", "unknown field (did you mean env?)", 1)}},
		{"a misspelled field gets a suggestion", head + script + "    langauge: js\n", []string{"t.yaml:9: /tasks/0/langauge" + strings.Replace(unknown, "unknown field", "unknown field (did you mean language?)", 1)}},

		// Fields.
		{"missing id and description", "enact: 1.0.0\n" + script, []string{"t.yaml:1: /description: required: missing", "t.yaml:1: /id: required: missing"}},
		{"protocol 2", "enact: 2.0.0\nid: T\ndescription: d\n" + script, []string{`t.yaml:1: /enact: version: protocol version "2.0.0" is not supported: this loader reads Enact 1.x documents, such as 1.0.0`}},
		{"protocol as a number", "enact: 1.0\nid: T\ndescription: d\n" + script, []string{"t.yaml:1: /enact: type: must be string (got number)"}},
		{"protocol not semver", "enact: one\nid: T\ndescription: d\n" + script, []string{`t.yaml:1: /enact: pattern: must be a semantic version such as 1.0.0 (got "one")`}},
		{"version not semver", head + "version: v1\n" + script, []string{`t.yaml:4: /version: pattern: must be a semantic version such as 1.0.0 (got "v1")`}},
		{"id with a dot segment", "enact: 1.0.0\nid: a/../b\ndescription: d\n" + script, []string{`t.yaml:2: /id: pattern: must be segments of letters, digits, '_', '-' and '.' separated by '/', no segment starting with '.' (got "a/../b")`}},
		{"empty description", "enact: 1.0.0\nid: T\ndescription: ''\n" + script, []string{"t.yaml:3: /description: minLength: must have at least 1 characters (got 0)"}},
		{"type", head + "type: molecular\n" + script, []string{`t.yaml:4: /type: enum: must be one of atomic, composite (got "molecular")`}},
		{"author without name", head + script + "authors:\n  - email: a@b\n", []string{"t.yaml:10: /authors/0/name: required: missing"}},

		// Tasks.
		{"atomic without tasks", head, []string{"t.yaml:1: /tasks: required: missing"}},
		{"atomic with no task", head + "tasks: []\n", []string{"t.yaml:4: /tasks: minItems: an atomic capability needs at least one task"}},
		{"language", head + "tasks:\n  - id: a\n    type: script\n    language: ruby\n    code: x\n", []string{`t.yaml:7: /tasks/0/language: enum: must be one of python, javascript, py, js (got "ruby")`}},
		{"script without language and code", head + "tasks:\n  - id: a\n    type: script\n", []string{"t.yaml:5: /tasks/0/code: required: missing", "t.yaml:5: /tasks/0/language: required: missing"}},
		{"empty code", head + "tasks:\n  - {id: a, type: script, language: js, code: ''}\n", []string{"t.yaml:5: /tasks/0/code: minLength: must have at least 1 characters (got 0)"}},
		{"unknown task type", head + "tasks:\n  - {id: a, type: ruby, code: ls}\n", []string{`t.yaml:5: /tasks/0/type: enum: must be one of script, wasm, request, agent, prompt, shell (got "ruby")`}},
		{"task without type", head + "tasks:\n  - id: a\n", []string{"t.yaml:5: /tasks/0/type: required: missing"}},
		{"duplicate task id", head + script + "  - {id: a, type: script, language: js, code: y}\n", []string{`t.yaml:9: /tasks/1/id: unique: duplicate task id "a" (first used at line 5)`}},
		{"task id", head + "tasks:\n  - {id: .a, type: script, language: js, code: y}\n", []string{`t.yaml:5: /tasks/0/id: pattern: must be letters, digits, '_', '-' and '.', not starting with '.' (got ".a")`}},
		{"script with plugin", head + script + "    plugin: {path: w.wasm, sha256: " + sha + "}\n", []string{"t.yaml:9: /tasks/0/plugin: false: not allowed in a script task"}},
		{"wasm with code and language", head + wasm + "    language: python\n    code: x\n", []string{"t.yaml:10: /tasks/0/language: false: not allowed in a wasm task", "t.yaml:11: /tasks/0/code: false: not allowed in a wasm task"}},
		{"wasm without plugin", head + "tasks:\n  - {id: w, type: wasm}\n", []string{"t.yaml:5: /tasks/0/plugin: required: missing"}},
		{"plugin digest and function", head + "tasks:\n  - id: w\n    type: wasm\n    plugin: {path: w.wasm, sha256: " + strings.ToUpper(sha) + ", function: 2run}\n", []string{
			`t.yaml:7: /tasks/0/plugin/function: pattern: must be a function name: a letter or '_' then letters, digits and '_' (got "2run")`,
			`t.yaml:7: /tasks/0/plugin/sha256: pattern: must be 64 lowercase hexadecimal digits (got "` + strings.ToUpper(sha) + `")`,
		}},
		{"plugin path escapes", head + "tasks:\n  - id: w\n    type: wasm\n    plugin:\n      path: a/../../w.wasm\n      sha256: " + sha + "\n", []string{`t.yaml:8: /tasks/0/plugin/path: path: must be a relative path with '/' separators that stays inside the capability's directory (got "a/../../w.wasm")`}},
		{"plugin path absolute", head + "tasks:\n  - id: w\n    type: wasm\n    plugin:\n      path: /etc/w.wasm\n      sha256: " + sha + "\n", []string{`t.yaml:8: /tasks/0/plugin/path: path: must be a relative path with '/' separators that stays inside the capability's directory (got "/etc/w.wasm")`}},

		// Schemas.
		{"inputs not an object schema", head + script + "inputs:\n  type: array\n", []string{`t.yaml:10: /inputs/type: const: must be "object" (got "array")`}},
		{"inputs without type", head + script + "inputs:\n  properties: {}\n", []string{"t.yaml:9: /inputs/type: required: missing: a JSON Schema here needs type: object (the older form, a map of names to schemas, has no member named properties or $schema)"}},
		{"inputs invalid schema", head + script + "inputs:\n  type: object\n  properties:\n    a: {type: text, minimum: low}\n", []string{
			"t.yaml:12: /inputs/properties/a/minimum: type: must be number (got string)",
			`t.yaml:12: /inputs/properties/a/type: anyOf: must be one of array, boolean, integer, null, number, object, string (got "text"), or must be array (got string)`,
		}},
		{"outputs invalid regex", head + script + "outputs:\n  type: object\n  properties:\n    a:\n      pattern: '(('\n", []string{"t.yaml:13: /outputs/properties/a/pattern: format: '((' is not valid regex: error parsing regexp: missing closing ): `((`"}},
		{"external $ref", head + script + "inputs:\n  type: object\n  properties:\n    a: {$ref: 'file:///etc/passwd'}\n", []string{`t.yaml:9: /inputs: schema: $ref to "file:///etc/passwd": references outside the document are not allowed`}},
		{"relative $ref", head + script + "outputs:\n  type: object\n  properties:\n    a: {$ref: 'defs.json#/a'}\n", []string{`t.yaml:9: /outputs: schema: $ref to "defs.json": references outside the document are not allowed`}},
		{"other draft", head + script + "inputs:\n  $schema: http://json-schema.org/draft-07/schema#\n  type: object\n", []string{`t.yaml:10: /inputs/$schema: const: must be "https://json-schema.org/draft/2020-12/schema" (got "http://json-schema.org/draft-07/schema#")`}},
		{"NaN", head + script + "inputs:\n  type: object\n  properties:\n    a: {minimum: .nan}\n", []string{"t.yaml:12: /inputs/properties/a/minimum: value: .nan is not a JSON number (NaN and infinities have no JSON form)"}},
		{"infinity", head + script + "x-a: [-.inf]\n", []string{"t.yaml:9: /x-a/0: value: -.inf is not a JSON number (NaN and infinities have no JSON form)"}},

		// Env.
		{"env vars twice", head + script + "env:\n  vars: {type: object}\n  properties: {vars: {type: object}}\n", []string{"t.yaml:10: /env/vars: env: give the variables' schema once, as env.vars or as env.properties.vars"}},
		{"env vars invalid", head + script + "env:\n  type: object\n  properties:\n    vars: {type: object, required: yes}\n", []string{"t.yaml:12: /env/properties/vars/required: type: must be array (got string)"}},
		{"memory unit", head + script + "env:\n  resources: {memory: 12 parsecs}\n", []string{`t.yaml:10: /env/resources/memory: pattern: must be a number and a unit, such as 512MB, 1GB or 64MiB (got "12 parsecs")`}},
		{"memory and timeout zero", head + script + "env:\n  resources:\n    memory: 0GB\n    timeout: 0s\n", []string{
			`t.yaml:11: /env/resources/memory: memory: invalid memory "0GB": must be greater than zero`,
			`t.yaml:12: /env/resources/timeout: timeout: invalid timeout "0s": must be greater than zero`,
		}},
		{"timeout as a number", head + script + "env:\n  resources:\n    timeout: 300\n", []string{"t.yaml:11: /env/resources/timeout: type: must be string (got number)"}},

		// YAML.
		{"duplicate key", head + script + "id: again\n", []string{`t.yaml:9: /id: key: duplicate key "id" (first at line 2)`}},
		{"duplicate nested key", head + script + "x-a:\n  b: 1\n  b: 2\n", []string{`t.yaml:11: /x-a/b: key: duplicate key "b" (first at line 10)`}},
		{"key not a string", head + script + "x-a: {1: one}\n", []string{`t.yaml:9: /x-a: key: keys must be strings (got int "1"); quote the key`}},
		{"custom tag", head + script + "x-a: !secret value\n", []string{"t.yaml:9: /x-a: value: unsupported YAML tag !secret"}},
		{"bad explicit tag", head + script + "x-a: !!int ten\n", []string{"t.yaml:9: /x-a: value: cannot decode !!str `ten` as a !!int"}},
		{"two documents", head + script + "---\nx: 1\n", []string{"t.yaml:9: yaml: more than one YAML document; a capability is one document"}},
		{"empty", "", []string{"t.yaml: yaml: empty document"}},
		{"only comments", "# nothing\n", []string{"t.yaml: yaml: empty document"}},
		{"syntax", head + script + "x-a: [1, 2\n", []string{"t.yaml:9: yaml: did not find expected ',' or ']'"}},
		{"tab indentation", head + "tasks:\n\t- id: a\n", []string{"t.yaml:5: yaml: found character that cannot start any token"}},
		{"not a mapping", "- 1\n", []string{"t.yaml:1: type: must be object (got array)"}},
		{"merge of a scalar", head + script + "x-a: {<<: 1}\n", []string{"t.yaml:9: /x-a: key: a merge key (<<) takes a mapping or a list of mappings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load([]byte(tc.doc), "t.yaml")
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			if diff := cmp.Diff(tc.want, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// nest returns a document whose x-deep field nests n flow mappings, so
// the document is n+1 levels deep.
func nest(n int) string {
	return head + script + "x-deep: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + "\n"
}

// padded returns a valid document of n bytes.
func padded(n int) string {
	doc := head + script + "x-pad: ''\n"
	return strings.Replace(doc, "''", "'"+strings.Repeat("x", n-len(doc))+"'", 1)
}

func TestLimits(t *testing.T) {
	t.Parallel()
	laughs := head + script + "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i, prev := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		name := string(rune('b' + i))
		laughs += "x-" + name + ": &" + name + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", ") + "]\n"
	}
	merges := head + script + "x-a: &a {a0: 0, a1: 1, a2: 2, a3: 3, a4: 4, a5: 5, a6: 6, a7: 7, a8: 8, a9: 9}\n"
	for i, prev := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		name := string(rune('b' + i))
		merges += "x-" + name + ": &" + name + " {<<: [" + strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", ") + "], " + name + ": [*" + prev + ", *" + prev + "]}\n"
	}
	wide := head + script + "x-a: &a [" + strings.Repeat("1,", 999) + "1]\nx-b: [" + strings.TrimSuffix(strings.Repeat("*a,", 101), ",") + "]\n"
	long := head + script + "x-a: &a " + strings.Repeat("x", 100_000) + "\nx-b: [" + strings.TrimSuffix(strings.Repeat("*a,", 90), ",") + "]\n"
	deepAlias := head + script + "x-a: &a " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\nx-b: " + strings.Repeat("[", 30) + "*a" + strings.Repeat("]", 30) + "\n"
	for _, tc := range []struct {
		name, doc string
		want      error
		line      int
	}{
		{"size limit", padded(MaxSize + 1), ErrTooLarge, 0},
		{"size limit reached", padded(MaxSize), nil, 0},
		{"depth 64", nest(MaxDepth - 1), nil, 0},
		{"depth 65", nest(MaxDepth), ErrTooDeep, 9},
		{"depth 65 through an alias", deepAlias, ErrTooDeep, 10},
		{"billion laughs", laughs, ErrAliasExpansion, 13},
		{"merge-key bomb", merges, ErrAliasExpansion, 13},
		{"many small aliases", wide, ErrAliasExpansion, 10},
		{"long aliased scalar", long, ErrAliasExpansion, 10},
		{"alias to its own ancestor", head + script + "x-a: &a [1, *a]\n", ErrAliasExpansion, 9},
		{"merge of its own mapping", head + script + "x-a: &a {b: 1, <<: *a}\n", ErrAliasExpansion, 9},
		{"aliases within the limit", head + script + "x-a: &a [" + strings.Repeat("1,", 999) + "1]\nx-b: [" + strings.TrimSuffix(strings.Repeat("*a,", 98), ",") + "]\n", nil, 0},
		{"no aliases, many nodes", head + script + "x-a: [" + strings.Repeat("1,", MaxAliasNodes) + "1]\n", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.want == ErrTooLarge && len(tc.doc) != MaxSize+1 {
				t.Fatalf("document of %d bytes", len(tc.doc))
			}
			_, err := Load([]byte(tc.doc), "t.yaml")
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("Load: %v, want %v", err, tc.want)
			}
			var ve *ValidationError
			if tc.want != nil && (!errors.As(err, &ve) || ve.Line != tc.line) {
				t.Errorf("Load: %v, want line %d", err, tc.line)
			}
		})
	}
}

func TestLoadFileSizeLimit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, []byte(head+script+"x-pad: '"+strings.Repeat("x", 4*MaxSize)+"'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); !errors.Is(err, ErrTooLarge) {
		t.Errorf("LoadFile: %v, want ErrTooLarge", err)
	}
	doc := padded(MaxSize)
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err != nil {
		t.Errorf("LoadFile(%d bytes): %v", len(doc), err)
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	doc := []byte(head + script)
	a, err := Load(doc, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(bytes.Clone(doc), "b")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(append(bytes.Clone(doc), "# comment\n"...), "c")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(doc)
	if got := "sha256:" + hex.EncodeToString(sum[:]); a.Digest != got || b.Digest != got {
		t.Errorf("Digest = %s and %s, want %s", a.Digest, b.Digest, got)
	}
	if c.Digest == a.Digest {
		t.Errorf("a comment did not change the digest %s", c.Digest)
	}
}

// analyzer is the protocol's DataAnalyzer with a defaulted nested object.
func analyzer(t *testing.T) *Capability {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "protocol", "data-analyzer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("    options:\n      type: object\n"), []byte(
		"    limits:\n      type: object\n      default: {}\n      properties:\n        rows: {type: integer, default: 100}\n        sample: {type: object, default: {size: 5}, properties: {seed: {default: 7}}}\n"+
			"    options:\n      type: object\n"), 1)
	c, err := Load(data, "data-analyzer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateInputs(t *testing.T) {
	t.Parallel()
	c := analyzer(t)
	limits := map[string]any{"rows": json.Number("100"), "sample": map[string]any{"size": json.Number("5"), "seed": json.Number("7")}}
	for _, tc := range []struct {
		name     string
		in, want map[string]any
		problems []string
	}{{
		name: "nested defaults, absent object not created",
		in:   map[string]any{"data": []any{1.0, 2.5}},
		want: map[string]any{"data": []any{1.0, 2.5}, "limits": limits},
	}, {
		name: "defaults inside a given object",
		in:   map[string]any{"data": []any{json.Number("1")}, "options": map[string]any{"chart_type": "bar"}},
		want: map[string]any{"data": []any{json.Number("1")}, "limits": limits, "options": map[string]any{"chart_type": "bar", "include_statistics": true}},
	}, {
		name: "present values are kept",
		in:   map[string]any{"data": []any{}, "limits": map[string]any{"rows": 3, "sample": map[string]any{"seed": nil}}},
		want: map[string]any{"data": []any{}, "limits": map[string]any{"rows": 3, "sample": map[string]any{"seed": nil}}},
	}, {
		name:     "missing required",
		in:       nil,
		problems: []string{"inputs: /data: required: missing"},
	}, {
		name: "wrong types",
		in:   map[string]any{"data": []any{"x", json.Number("2")}, "options": map[string]any{"chart_type": "pie"}, "limits": map[string]any{"rows": 1.5}},
		problems: []string{
			"inputs: /data/0: type: must be number (got string)",
			"inputs: /limits/rows: type: must be integer (got number)",
			`inputs: /options/chart_type: enum: must be one of bar, line, scatter (got "pie")`,
		},
	}, {
		name:     "numbers a validator cannot judge",
		in:       map[string]any{"data": []any{json.Number("1e99999999"), json.Number("NaN")}},
		problems: []string{`inputs: /data/0: type: "1e99999999" is not a JSON number this validator accepts`, `inputs: /data/1: type: "NaN" is not a JSON number this validator accepts`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before, _ := json.Marshal(tc.in)
			got, err := c.ValidateInputs(tc.in)
			if diff := cmp.Diff(tc.problems, problems(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("inputs (-want +got):\n%s", diff)
			}
			if after, _ := json.Marshal(tc.in); !bytes.Equal(before, after) {
				t.Errorf("ValidateInputs modified its argument: %s, was %s", after, before)
			}
		})
	}
}

func TestValidateInputsCopies(t *testing.T) {
	t.Parallel()
	c := analyzer(t)
	in := map[string]any{"data": []any{1.0}, "options": map[string]any{}}
	got, err := c.ValidateInputs(in)
	if err != nil {
		t.Fatal(err)
	}
	got["data"].([]any)[0] = 9.0
	got["limits"].(map[string]any)["sample"].(map[string]any)["size"] = 0
	if len(in["options"].(map[string]any)) != 0 || in["data"].([]any)[0] != 1.0 {
		t.Errorf("the result shares memory with the argument: %v", in)
	}
	again, err := c.ValidateInputs(nil)
	if err == nil {
		t.Fatalf("ValidateInputs(nil) = %v, want the missing data", again)
	}
	again, err = c.ValidateInputs(map[string]any{"data": []any{}})
	if err != nil {
		t.Fatal(err)
	}
	if size := again["limits"].(map[string]any)["sample"].(map[string]any)["size"]; size != json.Number("5") {
		t.Errorf("a default was changed through an earlier result: size = %v", size)
	}
}

func TestValidateWithoutSchemas(t *testing.T) {
	t.Parallel()
	c, err := Load([]byte(head+script), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.ValidateInputs(map[string]any{"anything": 1}); err != nil || !cmp.Equal(got, map[string]any{"anything": 1}) {
		t.Errorf("ValidateInputs = %v, %v", got, err)
	}
	if err := c.ValidateOutputs(nil); err != nil {
		t.Errorf("ValidateOutputs(nil) = %v", err)
	}
	for _, s := range []json.RawMessage{c.InputSchema(), c.OutputSchema()} {
		if string(s) != `{"type":"object"}` {
			t.Errorf("schema = %s", s)
		}
		s[0] = 'X'
	}
	if s := c.InputSchema(); string(s) != `{"type":"object"}` {
		t.Errorf("InputSchema is not a copy: %s", s)
	}
}

func TestValidateOutputs(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "protocol", "error-handling.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	errs, err := Load(data, "e")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := LoadFile(filepath.Join("examples", "simple-converter.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    *Capability
		out  map[string]any
		want []string
	}{
		{"valid float64", conv, map[string]any{"fahrenheit": 77.0}, nil},
		{"valid json.Number", conv, map[string]any{"fahrenheit": json.Number("77")}, nil},
		{"wrong type", conv, map[string]any{"fahrenheit": "77"}, []string{"outputs: /fahrenheit: type: must be number (got string)"}},
		{"missing", conv, map[string]any{}, []string{"outputs: /fahrenheit: required: missing"}},
		{"not finite", conv, map[string]any{"fahrenheit": math.NaN(), "x": []any{map[string]any{"y": float32(math.Inf(1))}}}, []string{
			"outputs: /fahrenheit: type: not a JSON number (NaN or infinite)",
			"outputs: /x/0/y: type: not a JSON number (NaN or infinite)",
		}},
		{"oneOf result", errs, map[string]any{"result": map[string]any{}}, nil},
		{"oneOf neither", errs, map[string]any{}, []string{"outputs: /error: required: missing", "outputs: /result: required: missing"}},
		{"oneOf both", errs, map[string]any{"result": map[string]any{}, "error": map[string]any{}}, []string{"outputs: oneOf: valid against alternatives 0 and 1; must be valid against exactly one"}},
		{"nested", errs, map[string]any{"error": map[string]any{"message": 1}}, []string{"outputs: /error/message: type: must be string (got number)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, problems(t, tc.c.ValidateOutputs(tc.out))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatAsserted(t *testing.T) {
	t.Parallel()
	c, err := Load([]byte(head+script+"inputs:\n  type: object\n  properties:\n    to: {type: string, format: email}\n    blob: {type: string, format: binary}\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ValidateInputs(map[string]any{"to": "nobody", "blob": "anything"})
	want := []string{"inputs: /to: format: 'nobody' is not valid email: missing @"}
	if diff := cmp.Diff(want, problems(t, err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestParseMemory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want uint64
		err  string
	}{
		{in: "1GB", want: 1_000_000_000},
		{in: "512MB", want: 512_000_000},
		{in: "64MiB", want: 64 << 20},
		{in: "1024KB", want: 1_024_000},
		{in: "1048576", want: 1 << 20},
		{in: "1gib", want: 1 << 30},
		{in: "2 TiB", want: 2 << 40},
		{in: " 1.5GB ", want: 1_500_000_000},
		{in: "0.5KiB", want: 512},
		{in: "10b", want: 10},
		{in: "18446744073709551615", want: 1<<64 - 1},
		{in: "", err: `invalid memory "": want a number followed by a unit, such as 512MB or 1GiB`},
		{in: "GB", err: `invalid memory "GB": want a number followed by a unit, such as 512MB or 1GiB`},
		{in: "-1GB", err: `invalid memory "-1GB": want a number followed by a unit, such as 512MB or 1GiB`},
		{in: "1e3", err: `invalid memory "1e3": unknown unit; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB`},
		{in: "1.GB", err: `invalid memory "1.GB": want a number followed by a unit, such as 512MB or 1GiB`},
		{in: "1 G", err: `invalid memory "1 G": unknown unit; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB`},
		{in: "1PB", err: `invalid memory "1PB": unknown unit; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB`},
		{in: "1..5GB", err: `invalid memory "1..5GB": want a number followed by a unit, such as 512MB or 1GiB`},
		{in: "0", err: `invalid memory "0": must be greater than zero`},
		{in: "1.5B", err: `invalid memory "1.5B": not a whole number of bytes`},
		{in: "18446744073709551616", err: `invalid memory "18446744073709551616": too large`},
		{in: "20000000TB", err: `invalid memory "20000000TB": too large`},
	} {
		got, err := ParseMemory(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseMemory(%q) = %d, %v, want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "300s", want: 300 * time.Second},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "2m", want: 2 * time.Minute},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "300", err: `invalid timeout "300": want a number with a unit, such as 300s, 1.5s, 2m or 500ms`},
		{in: "5 minutes", err: `invalid timeout "5 minutes": want a number with a unit, such as 300s, 1.5s, 2m or 500ms`},
		{in: "0s", err: `invalid timeout "0s": must be greater than zero`},
		{in: "-1s", err: `invalid timeout "-1s": must be greater than zero`},
	} {
		got, err := ParseTimeout(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseTimeout(%q) = %v, %v, want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseTimeout(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestValidationErrorsFormat(t *testing.T) {
	t.Parallel()
	doc := head + script
	for i := range 30 {
		doc += "bad" + string(rune('A'+i)) + ": 1\n"
	}
	_, err := Load([]byte(doc), "t.yaml")
	var list ValidationErrors
	if !errors.As(err, &list) || len(list) != 30 {
		t.Fatalf("Load: %v, want 30 problems", err)
	}
	var first *ValidationError
	if !errors.As(err, &first) || first.Line != 9 || first.Pointer != "/badA" || first.Rule != "additionalProperties" {
		t.Errorf("errors.As found %+v", first)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 21 || lines[20] != "... and 10 more" {
		t.Errorf("Error() has %d lines, ending %q", len(lines), lines[len(lines)-1])
	}
	for _, tc := range []struct {
		e    ValidationError
		want string
	}{
		{ValidationError{Name: "c.yaml", Line: 3, Pointer: "/id", Rule: "pattern", Msg: "m"}, "c.yaml:3: /id: pattern: m"},
		{ValidationError{Line: 3, Rule: "yaml", Msg: "m"}, "line 3: yaml: m"},
		{ValidationError{Name: "inputs", Pointer: "/a~1b", Rule: "type", Msg: "m"}, "inputs: /a~1b: type: m"},
		{ValidationError{Msg: "m"}, "m"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestProtocolSchema(t *testing.T) {
	t.Parallel()
	raw := ProtocolSchema()
	var doc struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" || doc.ID != protocolID {
		t.Errorf("$schema %q, $id %q", doc.Schema, doc.ID)
	}
	raw[0] = 'X'
	if ProtocolSchema()[0] != '{' {
		t.Error("ProtocolSchema is not a copy")
	}
	// The schema alone, as another tool would use it, accepts the examples.
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(ProtocolSchema()))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource("enact.json", v); err != nil {
		t.Fatal(err)
	}
	sch, err := comp.Compile("enact.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range Examples() {
		c := &converter{}
		root, err := parseYAML(data, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(c.value(root, nil)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestExamples(t *testing.T) {
	t.Parallel()
	ex := Examples()
	var names []string
	for name := range ex {
		names = append(names, name)
	}
	want := []string{"hello-world.yaml", "simple-converter.yaml", "temperature-converter-js.yaml", "temperature-converter.yaml"}
	if diff := cmp.Diff(want, names, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("Examples() names (-want +got):\n%s", diff)
	}
	for _, name := range []string{"hello-world.yaml", "simple-converter.yaml", "temperature-converter.yaml"} {
		copied, err := os.ReadFile(filepath.Join("testdata", "protocol", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(copied, ex[name]) {
			t.Errorf("examples/%s differs from the protocol document's text", name)
		}
	}
	ids := map[string]string{}
	for name, data := range ex {
		c, err := Load(data, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids[name] = c.ID + " " + c.Tasks[0].Language
		data[0] = 'X'
	}
	wantIDs := map[string]string{
		"hello-world.yaml":              "HelloWorld python",
		"simple-converter.yaml":         "SimpleConverter python",
		"temperature-converter.yaml":    "TemperatureConverter python",
		"temperature-converter-js.yaml": "TemperatureConverterJS javascript",
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("example ids (-want +got):\n%s", diff)
	}
	if Examples()["hello-world.yaml"][0] != 'e' {
		t.Error("Examples does not return a copy")
	}
}
