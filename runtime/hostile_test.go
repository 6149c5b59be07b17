package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
	"github.com/enact-run/enact/runtime"
)

// hostile returns the committed hostile Go plugin (see
// testdata/hostile/BUILD.md).
func hostile(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hostile", "hostile.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stillWorks proves the engine serves a normal run after a hostile one.
func stillWorks(t *testing.T) {
	t.Helper()
	for _, f := range []string{"temperature-converter.yaml", "temperature-converter-js.yaml"} {
		c := loadFile(t, filepath.Join("..", "capabilities", "examples", f))
		res := mustRun(t, c, map[string]any{"celsius": 100})
		if got := jsonOf(t, res.Outputs); got != `{"fahrenheit":212}` {
			t.Fatalf("after a hostile run, %s gave %s", f, got)
		}
	}
}

const shortLimits = "env:\n  resources:\n    timeout: 1s\n    memory: 48MiB\n"

// hostileCase builds a capability that misbehaves.
type hostileCase struct {
	name string
	c    func(t *testing.T) *capabilities.Capability
}

// endsWith runs each case and asserts it fails with code, within a hang
// guard, and that the engine serves a normal run afterwards.
func endsWith(t *testing.T, code string, cases []hostileCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := run(t, tc.c(t), nil)
			wantCode(t, err, code)
			if d := time.Since(start); d > 60*time.Second {
				t.Errorf("the run took %s to stop", d) // a hang guard, not a speed assertion
			}
			stillWorks(t)
		})
	}
}

func script(lang, code, extra string) func(t *testing.T) *capabilities.Capability {
	return func(t *testing.T) *capabilities.Capability { return load(t, scriptDoc(lang, code, extra)) }
}

func goPlugin(fn, extra string) func(t *testing.T) *capabilities.Capability {
	return func(t *testing.T) *capabilities.Capability {
		return loadFile(t, writePluginCapability(t, hostile(t), fn, extra))
	}
}

func TestInfiniteLoopsEndAtTheTimeout(t *testing.T) {
	t.Parallel()
	endsWith(t, runtime.CodeTimeout, []hostileCase{
		{"python", script("python", "while True:\n    pass", shortLimits)},
		{"python busy loop with prints", script("python", "i = 0\nwhile True:\n    i += 1\n    if i % 100000 == 0:\n        print(i)", shortLimits)},
		{"javascript", script("javascript", "for (;;) {}", shortLimits)},
		{"javascript endless promise chain", script("javascript", "const spin = () => Promise.resolve().then(spin); await spin();", shortLimits)},
		{"go plugin", goPlugin("spin", shortLimits)},
	})
}

func TestMemoryBombsEndAtTheLimit(t *testing.T) {
	t.Parallel()
	limits := "env:\n  resources:\n    timeout: 60s\n    memory: 48MiB\n"
	endsWith(t, runtime.CodeMemoryLimit, []hostileCase{
		{"python list", script("python", "x = []\nwhile True:\n    x.append('y' * 100000)", limits)},
		{"python one huge string", script("python", "s = 'x' * (1 << 30)\nreturn {'n': len(s)}", limits)},
		{"javascript array", script("javascript", "const x = []; for (;;) x.push('y'.repeat(100000) + x.length);", limits)},
		{"javascript typed array", script("javascript", "const b = new Uint8Array(1 << 30); return { n: b.length };", limits)},
		{"go plugin", goPlugin("hog", limits)},
	})
}

