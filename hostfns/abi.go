package hostfns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/enact-run/enact/internal/lazyre"
)

// MaxRequestBytes bounds one guest request. A larger request is refused
// with CodeInvalidRequest before it is decoded.
const MaxRequestBytes = 1 << 20

// MaxArgsDepth bounds how deep a request's args may nest objects and
// arrays; deeper args are refused with CodeInvalidArgs before the action's
// schema or any policy judges them.
const MaxArgsDepth = 64

// MaxReplyBytes bounds one reply; a connector result beyond it becomes a
// CodeConnectorError reply.
const MaxReplyBytes = 4 << 20

// Stable error codes carried in replies and receipts.
const (
	CodeInvalidRequest = "invalid_request" // the request is not a valid envelope
	CodeNotGranted     = "not_granted"     // the action is not in the run's grant
	CodeNotConfigured  = "not_configured"  // no connector of this runner provides the action (NotConfiguredError)
	CodeInvalidArgs    = "invalid_args"    // the arguments break the action's schema
	CodeDenied         = "denied"          // a policy said no
	CodeConnectorError = "connector_error" // the connector failed (see message)
	CodeNotFound       = "not_found"
	CodeConflict       = "conflict"
	CodeRateLimited    = "rate_limited"
	CodeUnauthorized   = "unauthorized"
	CodeUnavailable    = "unavailable"
	CodeTimeout        = "timeout"
	CodeInternal       = "internal" // the gate itself failed; the run fails closed
	// CodeApprovalRequired: a policy holds the action until a person
	// approves it; the message names the approval request. The run ends
	// PENDING; retried with the same idempotency key once the request is
	// approved, it performs the action.
	CodeApprovalRequired = "approval_required"
)

// Request is what a guest sends: an action id and its arguments.
type Request struct {
	Action string          `json:"action"`
	Args   json.RawMessage `json:"args"`
}

// Reply is what the guest gets back. Exactly one of Result and Error is
// set.
type Reply struct {
	OK             bool            `json:"ok"`
	Result         json.RawMessage `json:"result,omitempty"`
	AlreadyExisted bool            `json:"already_existed,omitempty"`
	Error          *ReplyError     `json:"error,omitempty"`
}

// ReplyError is a refusal or a failure the guest can handle.
type ReplyError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Reasons []PolicyReason `json:"policy_results,omitempty"`
}

// PolicyReason is one policy's verdict, as a guest sees it.
type PolicyReason struct {
	Policy string `json:"policy"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason"`
}

// Handler answers guest requests. The gate implements it for one run; the
// runtime calls it from every guest's host functions. Handle never returns
// an error: every outcome, including the gate's own failure, is a reply.
type Handler interface {
	Handle(ctx context.Context, request []byte) []byte
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, request []byte) []byte

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, request []byte) []byte { return f(ctx, request) }

// NoActions is the Handler of a run that was granted no actions.
var NoActions Handler = HandlerFunc(func(_ context.Context, request []byte) []byte {
	req, err := DecodeRequest(request)
	if err != nil {
		return ErrorReply(CodeInvalidRequest, err.Error())
	}
	return ErrorReply(CodeNotGranted, fmt.Sprintf("action %q is not granted to this run: it grants no actions (declare it under x-enact.actions in the capability)", req.Action))
})

var actionID = lazyre.New(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$`)

// ErrInvalidRequest is wrapped by DecodeRequest's errors.
var ErrInvalidRequest = errors.New("hostfns: invalid request")

// DecodeRequest parses and checks a request envelope: at most
// MaxRequestBytes, one JSON object with exactly the fields action (a
// "connector.action" id) and args (a JSON object, or absent for {}).
func DecodeRequest(b []byte) (Request, error) {
	var req Request
	if len(b) > MaxRequestBytes {
		return req, fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidRequest, len(b), MaxRequestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if dec.More() {
		return req, fmt.Errorf("%w: trailing data after the request", ErrInvalidRequest)
	}
	if !actionID.MatchString(req.Action) {
		return req, fmt.Errorf("%w: action %q is not of the form connector.action", ErrInvalidRequest, req.Action)
	}
	args := bytes.TrimSpace(req.Args)
	if len(args) == 0 || string(args) == "null" {
		req.Args = json.RawMessage("{}")
	} else if args[0] != '{' {
		return req, fmt.Errorf("%w: args must be a JSON object", ErrInvalidRequest)
	}
	return req, nil
}

// ErrorReply encodes a refusal or failure.
func ErrorReply(code, message string, reasons ...PolicyReason) []byte {
	return encodeReply(Reply{Error: &ReplyError{Code: code, Message: message, Reasons: reasons}})
}

// ResultReply encodes a successful result.
func ResultReply(result json.RawMessage, alreadyExisted bool) []byte {
	if len(result) > MaxReplyBytes {
		return ErrorReply(CodeConnectorError, fmt.Sprintf("the result is %d bytes; the limit is %d", len(result), MaxReplyBytes))
	}
	return encodeReply(Reply{OK: true, Result: result, AlreadyExisted: alreadyExisted})
}

func encodeReply(r Reply) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(Reply{Error: &ReplyError{Code: CodeInternal, Message: "reply not encodable: " + err.Error()}})
	}
	return b
}
