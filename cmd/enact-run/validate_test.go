package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scriptCapability is a one-task capability whose code starts on line 9,
// column 7.
func scriptCapability(id, lang, code string) string {
	var b strings.Builder
	b.WriteString("enact: 1.0.0\nid: " + id + "\ndescription: d\ntasks:\n  - id: main\n    type: script\n    language: " + lang + "\n    code: |\n")
	for _, line := range strings.Split(code, "\n") {
		b.WriteString("      " + line + "\n")
	}
	return b.String()
}

// TestValidateScriptSyntax: validate compiles each script with its own
// interpreter and reports a syntax error precisely, in text and as JSON
// fields, with exit code 4; a script that fails only when run is valid.
func TestValidateScriptSyntax(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), t.TempDir()
	py := writeFile(t, dir, "py.yaml", scriptCapability("Py", "python", "x = 1\ndef f(:\n    pass"))
	indent := writeFile(t, dir, "indent.yaml", scriptCapability("Indent", "python", "if x:\nreturn {}"))
	js := writeFile(t, dir, "js.yaml", scriptCapability("Js", "javascript", "const a = 1;\nconst = ;"))
	fails := writeFile(t, dir, "fails.yaml", scriptCapability("Fails", "python", "return {'x': 1 / 0}"))

	code, stdout, stderr := invoke(t, home, "", "validate", py, indent, js, fails)
	if code != exitInvalid {
		t.Errorf("exit code %d, want %d\n%s%s", code, exitInvalid, stdout, stderr)
	}
	for _, want := range []string{
		"FAIL  " + py + "\n      " + py + ":10:13: task main (python) line 2, column 7: SyntaxError: invalid syntax\n        def f(:\n              ^\n",
		"FAIL  " + indent + "\n      " + indent + ":10:7: task main (python) line 2, column 1: IndentationError: expected an indented block after 'if' statement on line 1\n",
		"FAIL  " + js + "\n      " + js + ":10: task main (javascript) line 2: SyntaxError: variable name expected\n        const = ;\n",
		"ok    " + fails + " (Fails ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "SyntaxError: SyntaxError") {
		t.Errorf("doubled prefix:\n%s", stdout)
	}

	code, stdout, _ = invoke(t, home, "", "validate", "--json", py, js, fails)
	if code != exitInvalid {
		t.Errorf("--json: exit code %d, want %d", code, exitInvalid)
	}
	var got []struct {
		File         string           `json:"file"`
		Valid        bool             `json:"valid"`
		Errors       []string         `json:"errors"`
		SyntaxErrors []map[string]any `json:"syntax_errors"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got) != 3 {
		t.Fatalf("--json output (%v):\n%s", err, stdout)
	}
	want := []map[string]any{{"file": py, "task": "main", "language": "python", "type": "SyntaxError", "message": "invalid syntax",
		"line": 2.0, "column": 7.0, "file_line": 10.0, "file_column": 13.0, "text": "def f(:"}}
	if diff := cmp.Diff(want, got[0].SyntaxErrors); got[0].Valid || len(got[0].Errors) != 1 || diff != "" {
		t.Errorf("python: valid %v, errors %q, syntax_errors (-want +got):\n%s", got[0].Valid, got[0].Errors, diff)
	}
	want = []map[string]any{{"file": js, "task": "main", "language": "javascript", "type": "SyntaxError", "message": "variable name expected",
		"line": 2.0, "file_line": 10.0, "text": "const = ;"}}
	if diff := cmp.Diff(want, got[1].SyntaxErrors); got[1].Valid || diff != "" {
		t.Errorf("javascript: valid %v, syntax_errors (-want +got):\n%s", got[1].Valid, diff)
	}
	if !got[2].Valid || len(got[2].Errors) != 0 || got[2].SyntaxErrors != nil {
		t.Errorf("a script that fails only when run: %+v", got[2])
	}

	// A script over the size limit is refused before anything compiles.
	huge := writeFile(t, dir, "huge.yaml", scriptCapability("Huge", "python", strings.Repeat("x = 1\n", 50_000)))
	code, stdout, _ = invoke(t, home, "", "validate", huge)
	if want := `invalid_input: task main: its code (line 5) is 300000 bytes; the limit is 262144 (256 KiB)`; code != exitInvalid || !strings.Contains(stdout, want) {
		t.Errorf("huge script: code %d, output lacks %q:\n%s", code, want, stdout)
	}
}
