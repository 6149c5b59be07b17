// Package clienttest builds, for the servers' tests, a real enact.Client
// the way enact-run serve and mcp do: the sandbox with a pool of prepared
// instances, the kv connector, and signed SQLite receipts, all in a
// temporary directory that the test removes. The engine is shared by the
// clients of a test binary, as a server shares its one engine.
package clienttest

import (
	"sync"
	"testing"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// sharedEngine is the one sandbox engine of a test binary's clients,
// configured as enact-run mcp and serve configure theirs: a pool of
// prepared instances. A server runs every request on its one engine, so
// the tests do too; what differs between clients is the gate and the
// store. Preparing an engine (CPython loaded from the compilation cache,
// pools filled) costs far more under the race detector than the requests
// the tests send, so it is done once per process and never closed.
var sharedEngine = sync.OnceValues(func() (*runtime.Engine, error) {
	return runtime.New(runtime.Config{PoolSize: 2})
})

// Client is a wired client and what a test may want to inspect.
type Client struct {
	*enact.Client
	Keys  *receipts.Keyring
	Store *receipts.SQLiteStore
}

// New wires a client under the given policy file text.
func New(t testing.TB, policyYAML string) *Client {
	t.Helper()
	p, err := policy.Load([]byte(policyYAML), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	engine, err := sharedEngine()
	if err != nil {
		t.Fatal(err)
	}
	gate, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{st.KV}, Store: st.Store})
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Client: enact.New(engine, gate), Keys: st.Keys, Store: st.Store}
}

// ReleaseCapability writes its version input under the kv key
// release/current and returns the version the store answered: the servers'
// approval tests hold it with a require_approval policy on kv.put.
const ReleaseCapability = `enact: 1.0.0
id: Release
description: Records the current release
version: 1.0.0
x-enact:
  actions: [kv.put]
inputs:
  type: object
  properties:
    version: {type: string}
tasks:
  - id: release
    type: script
    language: javascript
    code: |
      const r = enact.request("kv.put", { key: "release/current", value: version });
      if (!r.ok) throw new enact.ActionError(r.error);
      return { version: r.result.version };
outputs:
  type: object
  properties:
    version: {type: integer}
`