func TestFloodOfPrintedOutputIsTruncated(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10 // the test engine's MaxOutput
	for _, tc := range []struct {
		name    string
		c       func(t *testing.T) *capabilities.Capability
		wantErr string
	}{
		{"python 10 MB", script("python", "line = 'x' * 1023\nfor i in range(10240):\n    print(line)\nreturn {'done': True}", ""), ""},
		{"javascript 10 MB", script("javascript", "const line = 'x'.repeat(1023);\nfor (let i = 0; i < 10240; i++) console.log(line);\nreturn { done: true };", ""), ""},
		{"go plugin 10 MB printed and returned", goPlugin("flood", ""), runtime.CodeOutputLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := run(t, tc.c(t), nil)
			if tc.wantErr != "" {
				wantCode(t, err, tc.wantErr)
			} else if err != nil {
				t.Fatalf("run: %v", err)
			} else if got := jsonOf(t, res.Outputs); got != `{"done":true}` {
				t.Errorf("outputs = %s", got)
			}
			wantTruncatedAt(t, res, limit)
			stillWorks(t)
		})
	}
}

func TestGoPluginFailures(t *testing.T) {
	t.Parallel()
	for fn, want := range map[string]string{"fail": runtime.CodeGuestError, "panic": runtime.CodeGuestError} {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			_, err := run(t, loadFile(t, writePluginCapability(t, hostile(t), fn, "")), nil)
			wantCode(t, err, want)
			stillWorks(t)
		})
	}
	t.Run("echo returns its input", func(t *testing.T) {
		t.Parallel()
		res := mustRun(t, loadFile(t, writePluginCapability(t, hostile(t), "echo", "")), map[string]any{"a": json.Number("1"), "b": "two"})
		if got := jsonOf(t, res.Outputs); got != `{"a":1,"b":"two"}` {
			t.Errorf("outputs = %s", got)
		}
	})
	t.Run("missing export", func(t *testing.T) {
		t.Parallel()
		// Refused before running, naming what the module does export.
		_, err := run(t, loadFile(t, writePluginCapability(t, hostile(t), "nosuch", "")), nil)
		re := wantCode(t, err, runtime.CodePluginError)
		if !strings.Contains(re.Message, `"nosuch" is no function named so; it exports _initialize, spin`) {
			t.Errorf("message does not name the function and the exports: %s", re.Message)
		}
	})
}

// module builds a minimal Wasm module that imports one function of type
// () -> () from module.name.
func module(mod, name string) []byte {
	vec := func(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }
	section := func(id byte, body []byte) []byte { return append([]byte{id, byte(len(body))}, body...) }
	types := section(1, []byte{1, 0x60, 0, 0})
	imp := append(vec([]byte(mod)), vec([]byte(name))...)
	imp = append(imp, 0, 0) // function, type 0
	imports := section(2, append([]byte{1}, imp...))
	out := append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0}, types...)
	return append(out, imports...)
}

func TestForbiddenModulesAreRefusedBeforeRunning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		wasm []byte
		want error
		msg  string
	}{
		{"unknown host function", module("env", "launch_missiles"), plugins.ErrForbiddenImport, "env.launch_missiles"},
		// A module importing path_open is not refused (see
		// TestExtismFilesAreUnreachable); this one fails for want of an export.
		{"wasi filesystem", module("wasi_snapshot_preview1", "path_open"), plugins.ErrMissingExport, `"run" is no function named so`},
		{"wasi sockets", module("wasi_snapshot_preview1", "sock_accept"), plugins.ErrForbiddenImport, "sock_accept"},
		{"extism http", module("extism:host/env", "http_request"), plugins.ErrForbiddenImport, "http_request"},
		{"not wasm", []byte("#!/bin/sh\nrm -rf /\n"), plugins.ErrNotWasm, "magic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := loadFile(t, writePluginCapability(t, tc.wasm, "run", ""))
			if err := engine(t).Check(c); !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Check = %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
			res, err := run(t, c, nil)
			wantCode(t, err, runtime.CodePluginError)
			if len(res.Tasks) != 0 {
				t.Errorf("tasks ran: %+v", res.Tasks)
			}
		})
	}
}

