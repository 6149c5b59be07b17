package runtime_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/runtime"
)

// extismCapability loads testdata/extism/NAME.yaml, which runs one of the
// Extism project's test plugins (copied beside it; see SOURCES.md).
func extismCapability(t testing.TB, name string) *capabilities.Capability {
	t.Helper()
	return loadFile(t, filepath.Join("testdata", "extism", name+".yaml"))
}

// extismVariant writes a capability document beside a copy of the Extism
// test plugin it runs, in a directory of its own, and loads it.
func extismVariant(t testing.TB, plugin, doc string) *capabilities.Capability {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, plugin), string(mustRead(t, filepath.Join("testdata", "extism", plugin))))
	writeFile(t, filepath.Join(dir, "variant.yaml"), doc)
	return loadFile(t, filepath.Join(dir, "variant.yaml"))
}

func TestExtismPluginsRunAsMeant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		inputs map[string]any
		want   string // the outputs as JSON
	}{
		// Raw input: the bytes of "hello world", not of a JSON object.
		{"count_vowels", map[string]any{"text": "hello world"}, `{"count":3,"total":3,"vowels":"aeiouAEIOU"}`},
		// Text output.
		{"hello", nil, `{"output":"Hello, world!"}`},
		{"std_command", map[string]any{"name": "ben"}, `{"output":"hello ben"}`},
		// Config from the capability.
		{"config", nil, `{"config":"from the capability"}`},
		// Haskell PDK: raw input, text output, config; links path_open.
		{"hello_haskell", map[string]any{"name": "John"}, `{"output":"Howdy, John"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := engine(t).Run(t.Context(), extismCapability(t, tc.name), tc.inputs)
			if err != nil {
				t.Fatalf("run: %v (output %q)", err, res.Output)
			}
			if got := jsonOf(t, res.Outputs); got != tc.want {
				t.Errorf("outputs:\n%s", cmp.Diff(tc.want, got))
			}
		})
	}
}

func TestExtismSleepReadsItsConfig(t *testing.T) {
	t.Parallel()
	res, err := engine(t).Run(t.Context(), extismCapability(t, "sleep"), nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// The plugin sleeps for config "duration" seconds and says so.
	if got, want := jsonOf(t, res.Outputs), `{"output":"slept for 1 seconds"}`; got != want {
		t.Errorf("outputs %s, want %s", got, want)
	}
	if res.Tasks[0].Duration < 900e6 {
		t.Errorf("the task took %s; the plugin sleeps config duration 1 s", res.Tasks[0].Duration)
	}
}

func TestExtismOperatorConfigOverridesAndIsNotRecordedInClear(t *testing.T) {
	t.Parallel()
	p, err := policy.Load([]byte("version: 1\nplugin_config:\n  extism-config:\n    thing: from the operator\n"), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := runtime.New(runtime.Config{PluginConfig: p.PluginConfig})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	res, err := e.Run(t.Context(), extismCapability(t, "config"), nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := jsonOf(t, res.Outputs), `{"config":"from the operator"}`; got != want {
		t.Errorf("outputs %s, want %s", got, want)
	}
	tr := res.Tasks[0]
	if diff := cmp.Diff([]string{"thing"}, tr.ConfigKeys); diff != "" {
		t.Errorf("config keys:\n%s", diff)
	}
	sum := sha256.Sum256([]byte(`{"thing":"from the operator"}`))
	if want := "sha256:" + hex.EncodeToString(sum[:]); tr.ConfigDigest != want {
		t.Errorf("config digest %s, want %s", tr.ConfigDigest, want)
	}
	if strings.Contains(jsonOf(t, res.Tasks), "from the operator") {
		t.Errorf("a configuration value is in the task results: %s", jsonOf(t, res.Tasks))
	}
}

func TestExtismLogsAreCaptured(t *testing.T) {
	t.Parallel()
	res, err := engine(t).Run(t.Context(), extismCapability(t, "log"), nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := []runtime.LogEntry{
		{Task: "main", Level: "trace", Message: "this is a trace log"},
		{Task: "main", Level: "debug", Message: "this is a debug log"},
		{Task: "main", Level: "info", Message: "this is an info log"},
		{Task: "main", Level: "warn", Message: "this is a warning log"},
		{Task: "main", Level: "error", Message: "this is an error log"},
	}
	if diff := cmp.Diff(want, res.Logs); diff != "" {
		t.Errorf("logs:\n%s", diff)
	}
	for _, line := range []string{"[info] this is an info log\n", "[error] this is an error log\n"} {
		if !strings.Contains(res.Output, line) {
			t.Errorf("output %q lacks %q", res.Output, line)
		}
	}
}

func TestExtismPrintlnRuns(t *testing.T) {
	t.Parallel()
	// TinyGo's println links path_open and fd_filestat_get without using
	// files: the module runs, and what it prints is captured.
	res, err := engine(t).Run(t.Context(), extismCapability(t, "println"), nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if want := "this was printed from the plugin {}\n"; res.Output != want {
		t.Errorf("output %q, want %q", res.Output, want)
	}
}

func TestExtismFilesAreUnreachable(t *testing.T) {
	t.Parallel()
	// The go-sdk's own tests mount a directory holding test.txt at /mnt;
	// here no directory is open to the plugin, and the sandbox's WASI
	// answers every path call "not capable" (ENOTCAPABLE, 76).
	for _, tc := range []struct{ name, code, msg, logged string }{
		// Rust, std::fs: wasi-libc finds no preopened directory for the
		// path and fails with ENOTCAPABLE before any path call.
		{"read_write", runtime.CodeGuestError, `Failed to read file: failed to find a pre-opened file descriptor through which "/mnt/test.txt" could be opened`, ""},
		// TinyGo, os.ReadFile: it calls path_open itself, is told
		// ENOTCAPABLE and logs the errno (76) before returning 1.
		{"fs", runtime.CodeGuestError, "returned 1", "open /mnt/test.txt: errno 76"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := engine(t).Run(t.Context(), extismCapability(t, tc.name), nil)
			var re *runtime.Error
			if !errors.As(err, &re) || re.Code != tc.code || !strings.Contains(re.Message, tc.msg) {
				t.Fatalf("err = %v (outputs %v, logs %v, output %q), want %s containing %q", err, res.Outputs, res.Logs, res.Output, tc.code, tc.msg)
			}
			if tc.logged != "" && !strings.Contains(jsonOf(t, res.Logs), tc.logged) {
				t.Errorf("logs %v lack %q", res.Logs, tc.logged)
			}
			if strings.Contains(jsonOf(t, res.Outputs)+res.Output, "hello world") {
				t.Errorf("the plugin read a file: %v %q", res.Outputs, res.Output)
			}
		})
	}
}

func TestExtismFailuresAreReported(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, code, msg string }{
		{"fail", runtime.CodeGuestError, "Some error message"},
		// proc_exit(42): the plugin's own status, not a trap.
		{"exit", runtime.CodeExit, "the plugin exited with status 42"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := engine(t).Run(t.Context(), extismCapability(t, tc.name), nil)
			var re *runtime.Error
			if !errors.As(err, &re) || re.Code != tc.code || !strings.Contains(re.Message, tc.msg) {
				t.Fatalf("err = %v, want %s containing %q", err, tc.code, tc.msg)
			}
		})
	}
}

func TestExtismExitZeroIsASuccess(t *testing.T) {
	t.Parallel()
	// The go-sdk takes proc_exit(0) for a success and returns the output
	// set before it; so does the engine.
	res, err := engine(t).Run(t.Context(), extismCapability(t, "exit_zero"), nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got := jsonOf(t, res.Outputs); got != "{}" {
		t.Errorf("outputs %s, want none", got)
	}
}

func TestExtismSleepEndsAtTheDeadlineOrTheCancel(t *testing.T) {
	t.Parallel()
	// sleep.wasm sleeps config duration (600 s here) through WASI's
	// poll_oneoff, which the sandbox cuts at the run's 1 s deadline; a
	// cancelled context ends it as cancelled, not timeout.
	c := extismCapability(t, "sleep_long")
	_, err := engine(t).Run(t.Context(), c, nil)
	var re *runtime.Error
	if !errors.As(err, &re) || re.Code != runtime.CodeTimeout {
		t.Fatalf("err = %v, want timeout", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err = engine(t).Run(ctx, c, nil)
	if !errors.As(err, &re) || re.Code != runtime.CodeCancelled || re.Message != "the run was cancelled" {
		t.Fatalf("err = %v, want cancelled", err)
	}
}

func TestExtismHTTPIsRefusedBeforeRunning(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"http", "http_headers"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := engine(t).Check(extismCapability(t, name))
			var re *runtime.Error
			if !errors.As(err, &re) || re.Code != runtime.CodePluginError || !errors.Is(err, plugins.ErrForbiddenImport) ||
				!strings.Contains(err.Error(), "extism:host/env.http_request") {
				t.Fatalf("err = %v, want plugin_error naming http_request", err)
			}
		})
	}
}

func TestExtismExportsAreCheckedBeforeRunning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		target error
		msg    string
	}{
		{"missing_export", plugins.ErrMissingExport, `"no_such_function" is no function named so; it exports count_vowels`},
		{"wrong_signature", plugins.ErrExportSignature, `"malloc" is (i32) -> (i32)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := engine(t).Check(extismCapability(t, tc.name))
			var re *runtime.Error
			if !errors.As(err, &re) || re.Code != runtime.CodePluginError || !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want plugin_error containing %q", err, tc.msg)
			}
		})
	}
}

