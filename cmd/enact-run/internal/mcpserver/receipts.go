package mcpserver

import (
	"context"
	"errors"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// ReceiptReader reads a run's receipt for an actor: its own runs, or any
// run for an actor the policy makes an auditor; another actor's run is
// receipts.ErrNotFound, like an unknown id. *enact.Client is one.
type ReceiptReader interface {
	Receipt(ctx context.Context, actor policy.Actor, runID string) (*receipts.Envelope, error)
}

// ReceiptURIPrefix starts the URI of a run's receipt resource:
// enact://receipts/RUN_ID.
const ReceiptURIPrefix = "enact://receipts/"

// addReceipts serves receipts as the resource template
// enact://receipts/{run_id}, read as the caller's actor.
func (s *Server) addReceipts() {
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{
		Name:        "receipt",
		Title:       "Run receipt",
		Description: "The signed receipt of one of your runs (the enact/receipt_id of a tool result), as stored: verify it with the runner's public keys.",
		URITemplate: ReceiptURIPrefix + "{run_id}",
		MIMEType:    "application/json",
	}, s.readReceipt)
}

// readReceipt answers resources/read of a receipt. Another actor's run
// and an unknown id get the same resource-not-found error.
func (s *Server) readReceipt(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	id, ok := strings.CutPrefix(uri, ReceiptURIPrefix)
	if !ok || id == "" || strings.ContainsAny(id, "/?#") {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	email := s.cfg.Actor
	if req.Extra != nil && req.Extra.TokenInfo != nil && req.Extra.TokenInfo.UserID != "" {
		email = req.Extra.TokenInfo.UserID
	}
	env, err := s.cfg.Receipts.Receipt(ctx, policy.Actor{Email: email}, id)
	if errors.Is(err, receipts.ErrNotFound) {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if err != nil {
		s.log.Error("mcpserver: reading a receipt", "run_id", id, "error", err)
		return nil, errors.New("the receipt could not be read")
	}
	data, err := env.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(data)}}}, nil
}
