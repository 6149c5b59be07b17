package mcpserver_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/cmd/enact-run/internal/clienttest"
	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
)

// actorsPolicy lets every actor run; audit@acme.com may read all runs.
const actorsPolicy = `version: 1
allow: [kv.*]
actors:
  - {email: audit@acme.com, roles: [auditor]}
`

// Over MCP an actor's idempotency key and receipts are its own: another
// actor reusing the key runs independently and learns nothing of the
// first run, and reading its receipt answers as for an unknown id.
func TestHostileActorsMCP(t *testing.T) {
	t.Parallel()
	wired := clienttest.New(t, actorsPolicy)
	servers := map[string]*mcpserver.Server{}
	for _, actor := range []string{"alice@acme.com", "bob@acme.com", "audit@acme.com"} {
		srv, err := mcpserver.New(mcpserver.Config{Shipped: true, Actor: actor, Runner: wired.Client, Receipts: wired.Client, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		servers[actor] = srv
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			alice, bob, audit := tr.connect(t, servers["alice@acme.com"], nil), tr.connect(t, servers["bob@acme.com"], nil), tr.connect(t, servers["audit@acme.com"], nil)
			key := "order-" + tr.name
			convert := func(cs *mcp.ClientSession, celsius int) *mcp.CallToolResult {
				return call(t, cs, &mcp.CallToolParams{Name: "TemperatureConverterJS", Arguments: map[string]any{"celsius": celsius, mcpserver.IdempotencyKeyArgument: key}})
			}
			a := convert(alice, 10)
			aID, _ := a.Meta[mcpserver.MetaReceiptID].(string)
			if a.IsError || aID == "" {
				t.Fatalf("alice: %s", text(a))
			}
			// Bob reuses Alice's key: his own run.
			b := convert(bob, 20)
			bID, _ := b.Meta[mcpserver.MetaReceiptID].(string)
			if b.IsError || bID == aID || b.StructuredContent.(map[string]any)["fahrenheit"] != float64(68) {
				t.Fatalf("bob reusing alice's key: %s %v", text(b), b.Meta)
			}
			// Bob's own key now refuses other inputs, naming his run only.
			b2 := convert(bob, 10)
			if !b2.IsError || strings.Contains(text(b2), aID) || b2.Meta[mcpserver.MetaReceiptID] == aID {
				t.Errorf("bob's mismatch leaks alice's run: %s %v", text(b2), b2.Meta)
			}

			read := func(cs *mcp.ClientSession, id string) (string, error) {
				res, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: mcpserver.ReceiptURIPrefix + id})
				if err != nil {
					return "", err
				}
				return res.Contents[0].Text, nil
			}
			if body, err := read(alice, aID); err != nil || !strings.Contains(body, "alice@acme.com") {
				t.Errorf("alice reads her receipt: %v", err)
			}
			const unknown = "0123456789abcdef0123456789abcdef"
			_, errUnknown := read(bob, unknown)
			body, err := read(bob, aID)
			if err == nil || errUnknown == nil || strings.ReplaceAll(err.Error(), aID, "ID") != strings.ReplaceAll(errUnknown.Error(), unknown, "ID") {
				t.Errorf("bob reads alice's receipt: %q %v (an unknown id: %v)", body, err, errUnknown)
			}
			if body, err := read(audit, aID); err != nil || !strings.Contains(body, "alice@acme.com") {
				t.Errorf("the auditor reads alice's receipt: %v", err)
			}
		})
	}
}
