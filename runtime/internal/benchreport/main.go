// Command benchreport runs the runtime benchmarks and prints them side by
// side with the subprocess baselines (`make bench`).
//
// Rows are languages; columns are the ways of running TemperatureConverter
// that bench_test.go measures: Warm (pooled instances in a long-lived
// engine), Fresh (a new instance per run), NewProcess (`enact-run run`,
// disk cache warm) and Subprocess (python3 -c / node -e).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/enact-run/enact/internal/lazyre"
)

type cell struct{ p50, p99, allocs, bytes float64 }

var line = lazyre.New(`^Benchmark(\w+)/(\w+)-\d+\s+\d+\s+([\d.]+) ns/op(.*)$`)

func main() {
	benchtime := flag.String("benchtime", "2s", "go test -benchtime")
	count := flag.Int("count", 1, "go test -count")
	flag.Parse()
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", ".", "-benchtime", *benchtime,
		"-count", strconv.Itoa(*count), "./runtime")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		os.Stdout.Write(out.Bytes())
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out.Bytes())

	results := map[string]map[string]cell{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		c := cell{}
		fields := strings.Fields(m[4])
		for i := 0; i+1 < len(fields); i += 2 {
			v, _ := strconv.ParseFloat(fields[i], 64)
			switch fields[i+1] {
			case "p50-µs":
				c.p50 = v
			case "p99-µs":
				c.p99 = v
			case "allocs/op":
				c.allocs = v
			case "B/op":
				c.bytes = v
			}
		}
		if results[m[2]] == nil {
			results[m[2]] = map[string]cell{}
		}
		results[m[2]][m[1]] = c // with -count > 1 the last run wins
	}

	cols := []string{"Warm", "Fresh", "NewProcess", "Subprocess"}
	fmt.Println()
	fmt.Println("p50 / p99 in ms (allocations per run): TemperatureConverter {\"celsius\": 100} in python and javascript;")
	fmt.Println("pyimports: the import-heavy Python program (runtime/testdata/bench/import-heavy.yaml)")
	fmt.Printf("%-11s", "")
	for _, c := range cols {
		fmt.Printf(" | %-24s", c)
	}
	fmt.Println()
	for _, lang := range []string{"python", "pyimports", "javascript"} {
		fmt.Printf("%-11s", lang)
		for _, col := range cols {
			c, ok := results[lang][col]
			if !ok {
				fmt.Printf(" | %-24s", "n/a")
				continue
			}
			s := fmt.Sprintf("%.2f / %.2f", c.p50/1000, c.p99/1000)
			if col == "Warm" || col == "Fresh" {
				s += fmt.Sprintf(" (%.0f, %.0f KB)", c.allocs, c.bytes/1024)
			}
			fmt.Printf(" | %-24s", s)
		}
		fmt.Println()
	}
	fmt.Println("targets: python warm p50 ≤ 1.5 ms, pyimports warm p50 ≤ 8 ms, javascript warm p50 ≤ 2 ms, each below")
	fmt.Println("its subprocess baseline; new process ≤ 120 ms")
	fmt.Println("Warm: long-lived engine, pooled never-used instances. Fresh: new instance per run.")
	fmt.Println("NewProcess: enact-run run, disk cache warm. Subprocess: /usr/bin/python3 -c / node -e.")
}
