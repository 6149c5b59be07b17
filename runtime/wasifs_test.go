package runtime

import (
	"archive/zip"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// fsprobe.wasm is built from testdata/wasifs/fsprobe.c (see BUILD.md there).
//
//go:embed testdata/wasifs/fsprobe.wasm
var fsprobeWasm []byte

var updateFSProbe = flag.Bool("update-fsprobe", false, "rewrite testdata/wasifs/fsprobe.golden from the probe's output")

// osPyc is the content of the probe's os.pyc.
const osPyc = "hello from os.pyc, a small file of the mount\n"

// mountFS is the tree fsprobe.c expects at /usr/local: a stdlib-like
// layout, a directory of 150 entries with long names (several fd_readdir
// calls of wasi-libc's 4 KiB buffer), one name longer than that buffer,
// and a tz file of 3000 bytes.
func mountFS() fstest.MapFS {
	m := fstest.MapFS{
		"lib/python3.13/os.pyc":                 {Data: []byte(osPyc)},
		"lib/python3.13/json/__init__.pyc":      {Data: []byte("json\n")},
		"lib/python3.13/json/decoder.pyc":       {Data: []byte("decoder\n")},
		"lib/long/" + strings.Repeat("x", 5000): {Data: []byte("long\n")},
		"share/zoneinfo/Europe/Paris":           {Data: parisData()},
		"share/zoneinfo/UTC":                    {Data: []byte("TZif2 UTC\n")},
	}
	for i := range 150 {
		m[fmt.Sprintf("lib/many/entry-with-a-rather-long-name-%03d.txt", i)] = &fstest.MapFile{Data: []byte{byte(i)}}
	}
	return m
}

// parisData is 3000 bytes of a repeating, compressible pattern.
func parisData() []byte {
	b := make([]byte, 3000)
	for i := range b {
		b[i] = byte("TZif2"[i%5] + byte(i/256))
	}
	return b
}

// zipOf writes a tree into a zip archive (entries deflated, and no
// directory entries, as a stdlib archive may have) and opens it.
func zipOf(t testing.TB, m fstest.MapFS) fs.FS {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, f := range m {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// probeHost is a wazero runtime configured as the engine's (compiler,
// CloseOnContextDone), with the sandbox's WASI and the probe compiled.
type probeHost struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	mount    *wasiMount
}

func newProbeHost(t testing.TB, fsys fs.FS) *probeHost {
	t.Helper()
	ctx := context.Background()
	h := &probeHost{rt: wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true))}
	t.Cleanup(func() { _ = h.rt.Close(ctx) })
	var opts wasiOptions
	if fsys != nil {
		var err error
		if h.mount, err = newWASIMount(fsys, "/usr/local"); err != nil {
			t.Fatal(err)
		}
		opts.Mount = h.mount
	}
	if err := instantiateWASI(ctx, h.rt, opts); err != nil {
		t.Fatal(err)
	}
	var err error
	if h.compiled, err = h.rt.CompileModule(ctx, fsprobeWasm); err != nil {
		t.Fatal(err)
	}
	return h
}

// instance instantiates the probe; initialise runs wasi-libc's start-up,
// which scans the preopened directories.
func (h *probeHost) instance(t testing.TB, initialise bool) api.Module {
	t.Helper()
	ctx := context.Background()
	mod, err := h.rt.InstantiateModule(ctx, h.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.mount.release(mod)
		_ = mod.Close(ctx)
	})
	if initialise {
		if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return mod
}

