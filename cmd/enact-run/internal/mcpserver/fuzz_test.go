package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/cmd/enact-run/internal/stdiotest"
)

type nopRunner struct{}

func (nopRunner) Run(context.Context, enact.RunRequest) (*enact.Result, error) {
	return &enact.Result{Status: enact.StatusPass}, nil
}

const sentinel = `{"jsonrpc":"2.0","id":"fuzz-sentinel-5c1e","method":"ping"}`

// FuzzStdioMessage feeds arbitrary bytes to the stdio framing and the
// guard, then to a live stdio session. Neither panics; every line gets
// exactly one outcome (let through, answered, or dropped); a line that is a
// request with a readable id is let through as that call or answered with
// that id; every answer is a JSON-RPC error; and the session still answers
// a ping written after the bytes, having written exactly the answers the
// guard gave.
func FuzzStdioMessage(f *testing.F) {
	for _, c := range stdiotest.Cases("TemperatureConverterJS") {
		if len(c.Line) <= 8<<10 {
			f.Add(c.Line)
		}
	}
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" + `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`))
	f.Add(stdiotest.Huge("huge", 5000))
	f.Add([]byte("\r\n\n{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}\r\n{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}"))
	f.Add([]byte(`{"jsonrpc":"2.0","id":"x","method":"ping","id":"y"}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":"\ud800","method":"ping"}`))

	srv, err := New(Config{Runner: nopRunner{}, MaxMessageBytes: 4096, MaxDepth: 16})
	if err != nil {
		f.Fatal(err)
	}
	g := newGuard(srv.cfg)
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte("fuzz-sentinel")) {
			return
		}
		replies := checkLines(t, g, data)
		sessionSurvives(t, srv, data, replies)
	})
}

// checkLines frames data like a session does and checks each line's
// verdict; it returns how many answers the guard wrote.
func checkLines(t *testing.T, g guard, data []byte) int {
	lr := newLineReader(bytes.NewReader(data), g.maxBytes)
	replies := 0
	for {
		line, tooLong, err := lr.next()
		if err != nil {
			if err != io.EOF {
				t.Fatalf("framing: %v", err)
			}
			return replies
		}
		if tooLong && len(line) != g.maxBytes || len(line) > g.maxBytes {
			t.Fatalf("a line of %d bytes held, limit %d", len(line), g.maxBytes)
		}
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		v := g.check(line, tooLong)
		outcomes := 0
		for _, set := range []bool{v.msg != nil, v.reply != nil, v.dropped != ""} {
			if set {
				outcomes++
			}
		}
		if outcomes != 1 {
			t.Fatalf("%q: %d outcomes: %+v", line, outcomes, v)
		}
		id, isCall := callID(line, tooLong)
		switch {
		case v.reply != nil:
			replies++
			var a struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Error   *struct {
					Code    int64  `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(v.reply, &a); err != nil || a.JSONRPC != "2.0" || a.Error == nil || a.Error.Message == "" || a.ID == nil {
				t.Fatalf("%q: answered %s (%v)", line, v.reply, err)
			}
			if isCall && !bytes.Equal(compact(a.ID), compact(id)) {
				t.Fatalf("%q: answered with id %s, want %s", line, a.ID, id)
			}
		case v.msg != nil:
			req, ok := v.msg.(*jsonrpc.Request)
			if isCall && (!ok || !req.IsCall()) {
				t.Fatalf("%q: the call went through as %#v", line, v.msg)
			}
		case isCall:
			t.Fatalf("%q: a call dropped: %s", line, v.dropped)
		}
	}
}

// callID returns the id of a line that is, by encoding/json's reading, one
// JSON object with a "method" string and a string or small integer "id",
// and no repeated member.
func callID(line []byte, tooLong bool) (json.RawMessage, bool) {
	if tooLong || !json.Valid(line) {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return nil, false
	}
	var method string
	if json.Unmarshal(m["method"], &method) != nil || !validID(m["id"]) {
		return nil, false
	}
	// A repeated "id" or "method" makes the line ambiguous.
	if bytes.Count(line, []byte(`"id"`)) != 1 || bytes.Count(line, []byte(`"method"`)) != 1 {
		return nil, false
	}
	return m["id"], true
}

func compact(b []byte) []byte {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return b
	}
	if len(b) > 0 && b[0] == '"' { // one spelling per string
		var s string
		_ = json.Unmarshal(b, &s)
		enc, _ := json.Marshal(s)
		return enc
	}
	return out.Bytes()
}

// sessionSurvives serves data then a ping over stdio, and checks that the
// ping is answered after exactly the guard's answers.
func sessionSurvives(t *testing.T, srv *Server, data []byte, replies int) {
	serverIn, toServer := io.Pipe()
	fromServer, serverOut := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- srv.ServeStdio(ctx, serverIn, serverOut)
		serverOut.Close()
	}()
	go func() {
		_, _ = toServer.Write(append(append(bytes.Clone(data), '\n'), sentinel+"\n"...))
	}()
	answered := make(chan int, 1)
	go func() {
		refusals := 0
		sc := bufio.NewScanner(fromServer)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if bytes.Contains(line, []byte(`"fuzz-sentinel-5c1e"`)) {
				answered <- refusals
				break
			}
			var a struct {
				Error *struct {
					Data map[string]any `json:"data"`
				} `json:"error"`
			}
			if json.Unmarshal(line, &a) == nil && a.Error != nil && a.Error.Data[MetaErrorCode] != nil {
				refusals++
			}
		}
		_, _ = io.Copy(io.Discard, fromServer)
	}()
	select {
	case n := <-answered:
		if n != replies {
			t.Fatalf("%d refusals written before the ping's answer, the guard gave %d", n, replies)
		}
	case err := <-done:
		t.Fatalf("the session ended: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the ping after the bytes was not answered")
	}
	toServer.Close()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the session did not end with its input")
	}
}
