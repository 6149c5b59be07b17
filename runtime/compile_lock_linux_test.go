//go:build linux

package runtime

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
)

// Two engines on one fresh cache directory warming the same interpreter at
// once: one compiles it, the other waits for the compile lock and then
// finds it in the on-disk cache. Engines with a directory of their own do
// not share wazero's in-memory cache, so without the lock both would
// compile (two processes are in the same position).
func TestCompileLockSingleFlight(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var (
		steps  atomic.Int32
		waits  atomic.Int32
		second = make(chan struct{})    // the second engine reached its compile step
		busy   = make(chan struct{}, 2) // an engine found the lock held
		mu     sync.Mutex
		// compile steps that found no compiled module in the cache (and so
		// compiled it) and that found it (and so loaded it).
		compiled, loaded int
	)
	compiling := func(string) {
		n := cachedModules(t, dir)
		mu.Lock()
		if n == 0 {
			compiled++
		} else {
			loaded++
		}
		mu.Unlock()
		if steps.Add(1) == 1 {
			// Hold the first compilation until the other engine either
			// waits for the lock or has reached its own compile step
			// beside this one.
			select {
			case <-second:
			case <-busy:
			}
		} else {
			close(second)
		}
	}
	engines := make([]*Engine, 2)
	for i := range engines {
		e, err := New(Config{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		e.compiling = compiling
		e.lockBusy = func() {
			waits.Add(1)
			busy <- struct{}{}
		}
		t.Cleanup(func() { e.Close(context.Background()) })
		engines[i] = e
	}
	var wg sync.WaitGroup
	errs := make([]error, len(engines))
	for i, e := range engines {
		wg.Go(func() { errs[i] = e.Warm(t.Context(), "javascript") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("engine %d: warm: %v", i, err)
		}
	}
	if compiled != 1 || loaded != 1 {
		t.Errorf("compile steps: %d found the cache empty and compiled, %d found the module and loaded it; want 1 and 1", compiled, loaded)
	}
	if n := waits.Load(); n != 1 {
		t.Errorf("%d engines waited for the compile lock, want 1", n)
	}
	for _, e := range engines {
		runJavaScript(t, e)
	}
}

// A compile lock held for longer than the bound is given up on: the
// engine compiles without it, and works.
func TestCompileLockWaitBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	holder, err := New(Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close(context.Background()) })
	held, release := make(chan struct{}), make(chan struct{})
	holder.compiling = func(string) {
		close(held)
		<-release
	}
	holderErr := make(chan error, 1)
	go func() { holderErr <- holder.Warm(context.Background(), "javascript") }()
	<-held

	e, err := New(Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	e.lockWait = 50 * time.Millisecond
	var waited, whileHeld bool
	e.lockBusy = func() { waited = true }
	e.compiling = func(string) {
		select {
		case <-release:
		default:
			whileHeld = true
		}
	}
	warmErr := e.Warm(t.Context(), "javascript")
	close(release)
	if err := <-holderErr; err != nil {
		t.Fatalf("holder: warm: %v", err)
	}
	if warmErr != nil {
		t.Fatalf("warm: %v", warmErr)
	}
	if !waited || !whileHeld {
		t.Errorf("waited for the lock: %v, then compiled while it was still held: %v; want both", waited, whileHeld)
	}
	runJavaScript(t, e)
}

// A compile lock whose file cannot be opened (here a directory stands in
// its place) is done without: the engine compiles and runs.
func TestCompileLockUnopenable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e, err := New(Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	js, err := plugins.EngineFor("javascript")
	if err != nil {
		t.Fatal(err)
	}
	path := e.compileLockPath(interpreterLockName(js))
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	var reached string
	e.compiling = func(p string) { reached = p }
	e.lockBusy = func() { t.Error("the lock was reported busy") }
	if err := e.Warm(t.Context(), "javascript"); err != nil {
		t.Fatalf("warm: %v", err)
	}
	if reached != path {
		t.Errorf("compiled under the lock %q, want %q", reached, path)
	}
	runJavaScript(t, e)
}

// cachedModules counts the compiled modules in wazero's cache under dir
// (files being written, *.tmp, not counted). It may run in any goroutine.
func cachedModules(t *testing.T, dir string) int {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.Type().IsRegular() && strings.HasPrefix(rel, "wazero-") && !strings.HasSuffix(rel, ".tmp") {
			n++
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	return n
}

// runJavaScript runs a one-line JavaScript capability on e.
func runJavaScript(t *testing.T, e *Engine) {
	t.Helper()
	c, err := capabilities.Load([]byte(`enact: 1.0.0
id: T
description: test
tasks:
  - id: main
    type: script
    language: javascript
    code: |
      return { y: x * 2 };
`), "lock.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(t.Context(), c, map[string]any{"x": 21})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if y := fmt.Sprint(res.Outputs["y"]); y != "42" {
		t.Errorf("outputs = %v, want y: 42", res.Outputs)
	}
}