// call calls a probe export taking and returning an int.
func call(t testing.TB, ctx context.Context, mod api.Module, name string, args ...uint64) int32 {
	t.Helper()
	res, err := mod.ExportedFunction(name).Call(ctx, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return int32(res[0])
}

// TestWASIMountProbe runs fsprobe.c against the mount served from a map and
// from a zip archive (deflated entries: no seeking, no reading at offsets)
// and compares what it prints with testdata/wasifs/fsprobe.golden.
func TestWASIMountProbe(t *testing.T) {
	t.Parallel()
	golden := filepath.Join("testdata", "wasifs", "fsprobe.golden")
	want, err := os.ReadFile(golden)
	if err != nil && !*updateFSProbe {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		fsys fs.FS
	}{
		{"map", mountFS()},
		{"zip", zipOf(t, mountFS())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if *updateFSProbe && tc.name != "map" {
				t.Skip("the golden file is being rewritten from the map")
			}
			h := newProbeHost(t, tc.fsys)
			mod := h.instance(t, true)
			out := newBoundedBuffer(1 << 20)
			ctx := withCallState(t.Context(), &callState{output: out})
			if _, err := mod.ExportedFunction("probe_run").Call(ctx); err != nil {
				t.Fatal(err)
			}
			got, _ := out.result()
			if *updateFSProbe && tc.name == "map" {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("probe output (-%s +got); rerun with -update-fsprobe if the change is intended:\n%s", golden, diff)
			}
			// Everything the probe opened it closed: only the preopen is left.
			if n := h.mount.openFiles(mod); n != 1 {
				t.Errorf("descriptors left open: %d, want 1 (the preopen)", n)
			}
		})
	}
}

// openFiles counts an instance's open descriptors on the mount, the
// preopen included.
func (m *wasiMount) openFiles(mod api.Module) int {
	v, ok := m.tables.Load(mod)
	if !ok {
		return 0
	}
	t := v.(*fdTable)
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, f := range t.files {
		if f != nil {
			n++
		}
	}
	return n
}

// TestWASIMountDescriptorsArePerInstance: two instances of one host module
// each number their files from fd 4 and cannot reach each other's; release
// drops an instance's table.
func TestWASIMountDescriptorsArePerInstance(t *testing.T) {
	t.Parallel()
	h := newProbeHost(t, mountFS())
	ctx := t.Context()
	a, b := h.instance(t, true), h.instance(t, true)
	if fd := call(t, ctx, a, "probe_open_many", 10); fd != 13 {
		t.Fatalf("instance a: the 10th file is fd %d, want 13", fd)
	}
	if got := call(t, ctx, b, "probe_read_fd", 13); got != -errnoBadf {
		t.Errorf("instance b reading a's fd 13: %d, want -EBADF (-%d)", got, errnoBadf)
	}
	if fd := call(t, ctx, b, "probe_open_many", 1); fd != 4 {
		t.Errorf("instance b: its first file is fd %d, want 4", fd)
	}
	if got := call(t, ctx, a, "probe_read_fd", 13); got != int32(osPyc[0]) {
		t.Errorf("instance a reading its fd 13: %d, want %d", got, osPyc[0])
	}
	if n := h.mount.openFiles(a); n != 11 {
		t.Errorf("instance a holds %d descriptors, want 11", n)
	}
	h.mount.release(a)
	if _, ok := h.mount.tables.Load(a); ok {
		t.Error("release left instance a's table")
	}
	if n := h.mount.openFiles(b); n != 2 {
		t.Errorf("instance b holds %d descriptors after a's release, want 2", n)
	}
}

// TestWASIMountRestoredInstanceHasOnlyThePreopen: an instance whose memory
// is copied from one that opened files (as a snapshot restore does) starts
// with the preopened directory alone, which its copied libc state knows.
func TestWASIMountRestoredInstanceHasOnlyThePreopen(t *testing.T) {
	t.Parallel()
	h := newProbeHost(t, zipOf(t, mountFS()))
	ctx := t.Context()
	a := h.instance(t, true)
	if fd := call(t, ctx, a, "probe_open_many", 5); fd != 8 {
		t.Fatalf("the 5th file is fd %d, want 8", fd)
	}
	b := h.instance(t, false)
	mem := a.Memory().Size()
	if _, ok := b.Memory().Grow((mem - b.Memory().Size()) / 65536); !ok {
		t.Fatal("grow the copy's memory")
	}
	src, _ := a.Memory().Read(0, mem)
	if !b.Memory().Write(0, src) {
		t.Fatal("copy memory")
	}
	if got := call(t, ctx, b, "probe_read_fd", 4); got != -errnoBadf {
		t.Errorf("restored instance reading fd 4: %d, want -EBADF (-%d)", got, errnoBadf)
	}
	if got := call(t, ctx, b, "probe_cat"); got != int32(len(osPyc)) {
		t.Errorf("restored instance reading os.pyc: %d, want %d bytes", got, len(osPyc))
	}
	if fd := call(t, ctx, b, "probe_open_many", 1); fd != 4 {
		t.Errorf("restored instance: its first file is fd %d, want 4", fd)
	}
}

