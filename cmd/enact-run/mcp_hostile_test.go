package main

import (
	"os"
	"os/exec"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/cmd/enact-run/internal/stdiotest"
)

// TestHostileMCPLinesWithTheRealBinary writes hostile lines into the
// standard input of `enact-run mcp` between the calls of the go-sdk's
// client: each gets its own JSON-RPC error, and the process keeps serving.
func TestHostileMCPLinesWithTheRealBinary(t *testing.T) {
	t.Parallel()
	bin := realBinary(t)
	cmd := exec.Command(bin, "mcp", "--actor", "agent@acme.com")
	cmd.Env = append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = stdin.Close()
		<-exited
	})
	s := stdiotest.Connect(t, stdin, stdout)
	call := func(celsius int, want float64) {
		t.Helper()
		res, err := s.Client.CallTool(t.Context(), &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": celsius}})
		if err != nil {
			t.Fatalf("the call after a hostile line: %v", err)
		}
		if out, _ := res.StructuredContent.(map[string]any); res.IsError || out["fahrenheit"] != want {
			t.Fatalf("the call after a hostile line: %+v", res)
		}
	}
	call(100, 212)
	hostile := []struct {
		line []byte
		code int64
		id   any
	}{
		{stdiotest.Call("deep", "TemperatureConverterJS", `{"celsius":`+stdiotest.Nested(10001)+`}`), -32602, stdiotest.HostilePrefix + "deep"},
		{stdiotest.Huge("huge", 64<<20), -32600, stdiotest.HostilePrefix + "huge"},
		{[]byte("{\"jsonrpc\":\"2.0\",\"id\":\"" + stdiotest.HostilePrefix + "utf8\",\"method\":\"ping\",\"params\":{\"s\":\"\xff\"}}"), -32700, stdiotest.HostilePrefix + "utf8"},
		{[]byte(`not json at all`), -32700, nil},
		{[]byte(`[{"jsonrpc":"2.0","id":"` + stdiotest.HostilePrefix + `b","method":"ping"}]`), -32600, nil},
	}
	for i, h := range hostile {
		s.Send(t, h.line)
		a := s.Next(t)
		if a.ID != h.id || a.Error == nil || a.Error.Code != h.code {
			t.Errorf("hostile line %d: answered %.300s, want code %d id %v", i, a.Raw, h.code, h.id)
		}
		call(0, 32)
		s.NoMore(t)
	}
	select {
	case err := <-exited:
		t.Fatalf("enact-run mcp exited: %v", err)
	default:
	}
}