func TestExtismOutputModes(t *testing.T) {
	t.Parallel()
	// hello returns "Hello, world!": JSON mode refuses it with the bytes
	// quoted, bytes mode gives them in base64.
	doc := strings.Replace(string(mustRead(t, filepath.Join("testdata", "extism", "hello.yaml"))), "output: text", "output: bytes", 1)
	res, err := engine(t).Run(t.Context(), extismVariant(t, "hello.wasm", doc), nil)
	if err != nil {
		t.Fatalf("bytes: %v", err)
	}
	if got, want := jsonOf(t, res.Outputs), `{"output":"SGVsbG8sIHdvcmxkIQ=="}`; got != want {
		t.Errorf("bytes outputs %s, want %s", got, want)
	}
	doc = strings.Replace(doc, "      output: bytes\n", "", 1)
	doc = strings.Replace(doc, "outputs:\n  type: object\n  properties:\n    output: {type: string}\n", "", 1)
	_, err = engine(t).Run(t.Context(), extismVariant(t, "hello.wasm", doc), nil)
	var re *runtime.Error
	if !errors.As(err, &re) || re.Code != runtime.CodeInvalidOutput || !strings.Contains(re.Message, `"Hello, world!" (13 bytes)`) {
		t.Fatalf("json: err = %v, want invalid_output quoting the bytes", err)
	}
}

