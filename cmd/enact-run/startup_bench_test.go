package main

import (
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkHelpProcess measures what a user waits for when starting the
// real enact-run binary: `--help` and `version`, which run nothing but
// the process start (the runtime, every package's init, cobra), and a
// `run` of the shipped TemperatureConverter in a new process, with the
// compiled engines cached as after a first run. Besides ns/op it reports
// the median and p90 wall time in ms, the median CPU time (user+sys) and
// the median count of minor page faults, which does not vary with the
// load of the machine and is what start-up mostly costs on a VM.
func BenchmarkHelpProcess(b *testing.B) {
	bin := realBinary(b)
	env := append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+b.TempDir())
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"help", []string{"--help"}},
		{"version", []string{"version"}},
		{"run-TemperatureConverter", []string{"run", "TemperatureConverter", "--input", `{"celsius": 100}`}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			start := func() (wall, cpu time.Duration, faults int64) {
				cmd := exec.Command(bin, bc.args...)
				cmd.Env = env
				t0 := time.Now()
				out, err := cmd.CombinedOutput()
				wall = time.Since(t0)
				if err != nil {
					b.Fatalf("enact-run %v: %v\n%s", bc.args, err, out)
				}
				ps := cmd.ProcessState
				if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
					faults = ru.Minflt + ru.Majflt
				}
				return wall, ps.UserTime() + ps.SystemTime(), faults
			}
			start() // warm: the page cache, and the engines for run
			var walls, cpus []time.Duration
			var faults []int64
			for b.Loop() {
				w, c, f := start()
				walls, cpus, faults = append(walls, w), append(cpus, c), append(faults, f)
			}
			slices.Sort(walls)
			slices.Sort(cpus)
			slices.Sort(faults)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(walls[len(walls)/2]), "p50-ms")
			b.ReportMetric(ms(walls[len(walls)*9/10]), "p90-ms")
			b.ReportMetric(ms(cpus[len(cpus)/2]), "cpu-ms")
			b.ReportMetric(float64(faults[len(faults)/2]), "faults")
		})
	}
}
