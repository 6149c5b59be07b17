package runtime

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// preadImage reads an image file from its start.
func preadImage(img *memImage, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Pread(img.file.fd, buf[n:], int64(n))
		if err != nil || m == 0 {
			return n, err
		}
		n += m
	}
	return n, nil
}

// pwriteImage writes at the start of an image file.
func pwriteImage(img *memImage, b []byte) error {
	_, err := unix.Pwrite(img.file.fd, b, 0)
	return err
}

// minorFaults is the process's count of minor page faults.
func minorFaults() int64 {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return ru.Minflt
}

// Once hotSamples instances restored from an image have been freed, new
// instances start with the pages most of those wrote already copied and
// the pages they read already mapped, and their memory is still the
// image's. One sampled run that writes its whole memory does not make
// every later instance copy everything.
func TestImageLearnsHotPages(t *testing.T) {
	t.Parallel()
	e, in := imageEngine(t, false)
	ctx := context.Background()
	const limit = 32 << 20
	for i := range hotSamples + 1 {
		inst, err := e.newInstance(ctx, in, limit)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 { // the first restored instance
			mem := inst.mod.Memory()
			mem.Write(0, make([]byte, mem.Size()))
		} else {
			jsRun(t, in, inst, "return { s: JSON.stringify({ a: [1, 2, 3] }) };")
		}
		inst.close(ctx)
	}
	img, _ := in.images.get(limit)
	if img == nil {
		t.Fatalf("no image: %v", in.images.lastErr)
	}
	r := img.file.hot.ranges.Load()
	if r == nil {
		t.Fatal("no hot pages learned")
	}
	var copied, mapped int
	for _, rg := range *r {
		if rg.start >= rg.end || rg.end > int(img.size) {
			t.Fatalf("range %+v outside the image of %d bytes", rg, img.size)
		}
		switch rg.advice {
		case unix.MADV_POPULATE_WRITE:
			copied += rg.end - rg.start
		case unix.MADV_POPULATE_READ:
			mapped += rg.end - rg.start
		}
	}
	if copied == 0 || mapped == 0 || copied > int(img.size)/2 {
		t.Fatalf("learned %d bytes to copy and %d to map of an image of %d, want both, copies under half", copied, mapped, img.size)
	}
	inst, err := e.newInstance(ctx, in, limit)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.close(ctx)
	buf, _ := inst.mod.Memory().Read(0, uint32(img.size))
	use, ok := pageUses(buf)
	if !ok {
		t.Skip("no pagemap")
	}
	ps := os.Getpagesize()
	for _, rg := range *r {
		want := pageRead
		if rg.advice == unix.MADV_POPULATE_WRITE {
			want = pageWritten
		}
		for p := rg.start / ps; p < rg.end/ps; p++ {
			// A kernel without MADV_POPULATE_* leaves pages unmapped.
			if use[p] != want && use[p] != pageUnused {
				t.Fatalf("page %d is %d at start, want %d", p, use[p], want)
			}
		}
	}
	orig := make([]byte, img.size)
	if _, err := preadImage(img, orig); err != nil || !bytes.Equal(buf, orig) {
		t.Errorf("a memory started with hot pages differs from its image (%v)", err)
	}
	if out := jsRun(t, in, inst, "return { n: [3, 1, 2].sort().join() };"); out["n"] != "1,2,3" {
		t.Errorf("run: %v", out)
	}
}

// BenchmarkPythonStartMemory reports, for the CPython engine started from
// its image (hot pages learned): p50 of starting an instance and of
// starting it and running TemperatureConverter's computation, and the
// private dirty memory each of 20 instances holds, started and after the
// run (the process's Private_Dirty before and after, divided).
func BenchmarkPythonStartMemory(b *testing.B) {
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	ctx := context.Background()
	in, err := e.interpreter(ctx, "python")
	if err != nil {
		b.Fatal(err)
	}
	request := `{"code":"fahrenheit = celsius * 9/5 + 32\nreturn {'fahrenheit': fahrenheit}","file":"t.yaml","line":1,"inputs":"{\"celsius\": 100}","seed":"01"}`
	for range hotSamples + 2 {
		inst, err := e.newInstance(ctx, in, DefaultMemory)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.exec(ctx, inst, request); err != nil {
			b.Fatal(err)
		}
		inst.close(ctx)
	}
	var starts, runs []time.Duration
	var perStarted, perRan float64
	for b.Loop() {
		const n = 20
		runtime.GC()
		before := privateDirty(b)
		insts := make([]*instance, n)
		for i := range insts {
			t0 := time.Now()
			if insts[i], err = e.newInstance(ctx, in, DefaultMemory); err != nil {
				b.Fatal(err)
			}
			starts = append(starts, time.Since(t0))
		}
		runtime.GC()
		started := privateDirty(b)
		for i, inst := range insts {
			t0 := time.Now()
			if _, err := in.exec(ctx, inst, request); err != nil {
				b.Fatal(err)
			}
			runs = append(runs, time.Since(t0)+starts[len(starts)-n+i])
		}
		runtime.GC()
		ran := privateDirty(b)
		for _, inst := range insts {
			inst.close(ctx)
		}
		perStarted, perRan = float64(started-before)/n, float64(ran-before)/n
	}
	slices.Sort(starts)
	slices.Sort(runs)
	b.ReportMetric(float64(starts[len(starts)/2].Microseconds()), "start-p50-µs")
	b.ReportMetric(float64(runs[len(runs)/2].Microseconds()), "start+run-p50-µs")
	b.ReportMetric(perStarted, "started-KiB/inst")
	b.ReportMetric(perRan, "ran-KiB/inst")
}
