package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
	"github.com/enact-run/enact/cmd/enact-run/internal/stdiotest"
	"github.com/enact-run/enact/policy"
)

const converter = "TemperatureConverterJS"

// convert calls the converter and checks the answer: the session is alive
// and answers correctly.
func convert(t *testing.T, cs *mcp.ClientSession, celsius int) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: converter, Arguments: map[string]any{"celsius": celsius}})
	if err != nil {
		t.Fatalf("the call after a hostile message: %v", err)
	}
	want := float64(celsius)*9/5 + 32
	if out, _ := res.StructuredContent.(map[string]any); res.IsError || out["fahrenheit"] != want {
		t.Fatalf("the call after a hostile message: isError %v, %s", res.IsError, text(res))
	}
}

// checkAnswer checks a diverted answer against its case.
func checkAnswer(t *testing.T, c stdiotest.Case, a stdiotest.Answer) {
	t.Helper()
	if a.ID != c.ID {
		t.Errorf("%s: answered with id %v, want %v: %s", c.Name, a.ID, c.ID, a.Raw)
	}
	if c.Code == 0 {
		if a.Error == nil && a.Result == nil {
			t.Errorf("%s: neither a result nor an error: %s", c.Name, a.Raw)
		}
		return
	}
	if a.Error == nil || a.Error.Code != c.Code {
		t.Errorf("%s: answer %s, want error code %d", c.Name, a.Raw, c.Code)
		return
	}
	if c.DataCode != "" && a.Error.Data[mcpserver.MetaErrorCode] != c.DataCode {
		t.Errorf("%s: data %v, want %s %q", c.Name, a.Error.Data, mcpserver.MetaErrorCode, c.DataCode)
	}
}

// A stdio session outlives every hostile line: each is answered alone (or,
// a notification or a response, dropped), and a valid call written after
// it is answered correctly.
func TestHostileMCPStdioMessages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, newRunner(t), agent)
	serverIn, toServer := io.Pipe()
	fromServer, serverOut := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- f.srv.ServeStdio(t.Context(), serverIn, serverOut)
		serverOut.Close()
	}()
	s := stdiotest.Connect(t, toServer, fromServer)
	cases := append(stdiotest.Cases(converter),
		stdiotest.Case{Name: "a 64 MiB line", Line: stdiotest.Huge("huge", 64<<20), Code: -32600, ID: stdiotest.HostilePrefix + "huge", DataCode: mcpserver.CodeTooLarge},
		stdiotest.Case{Name: "blank lines", Line: []byte("   \r\n\t\n"), Code: -1})
	for i, c := range cases {
		s.Send(t, c.Line)
		if c.Code != -1 {
			checkAnswer(t, c, s.Next(t))
		}
		convert(t, s.Client, i)
		s.NoMore(t)
		select {
		case err := <-done:
			t.Fatalf("%s: the session ended: %v", c.Name, err)
		default:
		}
	}
}

// A call queued behind a hostile line, written before the server read
// either, is answered too.
func TestHostileMCPStdioCallQueuedBehind(t *testing.T) {
	t.Parallel()
	f := newFixture(t, newRunner(t), agent)
	serverIn, toServer := io.Pipe()
	fromServer, serverOut := io.Pipe()
	go func() {
		_ = f.srv.ServeStdio(t.Context(), serverIn, serverOut)
		serverOut.Close()
	}()
	s := stdiotest.Connect(t, toServer, fromServer)
	convert(t, s.Client, 0) // warm: the engine compiled before the raw lines
	deep := stdiotest.Call("deep", converter, `{"celsius":`+stdiotest.Nested(10001)+`}`)
	queued := []byte(`{"jsonrpc":"2.0","id":"` + stdiotest.HostilePrefix + `queued","method":"tools/call","params":{"name":"` + converter + `","arguments":{"celsius":100}}}`)
	s.Send(t, append(append(append(deep, '\n'), "not json\n"...), queued...))
	for _, want := range []any{stdiotest.HostilePrefix + "deep", nil, stdiotest.HostilePrefix + "queued"} {
		a := s.Next(t)
		if a.ID != want {
			t.Fatalf("answer %s, want id %v", a.Raw, want)
		}
		if want == stdiotest.HostilePrefix+"queued" && (a.Error != nil || !strings.Contains(string(a.Result), `"fahrenheit":212`)) {
			t.Errorf("the queued call: %s", a.Raw)
		}
	}
	convert(t, s.Client, 3)
}

