package runtime_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/internal/testcache"
	"github.com/enact-run/enact/runtime"
)

// One engine per test binary: compiling the interpreters is the slow part,
// and sharing the engine is also what a long-lived runner does.
var (
	engineOnce sync.Once
	shared     *runtime.Engine
)

func engine(t testing.TB) *runtime.Engine {
	t.Helper()
	engineOnce.Do(func() {
		var err error
		shared, err = runtime.New(runtime.Config{MaxOutput: 64 << 10, CacheDir: testcache.Dir()})
		if err != nil {
			panic(err)
		}
	})
	return shared
}

func load(t testing.TB, doc string) *capabilities.Capability {
	t.Helper()
	c, err := capabilities.Load([]byte(doc), t.Name()+".yaml")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

func loadFile(t testing.TB, path string) *capabilities.Capability {
	t.Helper()
	c, err := capabilities.LoadFile(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return c
}

func run(t testing.TB, c *capabilities.Capability, inputs map[string]any) (*runtime.Result, error) {
	t.Helper()
	return engine(t).Run(context.Background(), c, inputs)
}

func mustRun(t testing.TB, c *capabilities.Capability, inputs map[string]any) *runtime.Result {
	t.Helper()
	res, err := run(t, c, inputs)
	if err != nil {
		var re *runtime.Error
		if errors.As(err, &re) {
			t.Fatalf("run: %v\n%s\noutput: %s", err, re.Trace, res.Output)
		}
		t.Fatalf("run: %v", err)
	}
	return res
}

// wantCode asserts that err is a *runtime.Error with the given code.
func wantCode(t testing.TB, err error, code string) *runtime.Error {
	t.Helper()
	var re *runtime.Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *runtime.Error", err, err)
	}
	if re.Code != code {
		t.Fatalf("code = %q, want %q (error: %v)", re.Code, code, err)
	}
	return re
}

// jsonOf normalises a value through JSON so numbers compare as numbers.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSeedExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file    string
		inputs  map[string]any
		outputs string
		printed string
	}{
		{"hello-world.yaml", nil, `{}`, "Hello World\n"},
		{"temperature-converter.yaml", map[string]any{"celsius": 100}, `{"fahrenheit":212}`, ""},
		{"simple-converter.yaml", map[string]any{"celsius": 100}, `{"fahrenheit":212}`, ""},
		{"temperature-converter-js.yaml", map[string]any{"celsius": 100}, `{"fahrenheit":212}`, ""},
		{"temperature-converter.yaml", map[string]any{"celsius": json.Number("-40")}, `{"fahrenheit":-40}`, ""},
		{"temperature-converter-js.yaml", map[string]any{"celsius": 36.6}, `{"fahrenheit":97.88000000000001}`, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			c := loadFile(t, filepath.Join("..", "capabilities", "examples", tc.file))
			res := mustRun(t, c, tc.inputs)
			if got := jsonOf(t, res.Outputs); got != tc.outputs {
				t.Errorf("outputs = %s, want %s", got, tc.outputs)
			}
			if res.Output != tc.printed {
				t.Errorf("printed = %q, want %q", res.Output, tc.printed)
			}
		})
	}
}