func TestPluginReferencesAreChecked(t *testing.T) {
	t.Parallel()
	wasm := hostile(t)
	t.Run("hash mismatch", func(t *testing.T) {
		t.Parallel()
		path := writePluginCapability(t, wasm, "echo", "")
		tampered := append([]byte(nil), wasm...)
		tampered[len(tampered)-1] ^= 1
		if err := os.WriteFile(filepath.Join(filepath.Dir(path), "plugin.wasm"), tampered, 0o644); err != nil {
			t.Fatal(err)
		}
		err := engine(t).Check(loadFile(t, path))
		if !errors.Is(err, plugins.ErrHashMismatch) {
			t.Fatalf("Check = %v, want hash mismatch", err)
		}
	})
	for name, rel := range map[string]string{"parent": "../plugin.wasm", "absolute": "/etc/passwd", "sneaky": "sub/../../plugin.wasm"} {
		t.Run("path "+name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			doc := "enact: 1.0.0\nid: P\ndescription: d\ntasks:\n  - id: main\n    type: wasm\n    plugin:\n      path: " + rel + "\n      sha256: " + strings.Repeat("0", 64) + "\n"
			path := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := capabilities.LoadFile(path)
			if err != nil {
				return // refused by the loader already: fine
			}
			if err := engine(t).Check(c); !errors.Is(err, plugins.ErrPathEscape) {
				t.Fatalf("Check = %v, want path escape", err)
			}
		})
	}
	t.Run("symlink out of the directory", func(t *testing.T) {
		t.Parallel()
		outside := filepath.Join(t.TempDir(), "outside.wasm")
		if err := os.WriteFile(outside, wasm, 0o644); err != nil {
			t.Fatal(err)
		}
		path := writePluginCapability(t, wasm, "echo", "")
		link := filepath.Join(filepath.Dir(path), "plugin.wasm")
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, link); err != nil {
			t.Fatal(err)
		}
		if err := engine(t).Check(loadFile(t, path)); !errors.Is(err, plugins.ErrPathEscape) {
			t.Fatalf("Check = %v, want path escape", err)
		}
	})
}

func TestMissingPackagesFailValidation(t *testing.T) {
	t.Parallel()
	c := loadFile(t, filepath.Join("..", "capabilities", "testdata", "protocol", "data-analyzer.yaml"))
	err := engine(t).Check(c)
	if !errors.Is(err, plugins.ErrUnavailablePackages) {
		t.Fatalf("Check = %v, want unavailable packages", err)
	}
	for _, name := range []string{"pandas", "numpy", "matplotlib"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	// Built-in modules are fine to declare.
	ok := load(t, scriptDoc("python", "import json\nreturn {}", "")+"    dependencies:\n      packages:\n        - name: json\n        - name: re\n")
	if err := engine(t).Check(ok); err != nil {
		t.Errorf("declaring built-in modules: %v", err)
	}
}

func TestLimitsBeyondTheRunnersMaximum(t *testing.T) {
	t.Parallel()
	e, err := runtime.New(runtime.Config{MaxMemory: 256 << 20, MaxTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	for name, extra := range map[string]string{
		"memory":  "env:\n  resources:\n    memory: 1GB\n",
		"timeout": "env:\n  resources:\n    timeout: 300s\n",
	} {
		c := load(t, scriptDoc("python", "return {}", extra))
		_, err := e.Run(context.Background(), c, nil)
		re := wantCode(t, err, runtime.CodeInvalidInput)
		if !strings.Contains(re.Message, "env.resources."+name) {
			t.Errorf("%s: message does not name the resource: %s", name, re.Message)
		}
	}
}

// wantTruncatedAt checks that a run's output was cut at exactly limit bytes
// and marked so.
func wantTruncatedAt(t *testing.T, res *runtime.Result, limit int) {
	t.Helper()
	if !res.OutputTruncated {
		t.Error("output not marked truncated")
	}
	if len(res.Output) != limit {
		t.Errorf("kept %d bytes of output, want exactly %d", len(res.Output), limit)
	}
}
