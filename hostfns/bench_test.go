package hostfns_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/policy"
)

// nop is a connector that does nothing, so the benchmark measures the gate
// alone.
type nop struct{}

func (nop) Name() string { return "nop" }
func (nop) Actions() []hostfns.ActionSpec {
	return []hostfns.ActionSpec{{
		Name: "put", Mutating: true,
		Args:   json.RawMessage(`{"type": "object", "properties": {"key": {"type": "string", "maxLength": 64}, "value": {}}, "required": ["key"], "additionalProperties": false}`),
		Result: json.RawMessage(`{"type": "object"}`),
	}}
}
func (nop) Call(context.Context, string, json.RawMessage, hostfns.CallOptions) (hostfns.Outcome, error) {
	return hostfns.Outcome{Result: json.RawMessage(`{"ok":true}`)}, nil
}

// BenchmarkGateHandle measures one request through the gate, excluding
// connector I/O: decode, grant, argument schema, policy (three built-ins
// scoped elsewhere, one CEL rule on this action), record, encode.
func BenchmarkGateHandle(b *testing.B) {
	f := newFixture(b)
	p, err := policy.Load([]byte(`version: 1
allow: [nop.*]
policies:
  - use: no_push_to_main
  - use: max_files_per_commit
    with: {n: 10}
  - use: require_branch_prefix
    with: {prefix: agent/}
rules:
  - name: short_keys
    actions: [nop.put]
    deny_if: size(action.args.key) > 32
    reason: keys are short
`), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	g, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{nop{}}, Store: f.store})
	if err != nil {
		b.Fatal(err)
	}
	c := capability(b, "x-enact:\n  actions: [nop.put]\n")
	req := []byte(`{"action": "nop.put", "args": {"key": "greeting", "value": {"text": "hello", "n": 3}}}`)
	ctx := context.Background()
	durations := make([]time.Duration, 0, b.N)
	var run *hostfns.Run
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// A run holds at most MaxActionsPerRun records: start a new one
		// when it is full, outside the timed call.
		if i%hostfns.MaxActionsPerRun == 0 {
			b.StopTimer()
			if run, err = g.Begin(hostfns.RunInfo{Capability: c, Actor: policy.Actor{Email: "a@b.c"}}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		i++
		start := time.Now()
		out := run.Handle(ctx, req)
		durations = append(durations, time.Since(start))
		if len(out) < 10 || out[6] != 't' { // {"ok":true
			b.Fatalf("reply %s", out)
		}
	}
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds())/1e3, "p99-µs")
}