// TestWASIWithoutMountHasNoFiles: the sandbox without a mount keeps its
// answers: no preopen, so wasi-libc refuses every path itself.
func TestWASIWithoutMountHasNoFiles(t *testing.T) {
	t.Parallel()
	h := newProbeHost(t, nil)
	mod := h.instance(t, true)
	ctx := t.Context()
	if got := call(t, ctx, mod, "probe_cat"); got != -errnoNotcapable {
		t.Errorf("open without a mount: %d, want -ENOTCAPABLE (-%d)", got, errnoNotcapable)
	}
	if got := call(t, ctx, mod, "probe_list"); got != -errnoNotcapable {
		t.Errorf("opendir without a mount: %d, want -ENOTCAPABLE (-%d)", got, errnoNotcapable)
	}
	if got := call(t, ctx, mod, "probe_read_fd", 3); got != -errnoBadf {
		t.Errorf("read fd 3 without a mount: %d, want -EBADF (-%d)", got, errnoBadf)
	}
	if got := call(t, ctx, mod, "probe_sleep_ms", 1); got != 0 {
		t.Errorf("sleep without a mount: %d, want 0", got)
	}
}

// TestWASISleepEndsAtTheDeadline: an hour's sleep ends when the call's
// context does, and the module is closed as having passed its deadline.
func TestWASISleepEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	for _, fsys := range []fs.FS{nil, mountFS()} {
		h := newProbeHost(t, fsys)
		mod := h.instance(t, true)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		_, err := mod.ExportedFunction("probe_sleep_ms").Call(ctx, 3_600_000)
		cancel()
		var exit *sys.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != sys.ExitCodeDeadlineExceeded {
			t.Errorf("mount %v: an hour's sleep under a 50 ms deadline: %v, want exit code %#x", fsys != nil, err, sys.ExitCodeDeadlineExceeded)
		}
	}
}

// TestNewWASIMountRefuses names what is wrong with a mount.
func TestNewWASIMountRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fsys fs.FS
		path string
		want string
	}{
		{nil, "/usr/local", "no file system"},
		{mountFS(), "usr/local", `WASI mount path "usr/local": want an absolute, clean path`},
		{mountFS(), "/usr/local/", `WASI mount path "/usr/local/": want an absolute, clean path`},
		{mountFS(), "/usr/../local", `WASI mount path "/usr/../local": want an absolute, clean path`},
		{brokenFS{}, "/x", "index the WASI mount: open .: broken"},
		{fstest.MapFS{"a": {Data: []byte("x"), Mode: fs.ModeSymlink}}, "/x", ""},
	} {
		_, err := newWASIMount(tc.fsys, tc.path)
		if tc.want == "" {
			if err != nil {
				t.Errorf("newWASIMount(%q): %v", tc.path, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("newWASIMount(%q): %v, want %q", tc.path, err, tc.want)
		}
	}
}

// brokenFS cannot open anything.
type brokenFS struct{}

func (brokenFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("broken")}
}