func TestScriptLanguageFeatures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, lang, code string
		inputs           map[string]any
		want             string
	}{
		{"python f-strings classes json re math", "python", `
import json, re, math
class Greeter:
    def __init__(self, who):
        self.who = who
    def greet(self):
        return f"hello {self.who}"
words = re.compile(r"\s+").split(text)
m = re.match(r"([a-z]+) ", text)
return {"greeting": Greeter(m.group(1)).greet(), "n": len(words), "root": math.sqrt(16), "dump": json.dumps({"a": [1, 2]})}
`, map[string]any{"text": "abc def ghi"}, `{"dump":"{\"a\": [1, 2]}","greeting":"hello abc","n":3,"root":4}`},
		{"python assigns to an input", "python", "celsius = celsius + 1\nreturn {'c': celsius}", map[string]any{"celsius": 1}, `{"c":2}`},
		{"javascript redeclares an input", "javascript", "const { celsius } = inputs;\nlet f = celsius * 2;\nreturn { f };", map[string]any{"celsius": 1}, `{"f":2}`},
		{"javascript input named like a builtin", "javascript", "return { t: typeof JSON, v: JSON };", map[string]any{"JSON": "shadowed"}, `{"t":"string","v":"shadowed"}`},
		{"python comprehension and try", "python", `
try:
    x = {k: v * 2 for k, v in inputs.items()}
except Exception as e:
    x = {}
return {"doubled": x}
`, map[string]any{"a": 1, "b": 2}, `{"doubled":{"a":2,"b":4}}`},
		{"python non-identifier input via inputs", "python", "return {'v': inputs['first-name']}", map[string]any{"first-name": "Ada"}, `{"v":"Ada"}`},
		{"javascript classes, destructuring, async", "javascript", `
class P { constructor(x) { this.x = x } get double() { return this.x * 2 } }
const { a, ...rest } = inputs;
const v = await Promise.resolve(new P(a).double);
return { v, rest, s: [1, 2, 3].map(n => n ** 2).join(","), big: String(2n ** 64n) };
`, map[string]any{"a": 21, "b": "x"}, `{"big":"18446744073709551616","rest":{"b":"x"},"s":"1,4,9","v":42}`},
		{"javascript unicode round trip", "javascript", "return { s: name + '✓', len: name.length }", map[string]any{"name": "Zoë 😀"}, `{"len":6,"s":"Zoë 😀✓"}`},
		{"python unicode round trip", "python", "return {'s': name + '✓', 'len': len(name)}", map[string]any{"name": "Zoë 😀\u2028\"\\"}, `{"len":8,"s":"Zoë 😀\u2028\"\\✓"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := load(t, scriptDoc(tc.lang, tc.code, ""))
			res := mustRun(t, c, tc.inputs)
			if got := jsonOf(t, res.Outputs); got != tc.want {
				t.Errorf("outputs:\n%s", cmp.Diff(tc.want, got))
			}
		})
	}
}

// scriptDoc is a one-task capability with an open inputs schema.
func scriptDoc(lang, code, extra string) string {
	var b strings.Builder
	b.WriteString("enact: 1.0.0\nid: T\ndescription: test\n" + extra + "tasks:\n  - id: main\n    type: script\n    language: " + lang + "\n    code: |\n")
	for _, line := range strings.Split(strings.Trim(code, "\n"), "\n") {
		b.WriteString("      " + line + "\n")
	}
	return b.String()
}

func TestTasksChain(t *testing.T) {
	t.Parallel()
	c := load(t, `
enact: 1.0.0
id: Chain
description: each task sees the outputs of the ones before
inputs:
  type: object
  properties:
    n: {type: integer, default: 3}
tasks:
  - id: square
    type: script
    language: python
    code: |
      print("squaring", n)
      return {"sq": n * n}
  - id: describe
    type: script
    language: js
    code: |
      console.log("describing", sq);
      return { text: n + " squared is " + sq, keys: Object.keys(inputs).sort() };
outputs:
  type: object
  properties:
    sq: {type: integer}
    text: {type: string}
  required: [sq, text]
`)
	res := mustRun(t, c, nil)
	want := `{"keys":["n","sq"],"sq":9,"text":"3 squared is 9"}`
	if got := jsonOf(t, res.Outputs); got != want {
		t.Errorf("outputs = %s, want %s", got, want)
	}
	if res.Output != "squaring 3\ndescribing 9\n" {
		t.Errorf("printed = %q", res.Output)
	}
	if len(res.Tasks) != 2 || res.Tasks[0].ID != "square" || res.Tasks[1].ID != "describe" {
		t.Errorf("tasks = %+v", res.Tasks)
	}
}

func TestInvalidInputsRunNothing(t *testing.T) {
	t.Parallel()
	c := loadFile(t, filepath.Join("..", "capabilities", "examples", "simple-converter.yaml"))
	for name, in := range map[string]map[string]any{
		"missing":     {},
		"wrong type":  {"celsius": "hot"},
		"below range": {"celsius": -300},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, err := run(t, c, in)
			re := wantCode(t, err, runtime.CodeInvalidInput)
			if !strings.Contains(re.Message, "celsius") {
				t.Errorf("message does not name the field: %s", re.Message)
			}
			if len(res.Tasks) != 0 {
				t.Errorf("tasks ran: %+v", res.Tasks)
			}
		})
	}
}

func TestOutputsViolatingSchema(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"python", "javascript"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			code := map[string]string{"python": `return {"fahrenheit": "warm"}`, "javascript": `return { fahrenheit: "warm" }`}[lang]
			c := load(t, scriptDoc(lang, code, "outputs:\n  type: object\n  properties:\n    fahrenheit: {type: number}\n  required: [fahrenheit]\n"))
			_, err := run(t, c, nil)
			re := wantCode(t, err, runtime.CodeInvalidOutput)
			if !strings.Contains(re.Message, "/fahrenheit") {
				t.Errorf("message does not point at the output: %s", re.Message)
			}
		})
	}
	t.Run("not a mapping", func(t *testing.T) {
		t.Parallel()
		_, err := run(t, load(t, scriptDoc("python", "return [1, 2]", "")), nil)
		wantCode(t, err, runtime.CodeInvalidOutput)
	})
}

func TestGuestErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, lang, code, msg, trace string
	}{
		{"python raise", "python", "x = 1\nraise ValueError('bad celsius')", "ValueError: bad celsius", `File "TestGuestErrors/python_raise.yaml", line 10, in <module>`},
		{"python syntax", "python", "x = = 1", "SyntaxError", ""},
		{"python not serializable", "python", "return {'s': {1, 2}}", "TypeError", ""},
		{"javascript throw", "javascript", "const x = 1;\nthrow new TypeError('bad celsius');", "TypeError: bad celsius", ".yaml:10:"},
		{"javascript syntax", "javascript", "const = ;", "SyntaxError", ""},
		{"javascript throws a string", "javascript", "throw 'plain';", "plain", ""},
		{"javascript cyclic result", "javascript", "const a = {}; a.a = a; return a;", "TypeError", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := run(t, load(t, scriptDoc(tc.lang, tc.code, "")), nil)
			re := wantCode(t, err, runtime.CodeGuestError)
			if re.Task != "main" {
				t.Errorf("task = %q", re.Task)
			}
			if !strings.Contains(re.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", re.Message, tc.msg)
			}
			if !strings.Contains(re.Trace, tc.trace) {
				t.Errorf("trace %q does not contain %q", re.Trace, tc.trace)
			}
		})
	}
}

func TestSandboxHasNoWorld(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, lang, code, want string }{
		{"python open", "python", `
try:
    open("/etc/passwd").read()
    return {"r": "opened"}
except OSError as e:
    return {"r": "refused"}
`, `{"r":"refused"}`},
		{"python import os listdir", "python", `
import os
try:
    return {"r": str(os.listdir("/"))}
except Exception:
    return {"r": "refused"}
`, `{"r":"refused"}`},
		{"python js bridge", "python", `
try:
    import js
    return {"r": str(js.document)}
except (ImportError, AttributeError):
    return {"r": "none"}
`, `{"r":"none"}`},
		{"javascript std and os are gone (the timers are the sandbox's own)", "javascript", `return { r: [typeof std, typeof os, typeof setTimeout, String(setTimeout).includes("addTimer")].join() }`, `{"r":"undefined,undefined,function,true"}`},
		{"javascript import of qjs:std", "javascript", `
try { const m = await import("qjs:std"); const f = m.open("/etc/passwd", "r"); return { r: f ? "opened" : "refused" }; }
catch (e) { return { r: "refused" }; }`, `{"r":"refused"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := mustRun(t, load(t, scriptDoc(tc.lang, tc.code, "")), nil)
			if got := jsonOf(t, res.Outputs); got != tc.want {
				t.Errorf("outputs = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	py := loadFile(t, filepath.Join("..", "capabilities", "examples", "temperature-converter.yaml"))
	js := loadFile(t, filepath.Join("..", "capabilities", "examples", "temperature-converter-js.yaml"))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := py
			if i%2 == 1 {
				c = js
			}
			res, err := engine(t).Run(context.Background(), c, map[string]any{"celsius": i})
			if err != nil {
				errs <- err
				return
			}
			want := json.Number("0")
			_ = want
			got, _ := json.Marshal(res.Outputs["fahrenheit"])
			exp, _ := json.Marshal(float64(i)*9/5 + 32)
			if string(got) != string(exp) {
				errs <- errors.New("run " + string(rune('0'+i)) + ": fahrenheit " + string(got) + ", want " + string(exp))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// writePluginCapability writes a capability using a prebuilt module into a
// fresh directory and returns its path.
func writePluginCapability(t testing.TB, wasm []byte, function, extra string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	doc := "enact: 1.0.0\nid: P\ndescription: plugin test\n" + extra + "tasks:\n  - id: main\n    type: wasm\n    plugin:\n      path: plugin.wasm\n      sha256: " + hex.EncodeToString(sum[:]) + "\n      function: " + function + "\n"
	path := filepath.Join(dir, "capability.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExamplePlugin(t *testing.T) {
	t.Parallel()
	c := loadFile(t, filepath.Join("..", "plugins", "examples", "textstats", "textstats.yaml"))
	res := mustRun(t, c, map[string]any{"text": "the cat and the hat\nthe end", "top": 2})
	want := `{"characters":27,"lines":2,"top_words":[{"count":3,"word":"the"},{"count":1,"word":"and"}],"words":7}`
	if got := jsonOf(t, res.Outputs); got != want {
		t.Errorf("outputs:\n%s", cmp.Diff(want, got))
	}
}

func TestOptionalInputsAreBound(t *testing.T) {
	t.Parallel()
	extra := "inputs:\n  type: object\n  properties:\n    given: {type: string}\n    missing: {type: string}\n"
	for lang, code := range map[string]string{
		"python":     "return {'given': given, 'missing_is_none': missing is None}",
		"javascript": "return { given, missing_is_none: missing === null };",
	} {
		res := mustRun(t, load(t, scriptDoc(lang, code, extra)), map[string]any{"given": "x"})
		if got := jsonOf(t, res.Outputs); got != `{"given":"x","missing_is_none":true}` {
			t.Errorf("%s: outputs = %s", lang, got)
		}
	}
}
