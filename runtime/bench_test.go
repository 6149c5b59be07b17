package runtime_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enact-run/enact/runtime"
)

// The benchmarks measure one thing each: the TemperatureConverter
// capability (Python and JavaScript) with {"celsius": 100}. They report the
// median and 99th percentile of single runs next to ns/op, so the
// comparison `make bench` prints is of like with like:
//
//   - Warm: a long-lived engine, compiled modules in memory, instances
//     prepared ahead by the pool (each used once).
//   - Fresh: the same engine without a pool: every run instantiates its
//     interpreter.
//   - NewProcess: `enact-run run` as a new process, the disk cache warm.
//   - Subprocess: the baseline a user would otherwise reach for, python3 -c
//     or node -e computing the same thing in a new process.

var converters = map[string]string{
	"python":     "temperature-converter.yaml",
	"javascript": "temperature-converter-js.yaml",
}

// timed runs f b.N times and reports p50 and p99 in microseconds.
func timed(b *testing.B, f func() error) {
	b.Helper()
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(float64(len(durations)-1)*p)].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func benchEngine(b *testing.B, cfg runtime.Config, lang string) {
	e, err := runtime.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	c := loadFile(b, filepath.Join("..", "capabilities", "examples", converters[lang]))
	ctx := context.Background()
	if err := e.Warm(ctx, lang); err != nil {
		b.Fatal(err)
	}
	in := map[string]any{"celsius": 100}
	// Let the pool fill before timing.
	for range 3 {
		if _, err := e.Run(ctx, c, in); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	timed(b, func() error {
		_, err := e.Run(ctx, c, in)
		return err
	})
}

func BenchmarkWarm(b *testing.B) {
	for _, lang := range []string{"python", "javascript"} {
		b.Run(lang, func(b *testing.B) { benchEngine(b, runtime.Config{PoolSize: 4}, lang) })
	}
}

func BenchmarkFresh(b *testing.B) {
	for _, lang := range []string{"python", "javascript"} {
		b.Run(lang, func(b *testing.B) { benchEngine(b, runtime.Config{}, lang) })
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// enactRun builds the CLI once per benchmark binary.
func enactRun(b *testing.B) string {
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "enact-bench-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "enact-run")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/enact-run").CombinedOutput()
		if err != nil {
			binErr = err
			b.Log(string(out))
		}
	})
	if binErr != nil {
		b.Fatal(binErr)
	}
	return binPath
}

func BenchmarkNewProcess(b *testing.B) {
	bin := enactRun(b)
	home := b.TempDir()
	for _, lang := range []string{"python", "javascript"} {
		b.Run(lang, func(b *testing.B) {
			file := filepath.Join("..", "capabilities", "examples", converters[lang])
			cmd := func() error {
				c := exec.Command(bin, "run", file, "--input", `{"celsius": 100}`)
				c.Env = append(os.Environ(), "ENACT_HOME="+home)
				out, err := c.CombinedOutput()
				if err != nil {
					b.Log(string(out))
				}
				return err
			}
			if err := cmd(); err != nil { // fill the disk cache
				b.Fatal(err)
			}
			timed(b, cmd)
		})
	}
}

func BenchmarkSubprocess(b *testing.B) {
	for _, tc := range []struct {
		lang, bin string
		args      []string
	}{
		{"python", "python3", []string{"-c", "import json; celsius = 100; print(json.dumps({'fahrenheit': celsius * 9/5 + 32}))"}},
		{"javascript", "node", []string{"-e", "const celsius = 100; console.log(JSON.stringify({ fahrenheit: celsius * 9 / 5 + 32 }))"}},
	} {
		b.Run(tc.lang, func(b *testing.B) {
			bin := realExecutable(b, tc.bin)
			timed(b, func() error { return exec.Command(bin, tc.args...).Run() })
		})
	}
}

// realExecutable resolves an interpreter past version-manager shims (pyenv's
// python3 is a shell script that costs ~150 ms by itself), so the baseline
// is the interpreter, not the shim.
func realExecutable(b *testing.B, name string) string {
	path, err := exec.LookPath(name)
	if err != nil {
		b.Skipf("%s not installed", name)
	}
	probe := map[string][]string{
		"python3": {"-c", "import sys; print(sys.executable)"},
		"node":    {"-e", "console.log(process.execPath)"},
	}[name]
	if out, err := exec.Command(path, probe...).Output(); err == nil {
		if real := strings.TrimSpace(string(out)); real != "" {
			return real
		}
	}
	return path
}
