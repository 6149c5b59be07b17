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

// benchCases are the capabilities measured, by row name: the
// TemperatureConverter in both languages, and an import-heavy Python
// program (testdata/bench/import-heavy.yaml: re, json, collections,
// dataclasses, datetime, statistics and a small workload over each).
var benchCases = map[string]struct{ lang, file string }{
	"python":     {"python", filepath.Join("..", "capabilities", "examples", "temperature-converter.yaml")},
	"javascript": {"javascript", filepath.Join("..", "capabilities", "examples", "temperature-converter-js.yaml")},
	"pyimports":  {"python", filepath.Join("testdata", "bench", "import-heavy.yaml")},
}

// benchRows is the order of the rows.
var benchRows = []string{"python", "pyimports", "javascript"}

// importHeavy is the import-heavy program as a python3 -c argument.
const importHeavy = `import re, json, collections, dataclasses, datetime, statistics
@dataclasses.dataclass
class Word:
    text: str
    count: int
text = "alpha beta gamma beta alpha beta 2024-03-01 2024-04-15"
words = re.findall(r"[a-z]+", text)
counts = collections.Counter(words)
top = [dataclasses.asdict(Word(w, n)) for w, n in counts.most_common(2)]
days = [datetime.date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", text)]
print(json.dumps({"top": top, "gap": (days[1] - days[0]).days, "mean": statistics.mean(counts.values())}))
`

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

func benchEngine(b *testing.B, cfg runtime.Config, row string) {
	e, err := runtime.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(context.Background())
	bc := benchCases[row]
	c := loadFile(b, bc.file)
	ctx := context.Background()
	if err := e.Warm(ctx, bc.lang); err != nil {
		b.Fatal(err)
	}
	in := map[string]any{}
	if row != "pyimports" {
		in["celsius"] = 100
	}
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
	for _, row := range benchRows {
		b.Run(row, func(b *testing.B) { benchEngine(b, runtime.Config{PoolSize: 4}, row) })
	}
}

func BenchmarkFresh(b *testing.B) {
	for _, row := range benchRows {
		b.Run(row, func(b *testing.B) { benchEngine(b, runtime.Config{}, row) })
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
	for _, row := range benchRows {
		b.Run(row, func(b *testing.B) {
			file, input := benchCases[row].file, `{"celsius": 100}`
			if row == "pyimports" {
				input = `{}`
			}
			cmd := func() error {
				c := exec.Command(bin, "run", file, "--input", input)
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
		{"pyimports", "python3", []string{"-c", importHeavy}},
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
// is the interpreter, not the shim. Python is the distribution's own,
// /usr/bin/python3, when there is one.
func realExecutable(b *testing.B, name string) string {
	if name == "python3" {
		if _, err := os.Stat("/usr/bin/python3"); err == nil {
			return "/usr/bin/python3"
		}
	}
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
