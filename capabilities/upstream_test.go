package capabilities

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadUpstreamExamples loads every document written in the shape of
// upstream's 1.0 schema and checks what each field became.
func TestLoadUpstreamExamples(t *testing.T) {
	t.Parallel()
	load := func(name string) *Capability {
		t.Helper()
		c, err := LoadFile(filepath.Join("testdata", "upstream", name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return c
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "upstream", "*.yaml"))
	if len(files) < 10 {
		t.Fatalf("only %d upstream examples", len(files))
	}
	for _, f := range files {
		load(filepath.Base(f))
	}

	hello := load("hello-world.yaml")
	if !strings.HasPrefix(hello.Doc, "# Hello World\n") || hello.Tasks[0].EntryPoint != "main" {
		t.Errorf("hello-world: doc %q, entry point %q", hello.Doc, hello.Tasks[0].EntryPoint)
	}
	entry := load("entry-point.yaml")
	if entry.Tasks[0].EntryPoint != "convert" || entry.Tasks[1].EntryPoint != "describe" {
		t.Errorf("entry points %q %q", entry.Tasks[0].EntryPoint, entry.Tasks[1].EntryPoint)
	}
	deps := load("dependencies.yaml")
	if d := deps.Tasks[0].Dependencies; d == nil || d.Version != ">=3.9,<4.0" || len(d.Packages) != 1 || d.Packages[0].Name != "collections" {
		t.Errorf("top-level dependencies not inherited: %+v", d)
	}

	greeter := load("inputs-map.yaml")
	var in map[string]any
	if err := json.Unmarshal(greeter.InputSchema(), &in); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"name"}, in["required"]); diff != "" || in["type"] != "object" {
		t.Errorf("inputs map form: %v %s", in, diff)
	}
	got, err := greeter.ValidateInputs(map[string]any{"name": "Ada"})
	if err != nil || got["punctuation"] != "!" {
		t.Errorf("defaults of the map form: %v %v", got, err)
	}
	if _, err := greeter.ValidateInputs(map[string]any{}); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("required of the map form not enforced: %v", err)
	}
	if err := greeter.ValidateOutputs(map[string]any{}); err == nil {
		t.Error("outputs map form: required greeting not enforced")
	}

	wantVars := map[string][]Var{
		"env-vars-map.yaml": {
			{Name: "ENACT_AUTH_IDENTITY_KEY", Description: "API key for identity verification service", Required: true, Type: "string"},
			{Name: "ENACT_EMAIL_SERVICE_KEY", Description: "API key for email service", Required: true, Type: "string"},
			{Name: "ENACT_SLACK_WEBHOOK_URL", Description: "Webhook URL for Slack notifications", HasDefault: true, Type: "string"},
		},
		"env-vars-list.yaml": {
			{Name: "RETRIES", Description: "How often to retry a failed notification", HasDefault: true, Type: "integer"},
			{Name: "SERVICE_TOKEN", Description: "Token of the notification service", Required: true, Type: "string"},
		},
	}
	for file, want := range wantVars {
		if diff := cmp.Diff(want, load(file).Vars()); diff != "" {
			t.Errorf("%s vars (-want +got):\n%s", file, diff)
		}
	}
	// The protocol document's own shape, env.properties.vars.
	proto, err := LoadFile(filepath.Join("testdata", "protocol", "env-vars.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if vs := proto.Vars(); len(vs) != 3 || !vs[0].Required || vs[2].Required || !vs[2].HasDefault {
		t.Errorf("protocol env vars: %+v", vs)
	}
	for _, typ := range []string{"shell", "agent", "prompt", "request"} {
		if c := load("task-" + typ + ".yaml"); c.Tasks[0].Type != typ {
			t.Errorf("task type %q loaded as %q", typ, c.Tasks[0].Type)
		}
	}
}

func TestResolveVars(t *testing.T) {
	t.Parallel()
	c, err := LoadFile(filepath.Join("testdata", "upstream", "env-vars-list.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := c.ResolveVars(ctx, map[string]any{"SERVICE_TOKEN": "s3cr3t-token", "UNDECLARED": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"SERVICE_TOKEN": "s3cr3t-token", "RETRIES": json.Number("3")}, got); diff != "" {
		t.Errorf("default applied, undeclared dropped (-want +got):\n%s", diff)
	}
	// Text from an environment is read as JSON for a non-string type.
	got, err = c.ResolveVars(ctx, map[string]any{"SERVICE_TOKEN": "s3cr3t-token", "RETRIES": "5"})
	if err != nil || got["RETRIES"] != float64(5) {
		t.Errorf("RETRIES from text: %v %v", got, err)
	}
	_, err = c.ResolveVars(ctx, map[string]any{})
	var missing *MissingVarsError
	if !errors.As(err, &missing) || len(missing.Names) != 1 || missing.Names[0] != "SERVICE_TOKEN" {
		t.Errorf("missing required var: %v", err)
	}
	for _, bad := range []map[string]any{
		{"SERVICE_TOKEN": "short-1"},                         // minLength 8
		{"SERVICE_TOKEN": "s3cr3t-token", "RETRIES": "many"}, // not an integer
	} {
		_, err := c.ResolveVars(ctx, bad)
		if err == nil {
			t.Errorf("%v: accepted", bad)
			continue
		}
		for _, v := range bad {
			if strings.Contains(err.Error(), v.(string)) {
				t.Errorf("the error shows the value %q: %v", v, err)
			}
		}
		if !strings.Contains(err.Error(), "/SERVICE_TOKEN") && !strings.Contains(err.Error(), "/RETRIES") {
			t.Errorf("the error does not name the variable: %v", err)
		}
	}
	none, err := Load([]byte("enact: 1.0.0\nid: N\ndescription: d\ntasks:\n  - {id: a, type: script, language: js, code: x}\n"), "n.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := none.ResolveVars(ctx, map[string]any{"A": "b"}); got != nil || err != nil {
		t.Errorf("no env.vars: %v %v", got, err)
	}
}

func TestLoadVarsProblems(t *testing.T) {
	t.Parallel()
	head := "enact: 1.0.0\nid: T\ndescription: d\ntasks:\n  - {id: a, type: script, language: js, code: x}\nenv:\n  vars:\n"
	for name, tc := range map[string]struct{ doc, want string }{
		"bad name in the map":    {head + "    BAD-NAME: {type: string}\n", `"BAD-NAME" is not an environment variable name`},
		"bad name in the list":   {head + "    - {name: 9LIVES}\n", "/env/vars/0/name: pattern"},
		"duplicate in the list":  {head + "    - {name: A}\n    - {name: A}\n", `variable "A" is listed twice`},
		"unknown list field":     {head + "    - {name: A, secret: true}\n", "/env/vars/0/secret: additionalProperties"},
		"bad name in the schema": {head + "    type: object\n    properties:\n      a.b: {type: string}\n", `"a.b" is not an environment variable name`},
	} {
		_, err := Load([]byte(tc.doc), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		}
	}
}
