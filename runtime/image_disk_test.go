package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/enact-run/enact/internal/testcache"
)

// The CPython engine's image is kept in the cache directory: a second
// engine (a new process) maps it instead of initialising the interpreter,
// a damaged file is refused and replaced, and runs work either way.
func TestImageKeptOnDisk(t *testing.T) {
	t.Parallel()
	if !imagesAvailable() {
		t.Skip("no memory images on this platform")
	}
	dir := t.TempDir()
	ctx := context.Background()
	// The compiled code comes from the test binaries' shared cache; the
	// images are this test's own.
	compiled := testcache.Dir()
	request := `{"code":"return {'x': sum(range(10))}","file":"f.yaml","line":1,"inputs":"{}","seed":"01"}`
	start := func(t *testing.T) (*interpreter, *instance) {
		t.Helper()
		e, err := New(Config{CacheDir: compiled})
		if err != nil {
			t.Fatal(err)
		}
		e.imageDir = dir
		t.Cleanup(func() { e.Close(ctx) })
		in, err := e.interpreter(ctx, "python")
		if err != nil {
			t.Fatal(err)
		}
		inst, err := e.newInstance(ctx, in, 64<<20)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { inst.close(ctx) })
		out, err := in.exec(ctx, inst, request)
		if err != nil || string(out) != `{"ok": {"x": 45}}` {
			t.Fatalf("run: %s, %v", out, err)
		}
		return in, inst
	}
	in, _ := start(t)
	files, _ := filepath.Glob(filepath.Join(dir, "images", "image-*.bin"))
	if len(files) != 1 || in.images.diskKey == "" {
		t.Fatalf("image files %v after the first engine", files)
	}
	// A second engine maps the file: its first instance is restored.
	in2, inst2 := start(t)
	if !inst2.budget.imageMapped || in2.images.lastErr != nil {
		t.Errorf("the second engine's instance was not restored from the file (last error %v)", in2.images.lastErr)
	}
	// A damaged file is refused; the engine starts CPython and saves a new one.
	if err := os.WriteFile(files[0], []byte("not an image"), 0o600); err != nil {
		t.Fatal(err)
	}
	in3, inst3 := start(t)
	if inst3.budget.imageMapped || in3.images.lastErr == nil {
		t.Errorf("a damaged image file was used (mapped %v, last error %v)", inst3.budget.imageMapped, in3.images.lastErr)
	}
	if st, err := os.Stat(files[0]); err != nil || st.Size() <= imageHeaderSize {
		t.Errorf("the damaged file was not replaced: %v", err)
	}
}

// In a test binary the compilation cache of the engines made without a
// directory is the module's shared test cache: the directory the engine
// picks is the one internal/testcache names, so every package's tests
// share one compiled copy of each interpreter.
func TestProcessCacheIsTheSharedTestCache(t *testing.T) {
	t.Parallel()
	if got, want := testCacheDir(), testcache.Dir(); got != want {
		t.Errorf("the process cache is kept in %s; the shared test cache is %s", got, want)
	}
}
