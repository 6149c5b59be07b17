package runtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/plugins"
)

// imageEngine returns an engine and its JavaScript interpreter, which
// starts from memory images unless noImages.
func imageEngine(t testing.TB, noImages bool) (*Engine, *interpreter) {
	t.Helper()
	if !noImages && !imagesAvailable() {
		t.Skip("memory images need memfd (Linux)")
	}
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.noImages = noImages
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	in, err := e.interpreter(context.Background(), "javascript")
	if err != nil {
		t.Fatal(err)
	}
	if noImages != (in.images == nil) || noImages == (in.snapshots == nil) {
		t.Fatalf("noImages %v: images %v, snapshots %v (%v)", noImages, in.images, in.snapshots, in.imageErr)
	}
	return e, in
}

// jsRun evaluates a JavaScript task's code on an instance and returns its
// outputs.
func jsRun(t testing.TB, in *interpreter, inst *instance, code string) map[string]any {
	t.Helper()
	program, err := javascriptProgram(code, map[string]any{}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	env, err := in.exec(context.Background(), inst, program)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeEnvelope(env, "javascript", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The first instance per limit starts from scratch and leaves an image;
// later ones start from it and run. QuickJS's one mutable global (the
// stack pointer) is back at its initial value after start-up.
func TestImageStartsInstances(t *testing.T) {
	t.Parallel()
	e, in := imageEngine(t, false)
	ctx := context.Background()
	const limit = 32 << 20
	for i := range 3 {
		inst, err := e.newInstance(ctx, in, limit)
		if err != nil {
			t.Fatal(err)
		}
		out := jsRun(t, in, inst, "globalThis.x = (globalThis.x ?? 0) + 1; return { x, n: [1, 2, 3].map(v => v * 2).join() };")
		if fmt.Sprint(out["x"]) != "1" || out["n"] != "2,4,6" {
			t.Errorf("instance %d: %v", i, out)
		}
		inst.close(ctx)
	}
	img, _ := in.images.get(limit)
	if img == nil {
		t.Fatalf("no image was taken: %v", in.images.lastErr)
	}
	if img.size <= in.minMemory || img.size%65536 != 0 || img.size > limit {
		t.Errorf("image of %d bytes (module minimum %d)", img.size, in.minMemory)
	}
	// The recorded globals are those of a module just instantiated.
	inst, err := e.instantiate(ctx, in, &memoryBudget{limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.close(ctx)
	if g := in.images.module.Globals; len(g) != 1 || g[0].Index != 0 {
		t.Fatalf("QuickJS's mutable globals: %+v", g)
	}
	initial := inst.mod.ExportedGlobal(in.images.module.Globals[0].Export).Get()
	if img.globals[0] != initial {
		t.Errorf("the stack pointer after start-up is %#x, at instantiation %#x", img.globals[0], initial)
	}
}

// Two instances restored from one image, one of which writes its memory:
// the other, a third one, and the image file itself still hold the
// original bytes. The file is sealed against writes.
func TestImageInstancesAreIsolated(t *testing.T) {
	t.Parallel()
	e, in := imageEngine(t, false)
	ctx := context.Background()
	const limit = 32 << 20
	first, err := e.newInstance(ctx, in, limit) // takes the image
	if err != nil {
		t.Fatal(err)
	}
	first.close(ctx)
	img, _ := in.images.get(limit)
	if img == nil {
		t.Fatalf("no image: %v", in.images.lastErr)
	}
	orig := make([]byte, img.size)
	if n, err := preadImage(img, orig); err != nil || n != len(orig) {
		t.Fatalf("read the image: %d bytes, %v", n, err)
	}
	a, err := e.newInstance(ctx, in, limit)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close(ctx)
	b, err := e.newInstance(ctx, in, limit)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close(ctx)
	if !a.budget.imageMapped || !b.budget.imageMapped {
		t.Fatal("the instances were not mapped from the image")
	}
	mem := func(i *instance) []byte {
		buf, ok := i.mod.Memory().Read(0, uint32(img.size))
		if !ok {
			t.Fatal("memory smaller than the image")
		}
		return buf
	}
	if !bytes.Equal(mem(a), orig) || !bytes.Equal(mem(b), orig) {
		t.Fatal("a restored memory differs from its image")
	}
	// The host writes a pattern over a's whole image range; the guest
	// then runs a program that allocates and writes.
	pattern := bytes.Repeat([]byte{0xa5}, 4096)
	for off := uint32(0); off < uint32(img.size); off += 8192 {
		a.mod.Memory().Write(off, pattern)
	}
	if bytes.Equal(mem(a), orig) {
		t.Fatal("the writes to a did not land")
	}
	if !bytes.Equal(mem(b), orig) {
		t.Error("writing a's memory changed b's")
	}
	c, err := e.newInstance(ctx, in, limit)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close(ctx)
	if !bytes.Equal(mem(c), orig) {
		t.Error("a new instance does not see the original image")
	}
	jsRun(t, in, c, "globalThis.big = new Array(1e5).fill('x').join(''); return {};")
	if out := jsRun(t, in, b, "return { seen: globalThis.big !== undefined };"); out["seen"] != false {
		t.Error("b sees a global set in c")
	}
	now := make([]byte, img.size)
	if _, err := preadImage(img, now); err != nil || !bytes.Equal(now, orig) {
		t.Errorf("the image file changed (%v)", err)
	}
	if err := pwriteImage(img, []byte{1}); err == nil {
		t.Error("the image file accepts writes")
	}
}

// A run whose limit is below the image is refused before instantiation,
// as one below the module's minimum is; at the limit it starts, and
// growth beyond is refused and counted.
func TestImageBudget(t *testing.T) {
	t.Parallel()
	e, in := imageEngine(t, false)
	ctx := context.Background()
	in.images.anyLimit = true // one image for all limits, to price it against a smaller one
	inst, err := e.newInstance(ctx, in, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	inst.close(ctx)
	img, _ := in.images.get(0)
	if img == nil {
		t.Fatalf("no image: %v", in.images.lastErr)
	}
	if img.size-65536 < in.minMemory {
		t.Fatalf("the image (%d bytes) is not larger than the module's minimum (%d)", img.size, in.minMemory)
	}
	_, err = e.newInstance(ctx, in, img.size-65536)
	var re *Error
	if !errors.As(err, &re) || re.Code != CodeMemoryLimit || !strings.Contains(re.Message, "the javascript engine needs") {
		t.Fatalf("a limit below the image: %v", err)
	}
	inst, err = e.newInstance(ctx, in, img.size+2*65536)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.close(ctx)
	if got := inst.budget.used.Load(); got != img.size {
		t.Errorf("a restored instance is charged %d bytes, want the image's %d", got, img.size)
	}
	mem := inst.mod.Memory()
	if _, ok := mem.Grow(2); !ok || inst.budget.used.Load() != img.size+2*65536 {
		t.Errorf("growth within the limit: %v, charged %d", ok, inst.budget.used.Load())
	}
	// The grown pages are zero, not the image's or anything else.
	if buf, _ := mem.Read(uint32(img.size), 2*65536); !bytes.Equal(buf, make([]byte, 2*65536)) {
		t.Error("grown memory is not zero")
	}
	if _, ok := mem.Grow(1); ok || !inst.budget.refused.Load() {
		t.Error("growth past the limit was not refused")
	}
}

// With images off (the test hook), JavaScript starts from page-copy
// snapshots, and those still work.
func TestImageFallbackToPageCopy(t *testing.T) {
	t.Parallel()
	e, in := imageEngine(t, true)
	ctx := context.Background()
	for i := range 3 {
		inst, err := e.newInstance(ctx, in, DefaultMemory)
		if err != nil {
			t.Fatal(err)
		}
		out := jsRun(t, in, inst, "globalThis.x = (globalThis.x ?? 0) + 1; return { x };")
		if fmt.Sprint(out["x"]) != "1" {
			t.Errorf("instance %d: %v", i, out)
		}
		inst.close(ctx)
	}
	if snap, _ := in.snapshots.get(DefaultMemory); snap == nil || len(snap.pages) == 0 {
		t.Error("no page-copy snapshot was taken")
	}
}

// An engine whose module cannot start from an image keeps page-copy
// snapshots and says why.
func TestImageRefusedModuleKeepsSnapshots(t *testing.T) {
	t.Parallel()
	in := &interpreter{image: true, snapshots: &snapshots{}}
	w := []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 5, 3, 1, 0, 1, 8, 1, 0}
	if got := prepareImages(in, w, false, ""); !bytes.Equal(got, w) || in.images != nil || in.snapshots == nil {
		t.Fatalf("a refused module was rewritten: images %v", in.images)
	}
	if imagesAvailable() && !errors.Is(in.imageErr, plugins.ErrNoImage) {
		t.Errorf("reason: %v", in.imageErr)
	}
}

// privateDirty reads the process's private dirty memory, in KiB.
func privateDirty(t testing.TB) int {
	f, err := os.Open("/proc/self/smaps_rollup")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "Private_Dirty:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no Private_Dirty in smaps_rollup")
	return 0
}

// BenchmarkJavaScriptStart compares starting a JavaScript instance from
// a memory image and from a page-copy snapshot, side by side in one loop
// (each iteration runs both, so both see the same machine load): p50 of
// newInstance alone (start) and of newInstance plus a small program
// (run), and minor page faults per run. BenchmarkJavaScriptStartMemory
// reports private memory.
func BenchmarkJavaScriptStart(b *testing.B) {
	modes := []string{"image", "pagecopy"}
	type side struct {
		e          *Engine
		in         *interpreter
		start, run []time.Duration
		faults     int64
	}
	sides := map[string]*side{}
	ctx := context.Background()
	for _, mode := range modes {
		e, in := imageEngine(b, mode == "pagecopy")
		sides[mode] = &side{e: e, in: in}
		// The snapshot, then enough runs to learn the image's hot pages.
		for range hotSamples + 1 {
			inst, err := e.newInstance(ctx, in, DefaultMemory)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := in.exec(ctx, inst, jsBenchProgram(b)); err != nil {
				b.Fatal(err)
			}
			inst.close(ctx)
		}
	}
	program := jsBenchProgram(b)
	for b.Loop() {
		for _, mode := range modes {
			s := sides[mode]
			f0 := minorFaults()
			t0 := time.Now()
			inst, err := s.e.newInstance(ctx, s.in, DefaultMemory)
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := s.in.exec(ctx, inst, program); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			s.faults += minorFaults() - f0
			inst.close(ctx)
			s.start = append(s.start, t1.Sub(t0))
			s.run = append(s.run, t2.Sub(t0))
		}
	}
	for _, mode := range modes {
		s := sides[mode]
		slices.Sort(s.start)
		slices.Sort(s.run)
		b.ReportMetric(float64(s.start[len(s.start)/2].Microseconds()), mode+"-start-p50-µs")
		b.ReportMetric(float64(s.run[len(s.run)/2].Microseconds()), mode+"-run-p50-µs")
		b.ReportMetric(float64(s.faults)/float64(len(s.run)), mode+"-faults/run")
	}
}

func jsBenchProgram(b testing.TB) string {
	const code = "const f = celsius * 9 / 5 + 32; return { fahrenheit: f, label: `${celsius}°C is ${f}°F` };"
	program, err := javascriptProgram(code, map[string]any{"celsius": 100}, nil, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	return program
}

// BenchmarkJavaScriptStartMemory reports the private dirty memory each of
// 50 instances holds, started and after a small program: the process's
// Private_Dirty before and after, divided.
func BenchmarkJavaScriptStartMemory(b *testing.B) {
	program := jsBenchProgram(b)
	ctx := context.Background()
	for _, mode := range []string{"image", "pagecopy"} {
		e, in := imageEngine(b, mode == "pagecopy")
		for range hotSamples + 1 {
			inst, err := e.newInstance(ctx, in, DefaultMemory)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := in.exec(ctx, inst, program); err != nil {
				b.Fatal(err)
			}
			inst.close(ctx)
		}
		b.Run(mode, func(b *testing.B) {
			const n = 50
			var err error
			for b.Loop() {
				runtime.GC()
				before := privateDirty(b)
				insts := make([]*instance, n)
				for i := range insts {
					if insts[i], err = e.newInstance(ctx, in, DefaultMemory); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				started := privateDirty(b)
				for _, inst := range insts {
					if _, err := in.exec(ctx, inst, program); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				ran := privateDirty(b)
				for _, inst := range insts {
					inst.close(ctx)
				}
				b.ReportMetric(float64(started-before)/n, "started-KiB/inst")
				b.ReportMetric(float64(ran-before)/n, "ran-KiB/inst")
			}
		})
	}
}

// Instances restored at once from one image each run on their own, and
// an instance still running when the engine closes (closing the image
// file) keeps its memory.
func TestImageConcurrentAndAfterClose(t *testing.T) {
	t.Parallel()
	e, in := imageEngine(t, false)
	ctx := context.Background()
	const limit = 32 << 20
	first, err := e.newInstance(ctx, in, limit)
	if err != nil {
		t.Fatal(err)
	}
	first.close(ctx)
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 5 {
				inst, err := e.newInstance(ctx, in, limit)
				if err != nil {
					errs <- err
					return
				}
				program, _ := javascriptProgram(fmt.Sprintf("globalThis.v = (globalThis.v ?? 0) + %d; return { v };", g*10+i), map[string]any{}, nil, nil, "")
				env, err := in.exec(ctx, inst, program)
				inst.close(ctx)
				if err != nil {
					errs <- err
					return
				}
				if want := fmt.Sprintf(`{"ok":{"v":%d}}`, g*10+i); strings.ReplaceAll(string(env), " ", "") != want {
					errs <- fmt.Errorf("goroutine %d run %d: %s, want %s", g, i, env, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	live, err := e.newInstance(ctx, in, limit)
	if err != nil {
		t.Fatal(err)
	}
	defer live.close(ctx)
	if !live.budget.imageMapped {
		t.Fatal("not restored from the image")
	}
	in.images.close() // what Engine.Close does, without closing the runtime under the instance
	if img, _ := in.images.get(limit); img != nil {
		t.Error("a closed image set still hands out images")
	}
	if out := jsRun(t, in, live, "return { s: [1, 2].map(x => x + 1).join() };"); out["s"] != "2,3" {
		t.Errorf("after the image file closed: %v", out)
	}
}

// An engine whose code check fails takes no image, says why, and keeps
// starting instances from scratch.
func TestImageCodeCheckFailureTakesNone(t *testing.T) {
	t.Parallel()
	s := &imageSet{module: &plugins.ImageModule{}, checked: make(chan struct{})}
	s.codeErr = fmt.Errorf("%w: its code changes tables (table.set 0)", plugins.ErrNoImage)
	close(s.checked)
	if _, wanted := s.get(DefaultMemory); !wanted {
		t.Fatal("an image is not wanted before the first capture")
	}
	s.capture(nil, DefaultMemory, 1)
	if img, wanted := s.get(DefaultMemory); img != nil || wanted || !errors.Is(s.lastErr, plugins.ErrNoImage) {
		t.Errorf("after a failed check: image %v, wanted %v, error %v", img, wanted, s.lastErr)
	}
}
