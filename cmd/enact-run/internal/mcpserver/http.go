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
// no open session is evicted for it. (Any POST without a session id may
// open one: it holds a place from its admission until its answer starts.)
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
		srv:    s,
		guard:  g,
		max:    maxSessions,
		opened: map[string]struct{}{},
		next: mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, &mcp.StreamableHTTPOptions{
			Logger:              s.log,
			SessionTimeout:      idle,
			MaxRequestBodyBytes: int64(g.maxBytes),
		}),
	}
}

// httpGuard checks POST bodies and bounds the sessions before the go-sdk's
// handler.
//
// The go-sdk's stateful handler binds a session for every POST without a
// session id, before it reads the message, and closes it after the answer
// unless the message was an initialize; only an initialize's answer carries
// the new session's id (Mcp-Session-Id). Its own client probes with such a
// POST ("server/discover") before it initializes, and sends the initialize
// as soon as the probe is answered, while the probe's session may still be
// bound. So the guard reserves a place for each POST without a session id
// when it admits it, and settles the reservation when the answer starts: on
// the session id the answer names, or on nothing. A session the guard saw
// named is counted by its id until the go-sdk drops it.
type httpGuard struct {
	srv   *Server
	guard guard
	max   int // < 0: no bound
	next  http.Handler

	mu      sync.Mutex
	opening int                 // admitted POSTs without a session id whose answer has not started
	opened  map[string]struct{} // the session ids those answers named (pruned once the session is gone)
}

// HTTPSessions returns the number of HTTP sessions open: the initialized
// ones. (The session the go-sdk binds for a request without a session id
// that is not an initialize lives during that request only.)
func (s *Server) HTTPSessions() int {
	n := 0
	for ss := range s.mcp.Sessions() {
		if ss.ID() != "" && ss.InitializeParams() != nil { // stdio sessions have no id
			n++
		}
	}
	return n
}

// countLocked returns the number of places taken: the open sessions whose
// id an answer named, and the reservations. An initialized session whose id
// no answer named (none with the go-sdk's stateful handler, but for one
// opened past this guard) counts too, except that up to h.opening of them
// may be the sessions of the reserved requests, already counted.
func (h *httpGuard) countLocked() int {
	named, other := 0, 0
	alive := make(map[string]struct{}, len(h.opened))
	for ss := range h.srv.mcp.Sessions() {
		id := ss.ID()
		if id == "" { // stdio
			continue
		}
		if _, ok := h.opened[id]; ok {
			named++
			alive[id] = struct{}{}
		} else if ss.InitializeParams() != nil {
			other++
		}
	}
	if len(alive) < len(h.opened) {
		h.opened = alive // the ids are random: a session gone does not come back
	}
	return named + max(h.opening, other)
}

// settle ends the reservation of one admitted request, once: the session id
// in its answer's header, if any, takes the place.
func (h *httpGuard) settle(settled *bool, header http.Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if *settled {
		return
	}
	*settled = true
	h.opening--
	if id := header.Get("Mcp-Session-Id"); id != "" {
		h.opened[id] = struct{}{}
	}
}

// settlingWriter settles its request's reservation when the answer starts
// (the go-sdk may write it from another goroutine than the request's).
type settlingWriter struct {
	http.ResponseWriter
	settle func()
}

func (w *settlingWriter) WriteHeader(status int) {
	if status >= 200 { // not an informational header
		w.settle()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *settlingWriter) Write(b []byte) (int, error) {
	w.settle()
	return w.ResponseWriter.Write(b)
}

// FlushError lets http.ResponseController flush (writing the header) through
// the settling.
func (w *settlingWriter) FlushError() error {
	w.settle()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *settlingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
	// Perhaps a new session: admitted while a place is free.
	h.mu.Lock()
	if open := h.countLocked(); open >= h.max {
		h.mu.Unlock()
		h.srv.log.Warn("mcpserver: refused a session", "code", CodeTooManySessions, "open", open, "max", h.max)
		w.Header().Set("Retry-After", strconv.Itoa(60))
		writeRefusal(w, http.StatusServiceUnavailable, errorResponse(replyID(jsonguard.Scan(body, h.guard.maxDepth)), codeServerBusy, CodeTooManySessions,
			fmt.Sprintf("too many MCP sessions: %d are open, the limit is %d; retry later (idle sessions close by themselves) or end one with DELETE", open, h.max)))
		return
	}
	h.opening++
	h.mu.Unlock()
	settled := false
	sw := &settlingWriter{ResponseWriter: w}
	sw.settle = func() { h.settle(&settled, w.Header()) }
	defer sw.settle() // an answer the go-sdk did not start
	h.next.ServeHTTP(sw, r)
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
