package mcpserver_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/cmd/enact-run/internal/mcpserver"
	"github.com/enact-run/enact/policy"
)

// TestCompositeTools serves composites like atomic capabilities: their
// annotations come from every step's actions, a call runs the whole flow,
// and a composite whose imports cannot be found is not offered.
func TestCompositeTools(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"writer.yaml": strings.Replace(kvWriter, "code: |\n      const r", "code: |\n      const r0 = enact.request(\"kv.get\", {key});\n      const r", 1),
		"reader.yaml": strings.Replace(kvReader, "description: Reads a key\n", "description: Reads a key\nversion: 1.0.0\n", 1),
		"reads.yaml": `enact: 1.0.0
id: Reads
description: reads, twice
type: composite
imports: [{id: acme/kv_reader, version: 1.0.0}]
flow:
  steps:
    - {id: one, capability: acme/kv_reader}
    - {id: two, capability: acme/kv_reader}
`,
		"writes.yaml": `enact: 1.0.0
id: Writes
description: reads, then writes the key it is given
type: composite
imports: [{id: acme/kv_reader, version: 1.0.0}, {id: acme/kv.writer, version: 2.1.0}]
inputs: {type: object, properties: {key: {type: string}}, required: [key]}
flow:
  steps:
    - {id: read, capability: acme/kv_reader}
    - {id: write, capability: acme/kv.writer, dependsOn: [read], inputs: {key: "{{ inputs.key }}"}}
outputs: {type: object, properties: {ok: {type: boolean}}, source: {ok: "{{ steps.write.outputs.ok }}"}}
`,
		"lost.yaml": "enact: 1.0.0\nid: Lost\ndescription: imports what is not there\ntype: composite\nimports: [{id: Nowhere, version: 1.0.0}]\nflow:\n  steps:\n    - {capability: Nowhere}\n",
	})
	srv, err := mcpserver.New(mcpserver.Config{
		Dir: dir, Actor: agent, Runner: newRunner(t),
		Mutating: func(id string) bool { return !policy.ReadOnly(id) },
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := transports[0].connect(t, srv, nil)
	tools := listTools(t, cs)
	if _, ok := tools["Lost"]; ok {
		t.Error("a composite whose import is missing is offered")
	}
	reads, writes := tools["Reads"], tools["Writes"]
	if reads == nil || writes == nil {
		t.Fatalf("tools %v", srv.Tools())
	}
	if a := reads.Annotations; !a.ReadOnlyHint || *a.DestructiveHint || !*a.OpenWorldHint {
		t.Errorf("Reads annotations %+v: a composite of reads is read-only", a)
	}
	if a := writes.Annotations; a.ReadOnlyHint || !*a.DestructiveHint {
		t.Errorf("Writes annotations %+v: a step writes and deletes", a)
	}
	res := call(t, cs, &mcp.CallToolParams{Name: "Writes", Arguments: map[string]any{"key": "k"}})
	if res.IsError || res.StructuredContent.(map[string]any)["ok"] != true {
		t.Errorf("Writes: %s", text(res))
	}
	steps, _ := res.Meta[mcpserver.MetaSteps].([]any)
	if len(steps) != 2 || !strings.Contains(fmt.Sprint(steps[1]), "status:passed") || !strings.Contains(fmt.Sprint(steps[1]), "receipt:sha256:") {
		t.Errorf("_meta %s: %v", mcpserver.MetaSteps, res.Meta[mcpserver.MetaSteps])
	}
}