// postRaw posts body to the MCP endpoint in session id.
func postRaw(t *testing.T, url, session, version string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	if version != "" {
		req.Header.Set("Mcp-Protocol-Version", version)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// Over HTTP every hostile body gets its own answer (400 or 413 and a
// JSON-RPC error when refused), and the session goes on.
func TestHostileMCPHTTPBodies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, newRunner(t), agent)
	hs := httptest.NewServer(f.srv.HTTPHandler())
	t.Cleanup(hs.Close)
	cs := clientOver(t, &mcp.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1}, nil)
	version := cs.InitializeResult().ProtocolVersion
	cases := append(stdiotest.Cases(converter),
		stdiotest.Case{Name: "a 5 MiB body", Line: stdiotest.Huge("huge", 5<<20), Code: -32600, ID: stdiotest.HostilePrefix + "huge", DataCode: mcpserver.CodeTooLarge})
	for i, c := range cases {
		status, _, body := postRaw(t, hs.URL, cs.ID(), version, c.Line)
		switch {
		case c.DataCode != "" || c.Name == "deep notification":
			want := http.StatusBadRequest
			if c.DataCode == mcpserver.CodeTooLarge {
				want = http.StatusRequestEntityTooLarge
			}
			var a stdiotest.Answer
			if err := json.Unmarshal(body, &a); err != nil || status != want {
				t.Errorf("%s: %d %s, want %d and a JSON-RPC error", c.Name, status, body, want)
				break
			}
			a.Raw = string(body)
			if c.Code == -1 {
				c.Code, c.DataCode = -32602, mcpserver.CodeTooDeep
			}
			checkAnswer(t, c, a)
		case c.Code == -32601 && status == http.StatusBadRequest:
			// The go-sdk's own answer to an unknown method over HTTP.
		case status >= 300:
			t.Errorf("%s: %d %s, want it let through to the session", c.Name, status, body)
		}
		convert(t, cs, i)
	}
}

// waitUntil polls cond every 10 ms for up to 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newSessionFixture(t *testing.T, idle time.Duration, maxSessions int) (*fixture, *httptest.Server) {
	t.Helper()
	f := newFixture(t, newRunner(t), agent)
	srv, err := mcpserver.New(mcpserver.Config{
		Dir: f.dir, Shipped: true, Actor: agent, Runner: f.rec,
		Mutating: func(id string) bool { return !policy.ReadOnly(id) },
		Logger:   slog.New(slog.DiscardHandler), HTTPSessionIdle: idle, MaxHTTPSessions: maxSessions,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	hs := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(hs.Close)
	return f, hs
}

func connectHTTP(url string, opts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, opts)
	return c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1}, nil)
}

