package mcpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/enact-run/enact/cmd/enact-run/internal/jsonguard"
	"github.com/enact-run/enact/internal/lazyre"
)

// DefaultMaxMessageBytes bounds one JSON-RPC message: one line over stdio,
// one request body over HTTP.
const DefaultMaxMessageBytes = 4 << 20

// Error codes in the data of the JSON-RPC errors that refuse a message
// ("enact/error_code"), besides runtime's.
const (
	CodeTooLarge         = "too_large"         // the message exceeds MaxMessageBytes
	CodeTooDeep          = "too_deep"          // the message nests deeper than MaxDepth
	CodeInvalidUTF8      = "invalid_utf8"      // the message is not UTF-8
	CodeParseError       = "parse_error"       // the message is not JSON
	CodeBatchUnsupported = "batch_unsupported" // a JSON array (a JSON-RPC batch)
	CodeDuplicateKey     = "duplicate_key"     // an object repeats a key
	CodeInvalidRequest   = "invalid_request"   // not a JSON-RPC 2.0 request or response
	CodeTooManySessions  = "too_many_sessions" // over HTTP, MaxHTTPSessions are open
)

// guard checks every message from a client before the go-sdk decodes it,
// so that no message can end the session: what it refuses is answered (or,
// for a notification or a response, dropped) by the transport itself.
type guard struct {
	maxBytes int
	maxDepth int
}

func newGuard(cfg Config) guard {
	g := guard{maxBytes: cfg.MaxMessageBytes, maxDepth: cfg.MaxDepth}
	if g.maxBytes <= 0 {
		g.maxBytes = DefaultMaxMessageBytes
	}
	if g.maxDepth <= 0 {
		g.maxDepth = jsonguard.DefaultMaxDepth
	}
	return g
}

// verdict is the outcome of checking one message: exactly one of msg (let
// through), reply (a refusal to send back) and dropped (a refusal nobody
// is answered for: a notification or a response) is set.
type verdict struct {
	msg     jsonrpc.Message
	reply   []byte // one JSON-RPC error response, without end of line
	code    string // the refusal's code, for the log and for HTTP statuses
	dropped string // why a notification or a response was dropped
}

