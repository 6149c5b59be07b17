package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/runtime"
)

// checkSyntax runs CheckSyntax on a one-task capability whose code starts
// on line 9, column 7 of its document (scriptDoc).
func checkSyntax(t *testing.T, lang, code, extra string) ([]runtime.SyntaxError, error) {
	t.Helper()
	c := load(t, scriptDoc(lang, code, extra))
	return engine(t).CheckSyntax(context.Background(), c)
}

func TestCheckSyntaxFindsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, lang, code string
		want             runtime.SyntaxError
	}{
		{"python syntax", "python", "x = 1\ndef f(:\n    pass", runtime.SyntaxError{
			Type: "SyntaxError", Message: "invalid syntax", Line: 2, Column: 7, FileLine: 10, FileColumn: 13, Text: "def f(:"}},
		{"python unclosed", "python", "total = 0\nvalues = [1, 2,\n", runtime.SyntaxError{
			Type: "SyntaxError", Message: "'[' was never closed", Line: 2, Column: 10, FileLine: 10, FileColumn: 16, Text: "values = [1, 2,"}},
		{"python indentation", "python", "if inputs:\nreturn {'n': 1}", runtime.SyntaxError{
			Type: "IndentationError", Message: "expected an indented block after 'if' statement on line 1", Line: 2, Column: 1, FileLine: 10, FileColumn: 7, Text: "return {'n': 1}"}},
		{"python unexpected indent", "python", "x = 1\n    y = 2", runtime.SyntaxError{
			Type: "IndentationError", Message: "unexpected indent", Line: 2, Column: 4, FileLine: 10, FileColumn: 10, Text: "    y = 2"}},
		// Found by the compiler, not the parser: what ast.parse accepts.
		{"python compiler", "python", "x = 1\nnonlocal y", runtime.SyntaxError{
			Type: "SyntaxError", Message: "nonlocal declaration not allowed at module level", Line: 2, Column: 1, FileLine: 10, FileColumn: 7, Text: "nonlocal y"}},
		// QuickJS names the line, not the column.
		{"javascript syntax", "javascript", "const x = 1;\nconst = ;", runtime.SyntaxError{
			Type: "SyntaxError", Message: "variable name expected", Line: 2, FileLine: 10, Text: "const = ;"}},
		{"javascript redeclared", "javascript", "let n = 1;\nlet n = 2;\nreturn { n };", runtime.SyntaxError{
			Type: "SyntaxError", Message: "invalid redefinition of lexical identifier", Line: 2, FileLine: 10, Text: "let n = 2;"}},
		{"javascript unclosed", "javascript", "const a = 1;\nif (a) {\n  return { a };", runtime.SyntaxError{
			Type: "SyntaxError", Message: "unexpected token in expression: ')' (at the end of the code)", Line: 3, FileLine: 11, Text: "  return { a };"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := checkSyntax(t, tc.lang, tc.code, "")
			if err != nil {
				t.Fatalf("CheckSyntax: %v", err)
			}
			want := tc.want
			want.File, want.Task, want.Language = t.Name()+".yaml", "main", tc.lang
			if diff := cmp.Diff([]runtime.SyntaxError{want}, got); diff != "" {
				t.Errorf("syntax errors (-want +got):\n%s", diff)
			}
			msg := got[0].Error()
			if strings.Count(msg, got[0].Type+":") != 1 {
				t.Errorf("Error() repeats the type: %q", msg)
			}
			if !strings.HasPrefix(msg, want.File+":") || !strings.Contains(msg, "task main ("+tc.lang+") line ") {
				t.Errorf("Error() = %q", msg)
			}
		})
	}
}

// Valid code checks clean, including code that fails, loops or calls
// actions when it runs: nothing of it is run. (Were it run, the loops
// would end the check with a timeout.)
func TestCheckSyntaxRunsNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, lang, code string }{
		{"python valid", "python", "import json\ndef f(x):\n    return x * 2\nreturn {'y': f(inputs.get('x', 1))}"},
		{"python fails when run", "python", "x = 1 / 0\nundefined_name()\nraise ValueError('bad')"},
		{"python loops when run", "python", "while True:\n    enact.call('kv.put', key='k', value=1)"},
		{"javascript valid", "javascript", "const y = await Promise.resolve(2);\nreturn { y };"},
		{"javascript fails when run", "javascript", "undefinedName();\nthrow new TypeError('bad');"},
		{"javascript loops when run", "javascript", "for (;;) { enact.call('kv.put', { key: 'k', value: 1 }); }"},
		// Code that closes the wrapper a run puts it in is compiled, not run.
		{"javascript closes the wrapper", "javascript", "}); for (;;) {} (async function () {"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := checkSyntax(t, tc.lang, tc.code, "env:\n  resources:\n    timeout: 5s\n")
			if err != nil || len(got) != 0 {
				t.Fatalf("CheckSyntax = %+v, %v; want no errors", got, err)
			}
		})
	}
}