func TestExtismRawInputRules(t *testing.T) {
	t.Parallel()
	base := "enact: 1.0.0\nid: raw\ndescription: d\ntasks:\n  - id: main\n    type: wasm\n    plugin:\n      path: p.wasm\n      sha256: \"" +
		strings.Repeat("0", 64) + "\"\n      input: raw\n"
	for _, tc := range []struct{ name, inputs, msg string }{
		{"none", "", "declare exactly one property, a string (it declares 0)"},
		{"two", "inputs:\n  type: object\n  properties:\n    a: {type: string}\n    b: {type: string}\n", "(it declares 2)"},
		{"number", "inputs:\n  type: object\n  properties:\n    a: {type: number}\n", `"a" must have type string`},
		{"encoding", "inputs:\n  type: object\n  properties:\n    a: {type: string, contentEncoding: base32}\n", "contentEncoding base32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := capabilities.Load([]byte(base+tc.inputs), "raw.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want one containing %q", err, tc.msg)
			}
		})
	}
	c, err := capabilities.Load([]byte(base+"inputs:\n  type: object\n  properties:\n    blob: {type: string, contentEncoding: base64}\n"), "raw.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Tasks[0].Plugin; p.RawInput != "blob" || !p.RawBase64 || p.Output != "json" {
		t.Errorf("plugin ref %+v, want raw input blob in base64, json output", p)
	}
}

