package enact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// A client built from a policy, a connector and a store runs a capability
// that writes through the gate; the retry with the same idempotency key
// replays the first run instead of writing again.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "enact-example-")
	defer os.RemoveAll(dir)
	keys, _ := receipts.OpenKeyring(filepath.Join(dir, "keys"))
	store, _ := receipts.OpenSQLite(ctx, filepath.Join(dir, "receipts.db"), keys.Signers())
	defer store.Close()
	notes, _ := kv.Open(filepath.Join(dir, "kv.db"))
	defer notes.Close()
	p, _ := policy.Load([]byte("version: 1\nallow: [kv.put]\n"), "policy.yaml")

	client, err := enact.Open(enact.Config{Policy: p, Connectors: []hostfns.Connector{notes}, Store: store})
	if err != nil {
		panic(err)
	}
	defer client.Close(ctx)

	c, _ := capabilities.Load([]byte(`
enact: 1.0.0
id: acme/remember
description: remembers a note
x-enact:
  actions: [kv.put]
inputs:
  type: object
  properties:
    note: {type: string}
tasks:
  - id: save
    type: script
    language: javascript
    code: |
      const saved = enact.kv.put({ key: "notes/latest", value: note });
      return { version: saved.version };
`), "remember.yaml")
	for range 2 {
		res, err := client.Run(ctx, enact.RunRequest{
			Capability:     c,
			Inputs:         map[string]any{"note": "call Jane"},
			Actor:          policy.Actor{Email: "agent@acme.com"},
			IdempotencyKey: "remember-1",
		})
		if err != nil {
			panic(err)
		}
		fmt.Println(res.Status, res.Outputs["version"], "replayed:", res.Replayed)
	}
	// Output:
	// PASS 1 replayed: false
	// PASS 1 replayed: true
}

// staticVars is a VarSource holding one capability's values; a runner
// reads them from its configuration (enact-run: the policy file's vars,
// ENACT_VAR_<NAME>, --env-file).
type staticVars map[string]any

func (s staticVars) Vars(capabilityID string, names []string) map[string]any { return s }
func (s staticVars) Where(capabilityID, name string) string {
	return "add it to the runner's configuration"
}

// A capability's environment variables come from the client's VarSource:
// the task reads them, and every value is a secret, redacted from what the
// run returns and from its receipt, which records their names only.
func ExampleWithVars() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "enact-example-")
	defer os.RemoveAll(dir)
	keys, _ := receipts.OpenKeyring(filepath.Join(dir, "keys"))
	store, _ := receipts.OpenSQLite(ctx, filepath.Join(dir, "receipts.db"), keys.Signers())
	defer store.Close()
	p, _ := policy.Load([]byte("version: 1\n"), "policy.yaml")
	client, err := enact.Open(enact.Config{Policy: p, Store: store, Vars: staticVars{"API_TOKEN": "tok-0123456789"}})
	if err != nil {
		panic(err)
	}
	defer client.Close(ctx)

	c, _ := capabilities.Load([]byte(`
enact: 1.0.0
id: acme/token-check
description: checks its token
env:
  vars:
    API_TOKEN: {type: string, pattern: "^tok-"}
    REGION: {type: string, default: eu-west}
tasks:
  - id: check
    type: script
    language: javascript
    code: |
      return { token: env.API_TOKEN, length: env.API_TOKEN.length, region: env.REGION };
`), "token-check.yaml")
	res, err := client.Run(ctx, enact.RunRequest{Capability: c, Actor: policy.Actor{Email: "agent@acme.com"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Outputs["token"], res.Outputs["length"], res.Outputs["region"])
	var rc receipts.Receipt
	_ = json.Unmarshal(res.Receipt.Body, &rc)
	fmt.Println(rc.Vars.Names)
	// Output:
	// PASS [redacted] 14 [redacted]
	// [API_TOKEN REGION]
}