func TestCheckSyntaxRefusesHugeScripts(t *testing.T) {
	t.Parallel()
	code := strings.Repeat("x = 1\n", runtime.MaxScriptBytes/6+1)
	c := load(t, scriptDoc("python", code, ""))
	wantLimit := func(what string, err error) {
		t.Helper()
		re := wantCode(t, err, runtime.CodeInvalidInput)
		if re.Task != "main" || !strings.Contains(re.Message, "the limit is 262144") || !strings.Contains(re.Message, "its code (line 5) is 262146 bytes") {
			t.Errorf("%s: %v", what, err)
		}
	}
	got, err := engine(t).CheckSyntax(context.Background(), c)
	if len(got) != 0 {
		t.Errorf("syntax errors %+v", got)
	}
	wantLimit("CheckSyntax", err)
	wantLimit("Check", engine(t).Check(c))
	_, err = run(t, c, nil)
	wantLimit("Run", err)
}

// Code built to exhaust a compiler ends the check with an error naming
// what happened; the engine stays usable.
func TestCheckSyntaxHostileCode(t *testing.T) {
	t.Parallel()
	got, err := checkSyntax(t, "python", "x = "+strings.Repeat("[", 1000)+strings.Repeat("]", 1000), "")
	if err != nil || len(got) != 1 || got[0].Type != "MemoryError" || !strings.Contains(got[0].Message, "too complex") {
		t.Errorf("python nested lists: %+v, %v", got, err)
	}
	_, err = checkSyntax(t, "javascript", "x = "+strings.Repeat("(", 100_000)+"1"+strings.Repeat(")", 100_000), "")
	var re *runtime.Error
	if !errors.As(err, &re) || re.Code != runtime.CodeTrap || !strings.Contains(re.Message, "javascript engine crashed compiling") {
		t.Errorf("javascript nested parentheses: %v", err)
	}
	// QuickJS's compile time grows with the square of the declarations
	// in one scope: 250 KiB of them takes it tens of seconds (~27 s
	// measured here), far past this capability's deadline.
	var lets strings.Builder
	for i := 0; lets.Len() < 250<<10; i++ {
		fmt.Fprintf(&lets, "let x%d = %d;\n", i, i)
	}
	_, err = checkSyntax(t, "javascript", lets.String(), "env:\n  resources:\n    timeout: 200ms\n")
	if re := wantCode(t, err, runtime.CodeTimeout); re.Task != "main" || !strings.Contains(re.Message, "longer than its time limit of 200ms") {
		t.Errorf("javascript declarations: %v", err)
	}
	got, err = checkSyntax(t, "javascript", "return 1;", "")
	if err != nil || len(got) != 0 {
		t.Errorf("after: %+v, %v", got, err)
	}
}

// A composite's check covers the capabilities its steps run, each once.
func TestCheckSyntaxOfComposite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	part := "enact: 1.0.0\nid: P\nversion: 1.0.0\ndescription: d\ntasks:\n  - {id: t, type: script, language: python, code: 'return {'}\n"
	doc := "enact: 1.0.0\nid: F\ndescription: d\ntype: composite\nimports: [{id: P, version: 1.0.0}]\nflow:\n  steps:\n    - {id: a, capability: P}\n    - {id: b, capability: P}\n"
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
	got, err := engine(t).CheckSyntax(context.Background(), c)
	want := []runtime.SyntaxError{{File: filepath.Join(dir, "p.yaml"), Task: "t", Language: "python", Type: "SyntaxError",
		Message: "'{' was never closed", Line: 1, Column: 8, FileLine: 6, FileColumn: 59, Text: "return {"}}
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("CheckSyntax: %v; (-want +got):\n%s", err, diff)
	}
}