func TestExtismBase64RawInput(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(string(mustRead(t, filepath.Join("testdata", "extism", "count_vowels.yaml"))), "text: {type: string}", "text: {type: string, contentEncoding: base64}", 1)
	c := extismVariant(t, "count_vowels.wasm", doc)
	res, err := engine(t).Run(t.Context(), c, map[string]any{"text": "aGVsbG8gd29ybGQ="}) // "hello world"
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got := jsonOf(t, res.Outputs); !strings.Contains(got, `"count":3`) {
		t.Errorf("outputs %s, want count 3", got)
	}
	_, err = engine(t).Run(t.Context(), c, map[string]any{"text": "not base64!"})
	var re *runtime.Error
	if !errors.As(err, &re) || re.Code != runtime.CodeInvalidInput || !strings.Contains(re.Message, `"text" is not valid base64`) {
		t.Fatalf("err = %v, want invalid_input naming text", err)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path, doc string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkExtismHostCalls compares host calls through the engine with
// the plain go-sdk, side by side, on two plugins:
//
//   - hostcalls (testdata/hostcalls, built here from WAT): a loop of 1M
//     calls to the kernel's input_load_u64, nothing else;
//   - load_u8 (the same module's load): 100k calls to the kernel's
//     load_u8, which the go-sdk forwards to the kernel module;
//   - enact_call (the same module's act): 10k action requests through
//     extism:host/user.enact_call, answered not_granted at once (the
//     go-sdk runs get a host function doing the same reads and writes);
//   - count_vowels (the Extism project's, Rust PDK) on 1 MiB of raw input,
//     which it reads 8 bytes per host call (131k calls, as many loads
//     again to copy it) and then scans.
//
// The go-sdk runs with its defaults, and with a manifest timeout, which is
// how the go-sdk makes a guest's loops interruptible (wazero's
// CloseOnContextDone, which the engine always has). ns/call is the run's
// time over the host calls it makes.
func BenchmarkExtismHostCalls(b *testing.B) {
	const size = 1 << 20
	text := strings.Repeat("hello world, ", size/13+1)[:size]
	hostcalls, err := os.ReadFile(filepath.Join("testdata", "hostcalls", "hostcalls.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name, fn string
		c        func(b *testing.B) *capabilities.Capability
		wasm     func(b *testing.B) []byte
		inputs   map[string]any
		raw      []byte
		calls    float64
	}{
		{"hostcalls", "run", func(b *testing.B) *capabilities.Capability {
			return loadFile(b, filepath.Join("testdata", "hostcalls", "hostcalls.yaml"))
		}, func(*testing.B) []byte { return hostcalls }, map[string]any{"n": "ZA=="}, []byte{100}, 1e6},
		{"load_u8", "load", func(b *testing.B) *capabilities.Capability {
			return loadFile(b, filepath.Join("testdata", "hostcalls", "hostcalls-load.yaml"))
		}, func(*testing.B) []byte { return hostcalls }, map[string]any{"n": "Cg=="}, []byte{10}, 1e5},
		{"enact_call", "act", func(b *testing.B) *capabilities.Capability {
			return loadFile(b, filepath.Join("testdata", "hostcalls", "hostcalls-act.yaml"))
		}, func(*testing.B) []byte { return hostcalls }, map[string]any{"n": "AQ=="}, []byte{1}, 1e4},
		{"count_vowels", "count_vowels", func(b *testing.B) *capabilities.Capability { return extismCapability(b, "count_vowels") },
			func(b *testing.B) []byte {
				wasm, err := os.ReadFile(filepath.Join("testdata", "extism", "count_vowels.wasm"))
				if err != nil {
					b.Fatal(err)
				}
				return wasm
			}, map[string]any{"text": text}, []byte(text), size / 8},
	} {
		b.Run(tc.name+"/engine", func(b *testing.B) {
			c, e := tc.c(b), engine(b)
			if _, err := e.Run(context.Background(), c, tc.inputs); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.Run(context.Background(), c, tc.inputs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/tc.calls, "ns/call")
		})
		for _, sdk := range []struct {
			name    string
			timeout uint64
		}{{"go-sdk", 0}, {"go-sdk-timeout", 30000}} {
			b.Run(tc.name+"/"+sdk.name, func(b *testing.B) {
				ctx := context.Background()
				cp, err := extism.NewCompiledPlugin(ctx, extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: tc.wasm(b)}}, Timeout: sdk.timeout},
					extism.PluginConfig{EnableWasi: true}, []extism.HostFunction{sdkEnactCall()})
				if err != nil {
					b.Fatal(err)
				}
				defer cp.Close(ctx)
				for b.Loop() {
					p, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
					if err != nil {
						b.Fatal(err)
					}
					if _, _, err := p.Call(tc.fn, tc.raw); err != nil {
						b.Fatal(err)
					}
					p.Close(ctx)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/tc.calls, "ns/call")
			})
		}
	}
}

