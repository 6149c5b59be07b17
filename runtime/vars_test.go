package runtime_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/runtime"
)

const canary = "canary-7f3a9c2e-secret"

// TestScriptsReadEnvVars checks that script tasks see the capability's
// environment variables read-only, as env and os.environ (Python) or env
// and process.env (JavaScript), and that nothing of them reaches the
// result unless the task prints or returns it.
func TestScriptsReadEnvVars(t *testing.T) {
	t.Parallel()
	vars := "env:\n  vars:\n    API_KEY: {type: string}\n    RETRIES: {type: integer, default: 3}\n"
	for _, tc := range []struct{ lang, code string }{
		{"python", `
import os
try:
    os.environ["API_KEY"] = "x"
    writable = True
except TypeError:
    writable = False
try:
    env["API_KEY"] = "x"
    writable = True
except TypeError:
    pass
return {"same": env["API_KEY"] == os.environ["API_KEY"] == os.getenv("API_KEY"), "retries": env["RETRIES"],
        "retries_text": os.environ["RETRIES"], "writable": writable, "names": sorted(os.environ)}`},
		{"javascript", `
let writable = true;
try { "use strict"; env.API_KEY = "x"; process.env.API_KEY = "x"; writable = env.API_KEY === "x" || process.env.API_KEY === "x"; } catch (e) { writable = false; }
return {same: env.API_KEY === process.env.API_KEY, retries: env.RETRIES, retries_text: process.env.RETRIES,
        writable, names: Object.keys(process.env).sort()};`},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			c := load(t, scriptDoc(tc.lang, tc.code, vars))
			resolved, err := c.ResolveVars(t.Context(), map[string]any{"API_KEY": canary})
			if err != nil {
				t.Fatal(err)
			}
			res, err := engine(t).Execute(t.Context(), c, runtime.RunSpec{Vars: resolved})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			want := `{"names":["API_KEY","RETRIES"],"retries":3,"retries_text":"3","same":true,"writable":false}`
			if got := jsonOf(t, res.Outputs); got != want {
				t.Errorf("outputs %s, want %s", got, want)
			}
			if strings.Contains(jsonOf(t, res), canary) {
				t.Errorf("the variable's value is in the result: %s", jsonOf(t, res))
			}
		})
	}
}

// TestPluginReadsEnvVarsAsConfig checks that a prebuilt plugin reads a
// variable as a configuration key, over the capability's own key of the
// same name, and that the result records its name and a digest only.
func TestPluginReadsEnvVarsAsConfig(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("testdata", "extism", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc = append(doc, "env:\n  vars:\n    thing: {type: string}\n"...)
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join("testdata", "extism", "config.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := capabilities.LoadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := engine(t).Execute(t.Context(), c, runtime.RunSpec{Vars: map[string]any{"thing": canary}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := jsonOf(t, res.Outputs), `{"config":"`+canary+`"}`; got != want {
		t.Errorf("outputs %s, want %s", got, want)
	}
	sum := sha256.Sum256([]byte(`{"thing":"` + canary + `"}`))
	if tr := res.Tasks[0]; tr.ConfigDigest != "sha256:"+hex.EncodeToString(sum[:]) || len(tr.ConfigKeys) != 1 || tr.ConfigKeys[0] != "thing" {
		t.Errorf("config keys %v digest %s", tr.ConfigKeys, tr.ConfigDigest)
	}
	if strings.Contains(jsonOf(t, res.Tasks), canary) {
		t.Errorf("the variable's value is in the task results: %s", jsonOf(t, res.Tasks))
	}
}

// TestEntryPoints runs upstream's entry points: the named function is
// called with the inputs its parameters name, and its return value is the
// task's outputs.
func TestEntryPoints(t *testing.T) {
	t.Parallel()
	c := loadFile(t, filepath.Join("..", "capabilities", "testdata", "upstream", "entry-point.yaml"))
	res := mustRun(t, c, map[string]any{"celsius": 100})
	if got, want := jsonOf(t, res.Outputs), `{"fahrenheit":212,"summary":"100 °C is 212 °F"}`; got != want {
		t.Errorf("outputs %s, want %s", got, want)
	}
	hello := loadFile(t, filepath.Join("..", "capabilities", "testdata", "upstream", "hello-world.yaml"))
	res = mustRun(t, hello, nil)
	if got := jsonOf(t, res.Outputs); got != `{"message":"Hello World"}` || res.Output != "Hello World\n" {
		t.Errorf("hello: outputs %s, printed %q", got, res.Output)
	}
	missing := load(t, scriptDoc("python", "x = 1", "schema:\n  defaults:\n    entryPoint: main\n"))
	_, err := run(t, missing, nil)
	if re := wantCode(t, err, runtime.CodeGuestError); !strings.Contains(re.Message, "entry point 'main'") {
		t.Errorf("missing entry point: %v", re)
	}
}

// TestTaskTypesTheSandboxCannotRun checks the refusal of shell, agent,
// prompt and request tasks: the type and the reason, before anything runs.
func TestTaskTypesTheSandboxCannotRun(t *testing.T) {
	t.Parallel()
	for typ, reason := range map[string]string{
		"shell":   "shell tasks never run in the Enact sandbox",
		"agent":   "agent tasks are not supported yet",
		"prompt":  "prompt tasks are not supported yet",
		"request": "request tasks are not supported yet",
	} {
		c := loadFile(t, filepath.Join("..", "capabilities", "testdata", "upstream", "task-"+typ+".yaml"))
		err := engine(t).Check(c)
		re := wantCode(t, err, runtime.CodeUnsupported)
		if !strings.Contains(re.Message, `task "step" (line 9) has type `+typ+": "+reason) {
			t.Errorf("%s: %v", typ, re)
		}
	}
}

// TestWithoutVarsTheEnvironmentIsEmpty checks that a task of a capability
// without variables sees an empty env and environment, not a missing one.
func TestWithoutVarsTheEnvironmentIsEmpty(t *testing.T) {
	t.Parallel()
	for lang, code := range map[string]string{
		"python":     "import os\nreturn {\"n\": len(env) + len(os.environ) + (os.getenv(\"HOME\") is not None)}",
		"javascript": "return {n: Object.keys(env).length + Object.keys(process.env).length};",
	} {
		res := mustRun(t, load(t, scriptDoc(lang, code, "")), nil)
		if got := jsonOf(t, res.Outputs); got != `{"n":0}` {
			t.Errorf("%s: %s", lang, got)
		}
	}
}
