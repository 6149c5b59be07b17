package mcpserver_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/policy"
)

// BenchmarkToolCallInMemory measures a tools/call round trip of the go-sdk
// client, through the server and a real run (sandbox, gate, SQLite
// receipt), for TemperatureConverterJS once warm.
func BenchmarkToolCallInMemory(b *testing.B) {
	f := newFixture(b, newRunner(b), agent)
	cs := transports[0].connect(b, f.srv, nil)
	params := &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": 100}}
	for range 20 { // warm: compiled modules, pooled instances
		if res, err := cs.CallTool(context.Background(), params); err != nil || res.IsError {
			b.Fatal(err, res)
		}
	}
	lat := make([]time.Duration, 0, 1024)
	for b.Loop() {
		start := time.Now()
		res, err := cs.CallTool(context.Background(), params)
		lat = append(lat, time.Since(start))
		if err != nil || res.IsError {
			b.Fatal(err, res)
		}
	}
	reportQuantiles(b, lat)
}

// BenchmarkRunDirect is the same run through the Go API with no MCP in
// between: the difference with BenchmarkToolCallInMemory is the cost of
// the protocol layer.
func BenchmarkRunDirect(b *testing.B) {
	runner := newRunner(b)
	data := capabilities.Examples()["temperature-converter-js.yaml"]
	c, err := capabilities.Load(data, "temperature-converter-js.yaml")
	if err != nil {
		b.Fatal(err)
	}
	req := enact.RunRequest{Capability: c, Inputs: map[string]any{"celsius": 100}, Actor: policy.Actor{Email: agent}}
	for range 20 {
		if _, err := runner.Run(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, 1024)
	for b.Loop() {
		start := time.Now()
		res, err := runner.Run(context.Background(), req)
		lat = append(lat, time.Since(start))
		if err != nil || res.Status != enact.StatusPass {
			b.Fatal(err, res)
		}
	}
	reportQuantiles(b, lat)
}

func reportQuantiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
