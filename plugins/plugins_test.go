package plugins_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
)

// module builds a minimal Wasm module importing the given functions, each
// of type () -> ().
func module(imports ...[2]string) []byte {
	vec := func(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }
	section := func(id byte, body []byte) []byte {
		out := []byte{id}
		for n := len(body); ; n >>= 7 { // the size, unsigned LEB128
			if n < 0x80 {
				out = append(out, byte(n))
				break
			}
			out = append(out, byte(n&0x7f|0x80))
		}
		return append(out, body...)
	}
	body := []byte{byte(len(imports))}
	for _, imp := range imports {
		body = append(body, vec([]byte(imp[0]))...)
		body = append(body, vec([]byte(imp[1]))...)
		body = append(body, 0, 0)
	}
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	out = append(out, section(1, []byte{1, 0x60, 0, 0})...)
	return append(out, section(2, body)...)
}

func TestImports(t *testing.T) {
	t.Parallel()
	got, err := plugins.Imports(module([2]string{"extism:host/env", "alloc"}, [2]string{"wasi_snapshot_preview1", "fd_write"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []plugins.Import{{Module: "extism:host/env", Name: "alloc", Kind: "func"}, {Module: "wasi_snapshot_preview1", Name: "fd_write", Kind: "func"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"text":        []byte("hello world"),
		"version 2":   {0, 'a', 's', 'm', 2, 0, 0, 0},
		"truncated":   module([2]string{"env", "f"})[:20],
		"huge count":  append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 2, 5}, 0xff, 0xff, 0xff, 0xff, 0x0f),
		"bad section": {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 0x80},
	} {
		if _, err := plugins.Imports(bad); !errors.Is(err, plugins.ErrNotWasm) {
			t.Errorf("%s: err = %v, want ErrNotWasm", name, err)
		}
	}
}

func TestCheckImportsAllowsTheExamplePlugin(t *testing.T) {
	t.Parallel()
	wasm, err := os.ReadFile(filepath.Join("examples", "textstats", "textstats.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := plugins.CheckImports(wasm); err != nil {
		t.Fatal(err)
	}
}

func TestCheckImportsListsEveryOffender(t *testing.T) {
	t.Parallel()
	err := plugins.CheckImports(module(
		[2]string{"extism:host/env", "alloc"},
		[2]string{"wasi_snapshot_preview1", "sock_accept"},
		[2]string{"wasi_snapshot_preview1", "path_open"},
		[2]string{"env", "system"},
		[2]string{"extism:host/env", "http_request"},
	))
	if !errors.Is(err, plugins.ErrForbiddenImport) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"sock_accept", "env.system", "http_request"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not name %s", err, want)
		}
	}
	// Filesystem calls are linked (no directory is ever open to them).
	for _, allowed := range []string{"alloc", "path_open"} {
		if strings.Contains(err.Error(), allowed) {
			t.Errorf("%v names the allowed import %s", err, allowed)
		}
	}
}

func TestBuildScripts(t *testing.T) {
	t.Parallel()
	c, err := capabilities.Load([]byte(`
enact: 1.0.0
id: Two
description: two scripts
tasks:
  - id: a
    type: script
    language: py
    code: |
      return {"x": 1}
  - id: b
    type: script
    language: js
    code: |
      return { y: x };
`), "two.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := plugins.Build(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Language() != "python" || ps[1].Language() != "javascript" {
		t.Fatalf("plugins: %+v", ps)
	}
	if ps[0].Engine() != plugins.Python() || ps[1].Engine() != plugins.JavaScript() {
		t.Error("wrong engines")
	}
	if !bytes.Contains(ps[0].Artifact(), []byte(plugins.Python().SHA256())) || !strings.HasPrefix(ps[0].Digest(), "sha256:") {
		t.Errorf("artifact %s does not pin the engine", ps[0].Artifact())
	}
	again, _ := plugins.Build(c)
	if again[0].Digest() != ps[0].Digest() || ps[0].Digest() == ps[1].Digest() {
		t.Error("digests are not content addresses")
	}
	// Artifact returns a copy.
	a := ps[0].Artifact()
	a[0] ^= 0xff
	if bytes.Equal(a, ps[0].Artifact()) {
		t.Error("Artifact exposes internal state")
	}
}

func TestEnginesMatchTheirPins(t *testing.T) {
	t.Parallel()
	for _, e := range []*plugins.Engine{plugins.Python(), plugins.JavaScript()} {
		if _, err := e.Wasm(); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
	}
}

func TestDependencies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, lang, deps string
		wantErr          string
	}{
		{"builtins", "python", "packages: [{name: json}, {name: re}, {name: math}]", ""},
		{"missing", "python", "packages: [{name: json}, {name: pandas}, {name: requests}]", "pandas, requests"},
		{"javascript has no packages", "javascript", "packages: [{name: lodash}]", "lodash"},
		{"python 3 constraint", "python", `version: ">=3.8,<4"`, ""},
		{"python 2 only", "python", `version: "<3"`, "excludes Python 3"},
		{"python 4", "python", `version: ">=4.0"`, "excludes Python 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := "enact: 1.0.0\nid: D\ndescription: d\ntasks:\n  - id: t\n    type: script\n    language: " + tc.lang + "\n    code: return {}\n    dependencies: {" + tc.deps + "}\n"
			c, err := capabilities.Load([]byte(doc), "d.yaml")
			if err != nil {
				t.Fatal(err)
			}
			_, err = plugins.Build(c)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Build = %v, want an error containing %q", err, tc.wantErr)
			}
			var te *plugins.TaskError
			if !errors.As(err, &te) || te.Task != "t" {
				t.Errorf("error %v does not name the task", err)
			}
		})
	}
}