const initialize = `{"jsonrpc":"2.0","id":"` + stdiotest.HostilePrefix + `init","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// Sessions over the bound are refused with 503, whatever the client; a
// closed session frees its place.
func TestHostileMCPHTTPSessionBound(t *testing.T) {
	t.Parallel()
	f, hs := newSessionFixture(t, -1, 3)
	var open []*mcp.ClientSession
	for range 3 {
		cs, err := connectHTTP(hs.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() })
		open = append(open, cs)
	}
	// The go-sdk's client takes a 503 for a transient failure and does
	// not show the body; the raw initializes below read it.
	if _, err := connectHTTP(hs.URL, nil); err == nil || !strings.Contains(err.Error(), "Service Unavailable") {
		t.Errorf("a fourth session: %v", err)
	}
	for range 5 { // raw initializes, never followed by "initialized"
		status, h, body := postRaw(t, hs.URL, "", "", []byte(initialize))
		var a stdiotest.Answer
		_ = json.Unmarshal(body, &a)
		if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || a.Error == nil ||
			a.Error.Data[mcpserver.MetaErrorCode] != mcpserver.CodeTooManySessions || a.ID != stdiotest.HostilePrefix+"init" ||
			!strings.Contains(a.Error.Message, "the limit is 3") {
			t.Errorf("an initialize over the bound: %d %v %s", status, h, body)
		}
	}
	if n := f.srv.HTTPSessions(); n != 3 {
		t.Errorf("%d sessions open, want 3", n)
	}
	convert(t, open[0], 1) // the open ones still work
	open[1].Close()
	waitUntil(t, "a closed session is gone", func() bool { return f.srv.HTTPSessions() == 2 })
	cs, err := connectHTTP(hs.URL, nil)
	if err != nil {
		t.Fatalf("a session in the freed place: %v", err)
	}
	defer cs.Close()
	convert(t, cs, 2)
	// The place is taken again.
	if _, err := connectHTTP(hs.URL, nil); err == nil || !strings.Contains(err.Error(), "Service Unavailable") {
		t.Errorf("a session over the bound again: %v", err)
	}
	if n := f.srv.HTTPSessions(); n != 3 {
		t.Errorf("%d sessions open, want 3", n)
	}
}

// Clients connecting at once never open more sessions than the bound; once
// they are done, the free places are given to the next clients one by one,
// up to the bound exactly. (The go-sdk's client probes with a request
// without a session id before it initializes: neither may cost a place
// after its answer.)
func TestHostileMCPHTTPSessionBoundConcurrent(t *testing.T) {
	t.Parallel()
	const bound, clients = 5, 24
	f, hs := newSessionFixture(t, -1, bound)
	connect := func() bool {
		cs, err := connectHTTP(hs.URL, nil)
		if err != nil {
			if !strings.Contains(err.Error(), "Service Unavailable") {
				t.Errorf("a client: %v, want a session or Service Unavailable", err)
			}
			return false
		}
		t.Cleanup(func() { cs.Close() })
		return true
	}
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for range clients {
		wg.Go(func() {
			if connect() {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	at := int(accepted.Load())
	if n := f.srv.HTTPSessions(); at < 1 || at > bound || n != at {
		t.Fatalf("%d of %d clients at once got a session, %d sessions open; the bound is %d", at, clients, n, bound)
	}
	for i := at; i < bound; i++ {
		if !connect() {
			t.Fatalf("client %d was refused below the bound of %d", i+1, bound)
		}
	}
	if connect() {
		t.Errorf("a client got a session past the bound of %d", bound)
	}
	if n := f.srv.HTTPSessions(); n != bound {
		t.Errorf("%d sessions open, want %d", n, bound)
	}
}

// 300 initialize-only sessions no longer stay: over the bound they are
// refused, and idle ones expire.
func TestHostileMCPHTTPInitializeOnlySessions(t *testing.T) {
	t.Parallel()
	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		f, hs := newSessionFixture(t, -1, 20)
		accepted := 0
		for range 300 {
			switch status, _, body := postRaw(t, hs.URL, "", "", []byte(initialize)); status {
			case http.StatusOK:
				accepted++
			case http.StatusServiceUnavailable:
			default:
				t.Fatalf("initialize: %d %s", status, body)
			}
		}
		if n := f.srv.HTTPSessions(); accepted != 20 || n != 20 {
			t.Errorf("%d initializes accepted, %d sessions open; the bound is 20", accepted, n)
		}
	})
	t.Run("expire", func(t *testing.T) {
		t.Parallel()
		f, hs := newSessionFixture(t, 300*time.Millisecond, 0)
		for range 50 {
			if status, _, body := postRaw(t, hs.URL, "", "", []byte(initialize)); status != http.StatusOK {
				t.Fatalf("initialize: %d %s", status, body)
			}
		}
		waitUntil(t, "the idle sessions expire", func() bool { return f.srv.HTTPSessions() == 0 })
		cs, err := connectHTTP(hs.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		convert(t, cs, 5)
	})
}

// Idle sessions expire; notifications go to the live ones only.
func TestHostileMCPHTTPIdleSessionsExpire(t *testing.T) {
	t.Parallel()
	// Long enough for the live client's pings to keep it open on a
	// loaded machine.
	const idle = 3 * time.Second
	f, hs := newSessionFixture(t, idle, 0)
	var liveNotified, idleNotified atomic.Int32
	live, err := connectHTTP(hs.URL, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { liveNotified.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// The live client pings, like the go-sdk's KeepAlive but without its
	// short ping deadline, which closes the session on a loaded machine.
	pinging, stopPings := context.WithCancel(t.Context())
	defer stopPings()
	go func() {
		tick := time.NewTicker(idle / 10)
		defer tick.Stop()
		for {
			select {
			case <-pinging.Done():
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(pinging, 30*time.Second)
				_ = live.Ping(ctx, nil)
				cancel()
			}
		}
	}()
	var idles []*mcp.ClientSession
	for range 3 {
		cs, err := connectHTTP(hs.URL, &mcp.ClientOptions{
			ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { idleNotified.Add(1) },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		idles = append(idles, cs)
	}
	waitUntil(t, "the idle sessions expire", func() bool { return f.srv.HTTPSessions() == 1 })
	writeFiles(t, f.dir, map[string]string{"added.yaml": strings.Replace(throws, "id: Throws", "id: Added", 1)})
	if err := f.srv.Reload(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the live session is notified", func() bool { return liveNotified.Load() > 0 })
	if n := idleNotified.Load(); n != 0 {
		t.Errorf("expired sessions got %d notifications", n)
	}
	convert(t, live, 7)
	for i, cs := range idles {
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: converter, Arguments: map[string]any{"celsius": 1}}); err == nil {
			t.Errorf("expired session %d still answers", i)
		}
	}
}
