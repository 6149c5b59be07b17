// Package clienttest builds, for the servers' tests, a real enact.Client
// the way enact-run serve and mcp do: the sandbox with a pool of prepared
// instances, the kv connector, and signed SQLite receipts, all in a
// temporary directory that the test removes.
package clienttest

import (
	"context"
	"testing"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

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
	// As enact-run mcp and serve configure it: a pool of prepared instances.
	engine, err := runtime.New(runtime.Config{PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close(context.Background()) })
	gate, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{st.KV}, Store: st.Store})
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Client: enact.New(engine, gate), Keys: st.Keys, Store: st.Store}
}
