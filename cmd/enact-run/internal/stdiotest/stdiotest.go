// Package stdiotest drives an MCP server over stdio with the go-sdk's own
// client while a test writes raw lines, hostile ones included, into the
// same input. The server's answers to those lines never reach the client:
// responses whose id is a string starting with HostilePrefix, and error
// responses without an id or with id null, are diverted to Refusals, so
// that the test can check them and the client carries on as a real one
// would.
package stdiotest

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// HostilePrefix starts the ids of the test's own raw requests.
const HostilePrefix = "hostile-"

// Answer is one diverted response.
type Answer struct {
	ID     any             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64          `json:"code"`
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	} `json:"error"`
	Raw string `json:"-"`
}

// Session is a client session over stdio with a side door for raw lines.
type Session struct {
	Client   *mcp.ClientSession
	Refusals chan Answer

	mu sync.Mutex // one line at a time on the server's input
	in io.WriteCloser
}

// lockedWriter is the client's side of the server's input.
type lockedWriter struct{ s *Session }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.in.Write(p)
}

func (w lockedWriter) Close() error { return w.s.in.Close() }

// Connect connects the go-sdk's client to a server reading toServer and
// writing fromServer; closing the session closes toServer.
func Connect(t testing.TB, toServer io.WriteCloser, fromServer io.Reader) *Session {
	t.Helper()
	s := &Session{Refusals: make(chan Answer, 64), in: toServer}
	clientIn, filtered := io.Pipe()
	go func() {
		defer filtered.Close()
		br := bufio.NewReaderSize(fromServer, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				var a Answer
				if json.Unmarshal(line, &a) == nil && diverted(a, line) {
					a.Raw = strings.TrimSpace(string(line))
					s.Refusals <- a
				} else if _, werr := filtered.Write(line); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	c := mcp.NewClient(&mcp.Implementation{Name: "stdiotest", Version: "1"}, nil)
	cs, err := c.Connect(t.Context(), &mcp.IOTransport{Reader: clientIn, Writer: lockedWriter{s}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	s.Client = cs
	return s
}

func diverted(a Answer, line []byte) bool {
	if id, ok := a.ID.(string); ok {
		return strings.HasPrefix(id, HostilePrefix)
	}
	if a.ID != nil {
		return false
	}
	// No id or id null: only an error response, never a request or a
	// notification from the server.
	var m map[string]json.RawMessage
	_ = json.Unmarshal(line, &m)
	_, hasMethod := m["method"]
	return a.Error != nil && !hasMethod
}

// Send writes one raw line (a newline is added) into the server's input.
func (s *Session) Send(t testing.TB, line []byte) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.in.Write(append(line[:len(line):len(line)], '\n')); err != nil {
		t.Fatalf("writing a raw line: %v", err)
	}
}

// Next returns the next diverted answer, failing the test after a while.
func (s *Session) Next(t testing.TB) Answer {
	t.Helper()
	select {
	case a := <-s.Refusals:
		return a
	case <-time.After(3 * time.Minute): // a first run compiles the engine: slow under -race
		t.Fatal("no answer to a raw line")
		return Answer{}
	}
}

// NoMore fails the test when an answer is waiting that nothing asked for.
// Call it after a round trip of the client, which the server answers after
// every line written before it.
func (s *Session) NoMore(t testing.TB) {
	t.Helper()
	select {
	case a := <-s.Refusals:
		t.Errorf("an answer nothing asked for: %s", a.Raw)
	default:
	}
}

// Case is one hostile line and the answer it must get.
type Case struct {
	Name string
	Line []byte
	// Code is the JSON-RPC error code of the answer; 0 accepts any answer
	// (a result or an error) and -1 means no answer (a dropped
	// notification).
	Code int64
	// ID is the id of the answer: a string, or nil for id null.
	ID any
	// DataCode is the answer's data "enact/error_code", when not "".
	DataCode string
}

// Nested returns n opening brackets, then n closing ones.
func Nested(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
}

// Call is a tools/call line with id and raw arguments.
func Call(id, tool, args string) []byte {
	return []byte(`{"jsonrpc":"2.0","id":"` + HostilePrefix + id + `","method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `}}`)
}

// Huge is a tools/call line of at least n bytes, the id first.
func Huge(id string, n int) []byte {
	head := `{"jsonrpc":"2.0","id":"` + HostilePrefix + id + `","method":"tools/call","params":{"name":"TemperatureConverterJS","arguments":{"celsius":1,"pad":"`
	b := make([]byte, 0, n+len(head)+8)
	b = append(b, head...)
	for len(b) < n {
		b = append(b, 'a')
	}
	return append(b, `"}}}`...)
}

// Cases are the hostile lines every transport is tested with (the 64 MiB
// line is Huge, apart, to keep this list small enough to seed a fuzzer).
// tool is a served tool taking {"celsius": number}.
func Cases(tool string) []Case {
	const deep = 10001
	return []Case{
		{"deep arguments (10,001 levels)", Call("deep", tool, `{"celsius":`+Nested(deep)+`}`), -32602, HostilePrefix + "deep", "too_deep"},
		{"deep arguments, id last", []byte(`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"` + tool + `","arguments":{"x":` + Nested(200) + `}},"id":"` + HostilePrefix + `deep-late"}`), -32602, HostilePrefix + "deep-late", "too_deep"},
		{"deep id", []byte(`{"jsonrpc":"2.0","method":"ping","id":` + Nested(deep) + `}`), -32600, nil, "too_deep"},
		{"deep notification", []byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":` + Nested(deep) + `}}`), -1, nil, ""},
		{"invalid UTF-8", []byte("{\"jsonrpc\":\"2.0\",\"id\":\"" + HostilePrefix + "utf8\",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":{\"celsius\":1,\"s\":\"\xff\xfe\xc0\"}}}"), -32700, HostilePrefix + "utf8", "invalid_utf8"},
		{"not JSON", []byte("GET / HTTP/1.1"), -32700, nil, "parse_error"},
		{"truncated JSON", []byte(`{"jsonrpc":"2.0","id":"` + HostilePrefix + `trunc","method":"tools/call","params":{"name":`), -32700, HostilePrefix + "trunc", "parse_error"},
		{"two values on a line", []byte(`{"jsonrpc":"2.0","id":"` + HostilePrefix + `two","method":"ping"} {}`), -32700, HostilePrefix + "two", "parse_error"},
		{"batch", []byte(`[{"jsonrpc":"2.0","id":"` + HostilePrefix + `b1","method":"ping"},{"jsonrpc":"2.0","id":"` + HostilePrefix + `b2","method":"ping"}]`), -32600, nil, "batch_unsupported"},
		{"empty batch", []byte(`[]`), -32600, nil, "batch_unsupported"},
		{"a string", []byte(`"ping"`), -32600, nil, "invalid_request"},
		{"no jsonrpc", []byte(`{"id":"` + HostilePrefix + `nojsonrpc","method":"ping"}`), -32600, HostilePrefix + "nojsonrpc", "invalid_request"},
		{"jsonrpc 1.0", []byte(`{"jsonrpc":"1.0","id":"` + HostilePrefix + `v1","method":"ping"}`), -32600, HostilePrefix + "v1", "invalid_request"},
		{"neither id nor method", []byte(`{"jsonrpc":"2.0"}`), -32600, nil, "invalid_request"},
		{"method not a string", []byte(`{"jsonrpc":"2.0","id":"` + HostilePrefix + `method","method":7}`), -32600, HostilePrefix + "method", "invalid_request"},
		{"id an object", []byte(`{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`), -32600, nil, "invalid_request"},
		{"huge number id", []byte(`{"jsonrpc":"2.0","id":1e400,"method":"ping"}`), -32600, nil, "invalid_request"},
		{"id past 2^53", []byte(`{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}`), -32600, nil, "invalid_request"},
		{"huge number argument", Call("bignum", tool, `{"celsius":1e400}`), 0, HostilePrefix + "bignum", ""},
		{"long number argument", Call("longnum", tool, `{"celsius":`+strings.Repeat("9", 100000)+`}`), 0, HostilePrefix + "longnum", ""},
		{"duplicate member", []byte(`{"jsonrpc":"2.0","id":"` + HostilePrefix + `dup","method":"ping","method":"tools/call"}`), -32600, HostilePrefix + "dup", "duplicate_key"},
		{"duplicate argument", Call("dup-arg", tool, `{"celsius":1,"celsius":2}`), -32602, HostilePrefix + "dup-arg", "duplicate_key"},
		{"duplicate escaped argument", Call("dup-esc", tool, `{"celsius":1,"\u0063elsius":2}`), -32602, HostilePrefix + "dup-esc", "duplicate_key"},
		{"params not an object", []byte(`{"jsonrpc":"2.0","id":"` + HostilePrefix + `params","method":"tools/call","params":"` + tool + `"}`), -32602, HostilePrefix + "params", "invalid_request"},
		{"unknown method", []byte(`{"jsonrpc":"2.0","id":"` + HostilePrefix + `unknown","method":"no/such"}`), -32601, HostilePrefix + "unknown", ""},
		{"response nobody asked for", []byte(`{"jsonrpc":"2.0","id":"` + HostilePrefix + `resp","result":{}}`), -1, nil, ""},
	}
}
