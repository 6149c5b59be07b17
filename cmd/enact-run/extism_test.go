package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// extismTestdata holds capabilities running the Extism project's own test
// plugins (go-sdk v1.7.1; see SOURCES.md there).
const extismTestdata = "../../runtime/testdata/extism/"

// TestExtismPluginsThroughTheCLI runs the Extism project's test plugins
// end to end through `enact-run run` and `validate`, as an author would:
// each gives its author's answer, or is refused or fails with the code a
// script can act on.
func TestExtismPluginsThroughTheCLI(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		outputs string // the report's outputs as JSON, when the run passes
		errCode string // the report's error code, when it fails
		text    []string
	}{
		{"count_vowels raw input", []string{"run", extismTestdata + "count_vowels.yaml", "--input", `{"text":"hello world"}`, "--json"}, exitPass,
			`{"count":3,"total":3,"vowels":"aeiouAEIOU"}`, "", nil},
		{"hello text output", []string{"run", extismTestdata + "hello.yaml", "--json"}, exitPass, `{"output":"Hello, world!"}`, "", nil},
		{"hello_haskell", []string{"run", extismTestdata + "hello_haskell.yaml", "--input", `{"name":"Ada"}`, "--json"}, exitPass, `{"output":"Howdy, Ada"}`, "", nil},
		{"println printed", []string{"run", extismTestdata + "println.yaml"}, exitPass, "", "", []string{"this was printed from the plugin {}\n"}},
		{"log lines printed", []string{"run", extismTestdata + "log.yaml"}, exitPass, "", "", []string{"[info] this is an info log\n", "[error] this is an error log\n"}},
		{"exit 0 passes", []string{"run", extismTestdata + "exit_zero.yaml", "--json"}, exitPass, `{}`, "", nil},
		{"exit 42", []string{"run", extismTestdata + "exit.yaml", "--json"}, exitFailed, "", "exit", []string{"the plugin exited with status 42"}},
		{"fail", []string{"run", extismTestdata + "fail.yaml", "--json"}, exitFailed, "", "guest_error", []string{"Some error message"}},
		{"read_write finds no file", []string{"run", extismTestdata + "read_write.yaml", "--json"}, exitFailed, "", "guest_error", []string{"failed to find a pre-opened file descriptor"}},
		{"fs told not capable", []string{"run", extismTestdata + "fs.yaml", "--json"}, exitFailed, "", "guest_error", []string{"errno 76"}},
		{"http refused", []string{"run", extismTestdata + "http.yaml", "--json"}, exitInvalid, "", "plugin_error", []string{"extism:host/env.http_request"}},
		// The AssemblyScript example, built from npm packages.
		{"greet (AssemblyScript)", []string{"run", "../../plugins/examples/greet/greet.yaml", "--input", `{"name":"Ada"}`, "--json"}, exitPass, `{"output":"Hello, Ada!"}`, "", []string{"[info] greeting 3 characters with Hello"}},
		{"missing export at validate", []string{"validate", extismTestdata + "missing_export.yaml"}, exitInvalid, "", "", []string{"plugin_error", "no_such_function"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := invoke(t, home, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if tc.outputs != "" || tc.errCode != "" {
				var rep struct {
					Outputs json.RawMessage `json:"outputs"`
					Output  string          `json:"output"`
					Error   *struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
					t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
				}
				if tc.outputs != "" && compactJSON(t, rep.Outputs) != tc.outputs {
					t.Errorf("outputs %s, want %s", rep.Outputs, tc.outputs)
				}
				if tc.errCode != "" && (rep.Error == nil || rep.Error.Code != tc.errCode) {
					t.Errorf("error %+v, want code %s", rep.Error, tc.errCode)
				}
				// What the plugin logged is in the report's output.
				stdout = stdout + rep.Output
			}
			for _, want := range tc.text {
				if !strings.Contains(stdout+stderr, want) {
					t.Errorf("stdout and stderr lack %q\nstdout: %s\nstderr: %s", want, stdout, stderr)
				}
			}
		})
	}
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
