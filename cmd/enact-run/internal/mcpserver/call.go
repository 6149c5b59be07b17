package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/runtime"
)

// maxTraceInResult bounds the guest traceback copied into a failed result.
const maxTraceInResult = 4 << 10

// handler runs t's capability for a tools/call.
func (s *Server) handler(t *tool) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		inputs, key, err := t.arguments(req.Params)
		if err != nil {
			return errorResult(runtime.CodeInvalidInput, err.Error(), nil), nil
		}
		res, err := s.cfg.Runner.Run(ctx, enact.RunRequest{
			Capability:     t.cap,
			Inputs:         inputs,
			InputsJSON:     req.Params.Arguments,
			Actor:          policy.Actor{Email: s.actor(req)},
			IdempotencyKey: key,
		})
		res.LogPlugins(ctx, s.log, t.cap.ID)
		if err != nil {
			code := ""
			var re *runtime.Error
			var nc *hostfns.NotConfiguredError
			switch {
			case errors.As(err, &re):
				code = re.Code
			case errors.As(err, &nc):
				code = hostfns.CodeNotConfigured
			}
			return errorResult(code, err.Error(), res), nil
		}
		return result(res, s.cfg.ConsoleURL), nil
	}
}

// actor is the verified bearer token's user over HTTP, else Config.Actor.
func (s *Server) actor(req *mcp.CallToolRequest) string {
	if req.Extra != nil && req.Extra.TokenInfo != nil && req.Extra.TokenInfo.UserID != "" {
		return req.Extra.TokenInfo.UserID
	}
	return s.cfg.Actor
}

// arguments splits the call's arguments into the inputs and the
// idempotency key.
func (t *tool) arguments(p *mcp.CallToolParamsRaw) (map[string]any, string, error) {
	in := map[string]any{}
	if raw := bytes.TrimSpace(p.Arguments); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			return nil, "", fmt.Errorf("the arguments must be a JSON object: %w", err)
		}
		if in == nil {
			in = map[string]any{}
		}
	}
	var key string
	var given bool
	if t.reservedKey {
		if v, ok := in[IdempotencyKeyArgument]; ok {
			delete(in, IdempotencyKeyArgument)
			s, ok := v.(string)
			if !ok {
				return nil, "", fmt.Errorf("%s must be a string", IdempotencyKeyArgument)
			}
			key, given = s, true
		}
	}
	if v, ok := p.Meta[IdempotencyKeyMeta]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, "", fmt.Errorf("_meta %q must be a string", IdempotencyKeyMeta)
		}
		if given && s != key {
			return nil, "", fmt.Errorf("%s and _meta %q differ", IdempotencyKeyArgument, IdempotencyKeyMeta)
		}
		key, given = s, true
	}
	if given && (key == "" || len(key) > maxIdempotencyKey) {
		return nil, "", fmt.Errorf("the idempotency key must be 1 to %d bytes long", maxIdempotencyKey)
	}
	return in, key, nil
}

// result turns a run into a tool result; consoleURL is the console's base
// URL for an approval's link ("" for none).
func result(res *enact.Result, consoleURL string) *mcp.CallToolResult {
	r := toolResult(res, consoleURL)
	rep := report.New()
	rep.FromResult(res, report.Options{ConsoleURL: consoleURL})
	rep.Receipt = nil
	r.Meta[MetaReport] = rep
	return r
}

func toolResult(res *enact.Result, consoleURL string) *mcp.CallToolResult {
	if res.Status == enact.StatusPending {
		return pendingResult(res, consoleURL)
	}
	if res.Status == enact.StatusPass {
		out := res.Outputs
		if out == nil {
			out = map[string]any{}
		}
		text, err := json.Marshal(out)
		if err != nil {
			return errorResult("internal", "the outputs are not JSON: "+err.Error(), res)
		}
		r := &mcp.CallToolResult{
			Meta:              mcp.Meta{MetaStatus: res.Status, MetaReceiptID: res.RunID},
			Content:           []mcp.Content{&mcp.TextContent{Text: string(text)}},
			StructuredContent: out,
		}
		withSteps(r, res)
		return r
	}
	code, msg := "internal", "the run did not pass"
	if res.Error != nil {
		code, msg = res.Error.Code, res.Error.Message
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", res.Status, code, msg)
	if res.Error != nil && res.Error.Task != "" {
		fmt.Fprintf(&b, " (task %s)", res.Error.Task)
	}
	if res.Error != nil && res.Error.Trace != "" {
		trace := res.Error.Trace
		if len(trace) > maxTraceInResult {
			trace = trace[:maxTraceInResult] + "…"
		}
		b.WriteString("\n" + trace)
	}
	r := &mcp.CallToolResult{
		Meta:    mcp.Meta{MetaStatus: res.Status, MetaErrorCode: code},
		Content: []mcp.Content{&mcp.TextContent{Text: b.String()}},
		IsError: true,
	}
	if res.RunID != "" {
		r.Meta[MetaReceiptID] = res.RunID
	}
	withSteps(r, res)
	return r
}

// pendingResult reports a run held for approval: not an error (nothing
// failed), but a text the model can act on: the request, who must
// approve, and how to resume.
func pendingResult(res *enact.Result, consoleURL string) *mcp.CallToolResult {
	rep := report.New()
	rep.FromResult(res, report.Options{ConsoleURL: consoleURL})
	var b strings.Builder
	b.WriteString("PENDING: ")
	if a := rep.Approval; a != nil {
		fmt.Fprintf(&b, "action %s is held for approval %s", a.Action, a.ID)
		if len(a.Reasons) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(a.Reasons, "; "))
		}
		if !a.Expires.IsZero() {
			fmt.Fprintf(&b, "; the request expires at %s", a.Expires.UTC().Format(time.RFC3339))
		}
		if a.URL != "" {
			fmt.Fprintf(&b, "; an approver can review it at %s", a.URL)
		}
	} else if res.Error != nil {
		b.WriteString(res.Error.Message)
	}
	b.WriteString(". Nothing after the held action ran. To resume: once a person has approved the request, call this tool again with the same arguments and the same idempotency key; the held action is then performed exactly once.")
	r := &mcp.CallToolResult{
		Meta:    mcp.Meta{MetaStatus: res.Status, MetaReceiptID: res.RunID},
		Content: []mcp.Content{&mcp.TextContent{Text: b.String()}},
	}
	if rep.Approval != nil {
		r.Meta[MetaApprovalID] = rep.Approval.ID
	}
	if res.Error != nil {
		r.Meta[MetaErrorCode] = res.Error.Code
	}
	withSteps(r, res)
	return r
}

// withSteps adds a composite's steps to a result's metadata (MetaSteps).
func withSteps(r *mcp.CallToolResult, res *enact.Result) {
	if len(res.Steps) > 0 {
		r.Meta[MetaSteps] = res.Steps
	}
}

// errorResult reports a call that could not run (or whose receipt could
// not be stored, when res is set).
func errorResult(code, msg string, res *enact.Result) *mcp.CallToolResult {
	text := msg
	if code != "" && !strings.HasPrefix(msg, code) {
		text = code + ": " + msg
	}
	r := &mcp.CallToolResult{
		Meta:    mcp.Meta{},
		Content: []mcp.Content{&mcp.TextContent{Text: text}},
		IsError: true,
	}
	if code != "" {
		r.Meta[MetaErrorCode] = code
	}
	if res != nil {
		r.Meta[MetaStatus] = res.Status
		if res.RunID != "" {
			r.Meta[MetaReceiptID] = res.RunID
		}
	}
	return r
}
