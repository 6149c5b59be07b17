package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCPOverStdioWithTheRealBinary builds enact-run, starts `enact-run
// mcp` as an MCP client would, and drives it with the SDK's own client.
func TestMCPOverStdioWithTheRealBinary(t *testing.T) {
	t.Parallel()
	bin := realBinary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "greet.yaml"), []byte("enact: 1.0.0\nid: acme/greet\ndescription: greets\ninputs:\n  type: object\n  properties:\n    name: {type: string}\n  required: [name]\ntasks:\n  - id: g\n    type: script\n    language: python\n    code: |\n      return {'greeting': 'hello ' + name}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "vars.yaml", varsCapability)
	envFile := writeFile(t, t.TempDir(), "vars.env", "API_KEY="+varCanary+"\n")
	cmd := exec.Command(bin, "mcp", "--dir", dir, "--actor", "agent@acme.com", "--env-file", envFile)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+home)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	client := mcp.NewClient(&mcp.Implementation{Name: "enact-test", Version: "1"}, nil)
	cs, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tool := range tools.Tools {
		names[tool.Name] = true
	}
	for _, want := range []string{"acme_greet", "TemperatureConverterJS", "agent_pr_workflow"} {
		if !names[want] {
			t.Errorf("tool %s not listed (got %v)", want, names)
		}
	}
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "acme_greet", Arguments: map[string]any{"name": "Ada"}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	got, _ := json.Marshal(res.StructuredContent)
	if string(got) != `{"greeting":"hello Ada"}` || res.Meta["enact/receipt_id"] == nil {
		t.Errorf("result %s, meta %v", got, res.Meta)
	}
	bad, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "acme_greet", Arguments: map[string]any{}})
	if err != nil || !bad.IsError {
		t.Errorf("invalid input: %v %+v", err, bad)
	}
	// Environment variables from --env-file reach the tasks and nothing
	// else: not the result, not the log, not the state directory.
	for _, mode := range []string{"return", "throw"} {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "VarsLeak", Arguments: map[string]any{"mode": mode}})
		if err != nil {
			t.Fatalf("VarsLeak %s: %v", mode, err)
		}
		b, _ := json.Marshal(res)
		if bytes.Contains(b, []byte(varCanary)) || mode == "return" && (res.IsError || !bytes.Contains(b, []byte(`"js_key":"[redacted]"`))) {
			t.Errorf("VarsLeak %s: %s", mode, b)
		}
	}
	cs.Close()
	if strings.Contains(logs.String(), varCanary) {
		t.Errorf("the log shows the value:\n%s", logs.String())
	}
	if f := homeLeaksOf(t, home, varCanary); f != "" {
		t.Errorf("%s holds the value", f)
	}
}

// BenchmarkMCPStdioRoundTrip measures a tool call round trip to the real
// `enact-run mcp` process over stdio (TemperatureConverterJS, warm),
// reporting p50 and p99.
func BenchmarkMCPStdioRoundTrip(b *testing.B) {
	bin := realBinary(b)
	cmd := exec.Command(bin, "mcp", "--actor", "agent@acme.com")
	cmd.Env = append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+b.TempDir())
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(b.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	call := func() {
		res, err := cs.CallTool(b.Context(), &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": 100}})
		if err != nil || res.IsError {
			b.Fatalf("call: %v %+v", err, res)
		}
	}
	for range 5 { // warm: compiled engines, filled pools
		call()
	}
	var durations []time.Duration
	for b.Loop() {
		start := time.Now()
		call()
		durations = append(durations, time.Since(start))
	}
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds()), "p99-µs")
}