// BenchmarkWASIMount measures, through the probe, wasi-libc's open + read
// to the end + close of a small file, and opendir + readdir of a directory
// of 150 entries + closedir, from a map and from a zip archive.
func BenchmarkWASIMount(b *testing.B) {
	for _, src := range []struct {
		name string
		fsys func() fs.FS
	}{
		{"map", func() fs.FS { return mountFS() }},
		{"zip", func() fs.FS { return zipOf(b, mountFS()) }},
	} {
		h := newProbeHost(b, src.fsys())
		mod := h.instance(b, true)
		ctx := context.Background()
		// One api.Function per export: each carries its own call stack.
		cat, list := mod.ExportedFunction("probe_cat"), mod.ExportedFunction("probe_list")
		b.Run("open-read-close/"+src.name, func(b *testing.B) {
			for b.Loop() {
				if res, err := cat.Call(ctx); err != nil || int32(res[0]) != int32(len(osPyc)) {
					b.Fatalf("read %v bytes: %v", res, err)
				}
			}
		})
		b.Run("list-150/"+src.name, func(b *testing.B) {
			for b.Loop() {
				if res, err := list.Call(ctx); err != nil || int32(res[0]) != 152 {
					b.Fatalf("listed %v entries: %v", res, err)
				}
			}
		})
	}
}

// TestWASIMountConcurrentInstances reads and lists from several instances
// at once, sharing one zip archive (run it under -race).
func TestWASIMountConcurrentInstances(t *testing.T) {
	t.Parallel()
	h := newProbeHost(t, zipOf(t, mountFS()))
	mods := make([]api.Module, 4)
	for i := range mods {
		mods[i] = h.instance(t, true)
	}
	errs := make(chan error, len(mods))
	for _, mod := range mods {
		go func() {
			cat, list := mod.ExportedFunction("probe_cat"), mod.ExportedFunction("probe_list")
			for range 50 {
				if res, err := cat.Call(t.Context()); err != nil || int32(res[0]) != int32(len(osPyc)) {
					errs <- fmt.Errorf("cat: %v, %v", res, err)
					return
				}
				if res, err := list.Call(t.Context()); err != nil || int32(res[0]) != 152 {
					errs <- fmt.Errorf("list: %v, %v", res, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range mods {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for i, mod := range mods {
		if n := h.mount.openFiles(mod); n != 1 {
			t.Errorf("instance %d holds %d descriptors, want 1", i, n)
		}
	}
}

// FuzzWASIMountResolve: whatever path a guest passes, resolve stays in the
// mount and, for a path without "..", finds what the fs.FS has under the
// cleaned name.
func FuzzWASIMountResolve(f *testing.F) {
	fsys := mountFS()
	m, err := newWASIMount(fsys, "/usr/local")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"lib/python3.13/os.pyc", "lib/python3.13/os.pyc/", "lib/python3.13/os.pyc/.", "lib//python3.13/./json/",
		"..", "lib/../..", "lib/../share/zoneinfo/UTC", ".", "", "/etc", "lib/\x00", "share/zoneinfo/Europe/Paris/x",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		n, errno := m.resolve(m.root, p)
		if errno != errnoSuccess {
			if n != nil {
				t.Fatalf("resolve(%q): errno %d with a node", p, errno)
			}
			return
		}
		// The node is the one its own name leads to from the root.
		if again, e := m.resolve(m.root, []byte(n.fsPath)); e != errnoSuccess || again != n {
			t.Fatalf("resolve(%q) = %s, which resolves to %v (errno %d)", p, n.fsPath, again, e)
		}
		s := string(p)
		if strings.Contains(s, "..") {
			return
		}
		if clean := path.Clean(s); clean != n.fsPath {
			t.Fatalf("resolve(%q) = %s, want %s", p, n.fsPath, clean)
		}
		info, err := fs.Stat(fsys, n.fsPath)
		if err != nil || info.IsDir() != n.dir {
			t.Fatalf("resolve(%q) = %s (dir %v), the fs.FS says %v, %v", p, n.fsPath, n.dir, info, err)
		}
		if !n.dir && s != n.fsPath && !strings.HasSuffix(s, "/"+n.name) {
			t.Fatalf("resolve(%q) = file %s, though the path goes on past it", p, n.fsPath)
		}
	})
}
