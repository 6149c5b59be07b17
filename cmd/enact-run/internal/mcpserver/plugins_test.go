package mcpserver_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
	"github.com/enact-run/enact/runtime"
)

func TestCapabilitiesThatCannotRunAreNotServed(t *testing.T) {
	t.Parallel()
	src := filepath.Join("..", "..", "..", "..", "plugins", "examples", "textstats")
	wasm, err := os.ReadFile(filepath.Join(src, "textstats.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(src, "textstats.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "textstats.wasm"), wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	good := string(doc)
	sha := good[strings.Index(good, "sha256: ")+8:][:64]
	writeFiles(t, dir, map[string]string{
		"good.yaml": good,
		// The same plugin pinned by another digest, and called through a
		// function it does not export.
		"mismatch.yaml": strings.Replace(strings.Replace(good, sha, strings.Repeat("f", 64), 1), "id: TextStats", "id: Mismatch", 1),
		"noexport.yaml": strings.Replace(strings.Replace(good, "function: run", "function: nosuch", 1), "id: TextStats", "id: NoExport", 1),
	})
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(t.Context())
	var logs bytes.Buffer
	srv, err := mcpserver.New(mcpserver.Config{Dir: dir, Runner: newRunner(t), Check: e.Check, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(srv.Tools(), ","); got != "TextStats" {
		t.Errorf("tools %s, want TextStats only", got)
	}
	invalid := srv.Invalid()
	if len(invalid) != 2 || invalid[0].ID != "Mismatch" || !strings.Contains(invalid[0].Reason, "sha256 mismatch") ||
		invalid[1].ID != "NoExport" || !strings.Contains(invalid[1].Reason, `"nosuch" is no function named so`) {
		t.Errorf("invalid = %+v", invalid)
	}
	// Logged once, not again at a reload.
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "it cannot run here"); n != 2 {
		t.Errorf("%d lines say a capability cannot run; want 2:\n%s", n, logs.String())
	}
}

func TestPluginLogsReachTheServerLog(t *testing.T) {
	t.Parallel()
	src := filepath.Join("..", "..", "..", "..", "plugins", "examples", "greet")
	dir := t.TempDir()
	for _, f := range []string{"greet.wasm", "greet.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var logs syncBuffer
	srv, err := mcpserver.New(mcpserver.Config{Dir: dir, Runner: newRunner(t), Actor: "agent@acme.com",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	cs := transports[0].connect(t, srv, nil)
	res := call(t, cs, &mcp.CallToolParams{Name: "Greet", Arguments: map[string]any{"name": "Ada"}})
	if res.IsError {
		t.Fatalf("tool error: %s", text(res))
	}
	if want := `level=INFO msg="plugin log: greeting 3 characters with Hello" capability=Greet task=greet`; !strings.Contains(logs.String(), want) {
		t.Errorf("server log lacks %q:\n%s", want, logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDuplicateIDsAreRefusedNamingBothFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.yaml":     strings.Replace(throws, "id: Throws", "id: Twice", 1),
		"b.yaml":     strings.Replace(throws, "id: Throws", "id: Twice", 1),
		"other.yaml": throws,
	})
	var logs bytes.Buffer
	srv, err := mcpserver.New(mcpserver.Config{Dir: dir, Runner: newRunner(t), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(srv.Tools(), ","); got != "Throws" {
		t.Errorf("tools %s, want Throws only: neither file with the id Twice may be served", got)
	}
	invalid := srv.Invalid()
	if len(invalid) != 2 {
		t.Fatalf("invalid = %+v, want both files of Twice", invalid)
	}
	for i, other := range []string{"b.yaml", "a.yaml"} {
		if invalid[i].ID != "Twice" || !strings.Contains(invalid[i].Reason, "also defined in "+other) {
			t.Errorf("invalid[%d] = %+v, want it to name %s", i, invalid[i], other)
		}
	}
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "its id is not unique"); n != 2 {
		t.Errorf("%d log lines about the duplicate id; want 2 (one per file, not repeated at reload):\n%s", n, logs.String())
	}
}