// check checks one message. tooLong reports that the message was longer
// than maxBytes and data holds only its first maxBytes bytes.
func (g guard) check(data []byte, tooLong bool) verdict {
	if tooLong {
		r := jsonguard.Scan(data, g.maxDepth)
		return refuse(replyID(r), jsonrpc.CodeInvalidRequest, CodeTooLarge,
			fmt.Sprintf("the message is longer than %d bytes (the limit of one message)", g.maxBytes))
	}
	if !utf8.Valid(data) {
		r := jsonguard.Scan(data, g.maxDepth)
		return refuse(replyID(r), jsonrpc.CodeParseError, CodeInvalidUTF8, "the message is not valid UTF-8")
	}
	r := jsonguard.Scan(data, g.maxDepth)
	if r.TooDeep {
		code := int64(jsonrpc.CodeInvalidRequest)
		where := "the message"
		if r.DeepUnder == "params" && r.HasMethod {
			code, where = jsonrpc.CodeInvalidParams, "params"
		}
		return g.structural(r, code, CodeTooDeep, fmt.Sprintf("%s nests deeper than %d levels (the limit of a message)", where, g.maxDepth))
	}
	if !json.Valid(data) {
		var raw json.RawMessage
		err := json.Unmarshal(data, &raw)
		msg := "the message is not valid JSON"
		if err != nil {
			msg += ": " + err.Error()
		}
		return refuse(replyID(r), jsonrpc.CodeParseError, CodeParseError, msg)
	}
	switch r.First {
	case '{':
	case '[':
		return refuse("null", jsonrpc.CodeInvalidRequest, CodeBatchUnsupported, "JSON-RPC batches are not supported: send one message per line")
	default:
		return refuse("null", jsonrpc.CodeInvalidRequest, CodeInvalidRequest, "a message must be a JSON object")
	}
	if r.Duplicate != "" {
		code, msg := int64(jsonrpc.CodeInvalidRequest), fmt.Sprintf("the message repeats the member %q", r.Duplicate)
		if r.DuplicateUnder != "" {
			msg = fmt.Sprintf("an object in %q repeats the key %q", r.DuplicateUnder, r.Duplicate)
			if r.DuplicateUnder == "params" && r.HasMethod {
				code = jsonrpc.CodeInvalidParams
			}
		}
		return g.structural(r, code, CodeDuplicateKey, msg)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(data, &env); err != nil {
		return refuse(replyID(r), jsonrpc.CodeParseError, CodeParseError, "the message is not valid JSON: "+err.Error())
	}
	invalid := func(msg string) verdict {
		return g.structural(r, jsonrpc.CodeInvalidRequest, CodeInvalidRequest, msg)
	}
	if v, ok := env["jsonrpc"]; !ok || string(v) != `"2.0"` {
		return invalid(`"jsonrpc" must be "2.0"`)
	}
	if id, ok := env["id"]; ok && !validID(id) {
		return invalid(`"id" must be a string or an integer of at most 2^53 in magnitude`)
	}
	if m, ok := env["method"]; ok {
		var method string
		if err := json.Unmarshal(m, &method); err != nil {
			return invalid(`"method" must be a string`)
		}
		if p, ok := env["params"]; ok && len(p) > 0 && p[0] != '{' && string(p) != "null" {
			code := int64(jsonrpc.CodeInvalidParams)
			if !r.HasID {
				return verdict{code: CodeInvalidRequest, dropped: `"params" of a notification is not an object`}
			}
			return refuse(replyID(r), code, CodeInvalidRequest, `"params" must be an object`)
		}
	} else if _, ok := env["id"]; !ok || !r.HasResult {
		return invalid(`a message needs a "method" (a request) or an "id" and a "result" or an "error" (a response)`)
	}
	msg, err := jsonrpc.DecodeMessage(bytes.Clone(data))
	if err != nil {
		return invalid(err.Error())
	}
	return verdict{msg: msg}
}

// structural refuses a message that is JSON but not an acceptable message:
// a request is answered with its id; a notification, and a response to a
// call of the server, are dropped (nobody waits for an answer, and an
// error carrying a response's id would be taken for the answer to the
// client's own call of that id); anything else is answered with id null.
func (g guard) structural(r jsonguard.Report, code int64, name, msg string) verdict {
	switch {
	case r.HasMethod && !r.HasID:
		return verdict{code: name, dropped: "notification: " + msg}
	case !r.HasMethod && r.HasResult:
		return verdict{code: name, dropped: "response: " + msg}
	}
	return refuse(replyID(r), code, name, msg)
}

// replyID is the id to answer a refused message with: its own when it is a
// request whose id could be read and is valid, else null.
func replyID(r jsonguard.Report) string {
	if !r.HasMethod || r.ID == nil || !validID(r.ID) {
		return "null"
	}
	return string(r.IDValue())
}

var integer = lazyre.New(`^-?(0|[1-9][0-9]{0,15})$`)

// validID reports whether raw is an id the go-sdk answers with the same
// value: a string, or an integer a float64 holds exactly (the go-sdk reads
// numbers as float64).
func validID(raw []byte) bool {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		return json.Unmarshal(raw, &s) == nil
	}
	if !integer.Match(raw) {
		return false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return err == nil && n <= 1<<53 && n >= -(1<<53)
}

type wireError struct {
	Code    int64          `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data,omitempty"`
}

// refuse answers a message with error code and name, as id.
func refuse(id string, code int64, name, msg string) verdict {
	return verdict{reply: errorResponse(id, code, name, msg), code: name}
}

// errorResponse is a JSON-RPC error response; id is a JSON string, number
// or null. It is written by hand because the go-sdk cannot encode id null.
func errorResponse(id string, code int64, name, msg string) []byte {
	e, _ := json.Marshal(wireError{Code: code, Message: msg, Data: map[string]any{MetaErrorCode: name}})
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"error":%s}`, id, e)
}