func FuzzImports(f *testing.F) {
	f.Add(module([2]string{"env", "f"}))
	if wasm, err := os.ReadFile(filepath.Join("examples", "textstats", "textstats.wasm")); err == nil {
		f.Add(wasm[:4096])
	}
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		imports, err := plugins.Imports(b)
		if err != nil && !errors.Is(err, plugins.ErrNotWasm) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if err == nil && len(imports) > len(b) {
			t.Fatalf("%d imports from %d bytes", len(imports), len(b))
		}
	})
}

func TestCheckExport(t *testing.T) {
	t.Parallel()
	wasm, err := os.ReadFile(filepath.Join("examples", "textstats", "textstats.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := plugins.CheckExport(wasm, "run"); err != nil {
		t.Errorf("run: %v", err)
	}
	err = plugins.CheckExport(wasm, "nope")
	if !errors.Is(err, plugins.ErrMissingExport) || !strings.Contains(err.Error(), `"nope" is no function named so; it exports `) {
		t.Errorf("nope: err = %v", err)
	}
	err = plugins.CheckExport(wasm, "memory")
	if !errors.Is(err, plugins.ErrMissingExport) || !strings.Contains(err.Error(), `"memory" is a memory, not a function,`) {
		t.Errorf("memory: err = %v", err)
	}
}

func TestRenameImports(t *testing.T) {
	t.Parallel()
	wasm := module([2]string{"extism:host/env", "alloc"}, [2]string{"extism:host/env", "log_info"}, [2]string{"wasi_snapshot_preview1", "fd_write"})
	out, err := plugins.RenameImports(wasm, func(mod, name string) (string, bool) {
		return "enact:extism/log", mod == "extism:host/env" && name == "log_info"
	})
	if err != nil {
		t.Fatal(err)
	}
	imps, err := plugins.Imports(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []plugins.Import{
		{Module: "extism:host/env", Name: "alloc", Kind: "func"},
		{Module: "enact:extism/log", Name: "log_info", Kind: "func"},
		{Module: "wasi_snapshot_preview1", Name: "fd_write", Kind: "func"},
	}
	if diff := cmp.Diff(want, imps); diff != "" {
		t.Errorf("imports:\n%s", diff)
	}
	if len(out) != len(wasm)+len("enact:extism/log")-len("extism:host/env") {
		t.Errorf("renamed module is %d bytes, from %d: something else changed", len(out), len(wasm))
	}
}