func TestAssemblyScriptExamplePlugin(t *testing.T) {
	t.Parallel()
	c := loadFile(t, filepath.Join("..", "plugins", "examples", "greet", "greet.yaml"))
	res, err := engine(t).Run(t.Context(), c, map[string]any{"name": "Ada"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := jsonOf(t, res.Outputs), `{"output":"Hello, Ada!"}`; got != want {
		t.Errorf("outputs %s, want %s", got, want)
	}
	want := []runtime.LogEntry{{Task: "greet", Level: "info", Message: "greeting 3 characters with Hello"}}
	if diff := cmp.Diff(want, res.Logs); diff != "" {
		t.Errorf("logs:\n%s", diff)
	}
	p, err := policy.Load([]byte("version: 1\nplugin_config:\n  Greet:\n    greeting: Bonjour\n"), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := runtime.New(runtime.Config{PluginConfig: p.PluginConfig})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	res, err = e.Run(t.Context(), c, map[string]any{"name": ""})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := jsonOf(t, res.Outputs), `{"output":"Bonjour, stranger!"}`; got != want {
		t.Errorf("outputs %s, want %s", got, want)
	}
	if len(res.Logs) != 2 || res.Logs[0].Level != "warn" || res.Logs[0].Message != "no name given" {
		t.Errorf("logs %+v, want a warning first", res.Logs)
	}
}

// sdkEnactCall is enact_call as a plain go-sdk host would write it, for
// the side-by-side benchmark: read the request, answer, write the reply.
func sdkEnactCall() extism.HostFunction {
	reply := []byte(`{"ok":false,"error":{"code":"not_granted","message":"no"}}`)
	f := extism.NewHostFunctionWithStack("enact_call", func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
		if _, err := p.ReadBytes(stack[0]); err != nil {
			panic(err)
		}
		off, err := p.WriteBytes(reply)
		if err != nil {
			panic(err)
		}
		stack[0] = off
	}, []extism.ValueType{extism.ValueTypePTR}, []extism.ValueType{extism.ValueTypePTR})
	f.SetNamespace("extism:host/user")
	return f
}

func TestExtismTestPluginsMatchTheirSources(t *testing.T) {
	t.Parallel()
	// SOURCES.md lists every plugin copied here with its sha256; the
	// files must be those.
	doc := string(mustRead(t, filepath.Join("testdata", "extism", "SOURCES.md")))
	listed := 0
	for line := range strings.Lines(doc) {
		cells := strings.Split(line, " | ")
		if len(cells) < 3 || !strings.HasSuffix(cells[0], ".wasm") {
			continue
		}
		name := strings.TrimPrefix(cells[0], "| ")
		sum := sha256.Sum256(mustRead(t, filepath.Join("testdata", "extism", name)))
		if got := hex.EncodeToString(sum[:]); got != cells[2] {
			t.Errorf("%s has sha256 %s; SOURCES.md says %s", name, got, cells[2])
		}
		listed++
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "extism", "*.wasm"))
	if listed != len(files) || listed == 0 {
		t.Errorf("SOURCES.md lists %d plugins; testdata/extism holds %d", listed, len(files))
	}
}
