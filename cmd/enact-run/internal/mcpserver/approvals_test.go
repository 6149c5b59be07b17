package mcpserver_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/cmd/enact-run/internal/clienttest"
	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
	"github.com/enact-run/enact/policy"
)

const heldPolicy = `version: 1
actors:
  - {email: agent@acme.com, roles: [agent]}
  - {email: lee@acme.com, roles: [maintainer]}
allow: [kv.*]
policies:
  - use: require_approval
    name: maintainer_releases
    actions: [kv.put]
    with: {approver_roles: [maintainer]}
`

// TestPendingToolResult: a call whose action is held for approval is not
// an error result: its text says pending, names the request and how to
// resume; _meta carries the request id and the run report; once a
// maintainer approved, the same call with the same key performs it.
func TestPendingToolResult(t *testing.T) {
	t.Parallel()
	wired := clienttest.New(t, heldPolicy)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"release.yaml": clienttest.ReleaseCapability})
	srv, err := mcpserver.New(mcpserver.Config{
		Dir: dir, Actor: "agent@acme.com", Runner: wired.Client, ConsoleURL: "https://enact.example.com",
		Mutating: func(id string) bool { return !policy.ReadOnly(id) }, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := transports[0].connect(t, srv, nil)
	params := &mcp.CallToolParams{Name: "Release", Arguments: map[string]any{"version": "7.0.0", mcpserver.IdempotencyKeyArgument: "rel-7"}}
	res := call(t, cs, params)
	id, _ := res.Meta[mcpserver.MetaApprovalID].(string)
	if res.IsError || !strings.HasPrefix(id, "apr_") || res.Meta[mcpserver.MetaStatus] != "PENDING" || res.Meta[mcpserver.MetaErrorCode] != "approval_required" {
		t.Fatalf("held call: isError %v, _meta %v, %q", res.IsError, res.Meta, text(res))
	}
	for _, want := range []string{"PENDING: action kv.put is held for approval " + id, "https://enact.example.com/ui/approvals/" + id, "same idempotency key"} {
		if !strings.Contains(text(res), want) {
			t.Errorf("text %q lacks %q", text(res), want)
		}
	}
	rep, _ := res.Meta[mcpserver.MetaReport].(map[string]any)
	appr, _ := rep["approval"].(map[string]any)
	if rep["status"] != "PENDING" || appr["id"] != id || appr["state"] != "pending" || appr["resume"] == "" {
		t.Errorf("_meta %s: %v", mcpserver.MetaReport, rep)
	}
	if _, err := wired.Decide(t.Context(), id, policy.Actor{Email: "lee@acme.com"}, true, "ok"); err != nil {
		t.Fatal(err)
	}
	res = call(t, cs, params)
	if out, _ := res.StructuredContent.(map[string]any); res.IsError || res.Meta[mcpserver.MetaStatus] != "PASS" || out["version"] != float64(1) {
		t.Errorf("the call after approval: isError %v, %v, %q", res.IsError, res.StructuredContent, text(res))
	}
}
