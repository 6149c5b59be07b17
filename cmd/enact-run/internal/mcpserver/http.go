package mcpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/cmd/enact-run/internal/jsonguard"
)

// Defaults of the HTTP sessions' bounds.
const (
	DefaultHTTPSessionIdle = 10 * time.Minute
	DefaultMaxHTTPSessions = 1000
)

// codeServerBusy is the JSON-RPC error code of a refused initialize (the
// implementation-defined server errors are -32000 to -32099).
const codeServerBusy = -32000

// HTTPHandler returns the streamable HTTP transport of the server, to mount
// at /mcp. Wrap it with authentication (for example the go-sdk's
// auth.RequireBearerToken, whose TokenInfo.UserID becomes the actor); it
// rejects requests reaching a localhost address under another Host name.
//
// A POST body is checked like a stdio line: a refused message is answered
// with HTTP 400 (413 when too large) and a JSON-RPC error, and the session
// goes on. A session closes after Config.HTTPSessionIdle without a request
// (a client that keeps one open without calling should ping); at most
// Config.MaxHTTPSessions are open at once, and an initialize over the bound
// is refused with 503, Retry-After and a JSON-RPC error naming the bound:
// no open session is evicted for it.
func (s *Server) HTTPHandler() http.Handler {
	idle := s.cfg.HTTPSessionIdle
	switch {
	case idle == 0:
		idle = DefaultHTTPSessionIdle
	case idle < 0:
		idle = 0 // the go-sdk's "never"
	}
	maxSessions := s.cfg.MaxHTTPSessions
	if maxSessions == 0 {
		maxSessions = DefaultMaxHTTPSessions
	}
	g := newGuard(s.cfg)
	return &httpGuard{
		srv:   s,
		guard: g,
		max:   maxSessions,
		next: mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, &mcp.StreamableHTTPOptions{
			Logger:              s.log,
			SessionTimeout:      idle,
			MaxRequestBodyBytes: int64(g.maxBytes),
		}),
	}
}

// httpGuard checks POST bodies and bounds the sessions before the go-sdk's
// handler.
type httpGuard struct {
	srv   *Server
	guard guard
	max   int // < 0: no bound
	next  http.Handler

	mu      sync.Mutex
	opening int // initializes in flight
}

// HTTPSessions returns the number of HTTP sessions open.
func (s *Server) HTTPSessions() int {
	n := 0
	for ss := range s.mcp.Sessions() {
		if ss.ID() != "" { // stdio sessions have no id
			n++
		}
	}
	return n
}

func (h *httpGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Body == nil {
		h.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(h.guard.maxBytes)))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		v := h.guard.check(body, true)
		h.srv.log.Warn("mcpserver: refused a message", "code", v.code, "transport", "http")
		writeRefusal(w, http.StatusRequestEntityTooLarge, v.reply)
		return
	case err != nil:
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(bytes.TrimSpace(body)) > 0 { // an empty body is the go-sdk's to refuse
		v := h.guard.check(body, false)
		if v.msg == nil {
			reply := v.reply
			if reply == nil {
				// A dropped notification or response: over HTTP its POST
				// still needs an answer.
				reply = errorResponse("null", codeForDropped(v.code), v.code, v.dropped)
			}
			h.srv.log.Warn("mcpserver: refused a message", "code", v.code, "transport", "http")
			writeRefusal(w, http.StatusBadRequest, reply)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if r.Header.Get("Mcp-Session-Id") != "" || h.max < 0 {
		h.next.ServeHTTP(w, r)
		return
	}
	// A new session. The one being opened is counted twice while its
	// initialize runs (it is among the server's sessions already), so
	// concurrent initializes near the bound may be refused a little early,
	// never let past it.
	h.mu.Lock()
	if open := h.srv.HTTPSessions() + h.opening; open >= h.max {
		h.mu.Unlock()
		h.srv.log.Warn("mcpserver: refused a session", "code", CodeTooManySessions, "open", open, "max", h.max)
		w.Header().Set("Retry-After", strconv.Itoa(60))
		writeRefusal(w, http.StatusServiceUnavailable, errorResponse(replyID(jsonguard.Scan(body, h.guard.maxDepth)), codeServerBusy, CodeTooManySessions,
			fmt.Sprintf("too many MCP sessions: %d are open, the limit is %d; retry later (idle sessions close by themselves) or end one with DELETE", open, h.max)))
		return
	}
	h.opening++
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.opening--
		h.mu.Unlock()
	}()
	h.next.ServeHTTP(w, r)
}

func codeForDropped(code string) int64 {
	if code == CodeTooDeep || code == CodeDuplicateKey {
		return jsonrpc.CodeInvalidParams
	}
	return jsonrpc.CodeInvalidRequest
}

func writeRefusal(w http.ResponseWriter, status int, reply []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(reply, '\n'))
}
