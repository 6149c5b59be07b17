// Package connectortest is the contract every hostfns.Connector must meet,
// as one test suite each connector package runs against itself:
//
//	func TestContract(t *testing.T) {
//		connectortest.Run(t, func(t *testing.T) hostfns.Connector { return newConnector(t) }, connectortest.Contract{…})
//	}
package connectortest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/enact-run/enact/hostfns"
)

// Contract names, for one connector, the calls the suite makes.
type Contract struct {
	// Mutations are mutating calls that succeed on a fresh connector. Each
	// is made twice: the second must change nothing and answer
	// AlreadyExisted (check-before-act), with the same result shape.
	Mutations []Call
	// Reads are read-only calls that succeed on a fresh connector.
	Reads []Call
}

// Call is one action with its arguments.
type Call struct {
	Action string
	Args   string
}

// Run checks a connector against the contract. newConnector must return a
// fresh connector (fresh state) each time it is called.
func Run(t *testing.T, newConnector func(t *testing.T) hostfns.Connector, c Contract) {
	t.Run("describes its actions", func(t *testing.T) {
		conn := newConnector(t)
		if conn.Name() == "" || strings.ContainsAny(conn.Name(), ". ") {
			t.Fatalf("name %q must be a non-empty word", conn.Name())
		}
		seen := map[string]bool{}
		for _, a := range conn.Actions() {
			if a.Name == "" || seen[a.Name] {
				t.Errorf("action name %q is empty or repeated", a.Name)
			}
			seen[a.Name] = true
			for what, schema := range map[string]json.RawMessage{"args": a.Args, "result": a.Result} {
				if _, err := compile(schema); err != nil {
					t.Errorf("%s.%s: %s schema: %v", conn.Name(), a.Name, what, err)
				}
			}
		}
		if len(seen) == 0 {
			t.Error("no actions")
		}
	})
	t.Run("unknown action is not_found", func(t *testing.T) {
		_, err := newConnector(t).Call(t.Context(), "no_such_action", json.RawMessage(`{}`), hostfns.CallOptions{})
		wantCode(t, err, hostfns.CodeNotFound)
	})
	t.Run("undecodable arguments are invalid_args", func(t *testing.T) {
		conn := newConnector(t)
		for _, a := range conn.Actions() {
			_, err := conn.Call(t.Context(), a.Name, json.RawMessage(`[1, 2`), hostfns.CallOptions{})
			wantCode(t, err, hostfns.CodeInvalidArgs)
		}
	})
	t.Run("results match their schemas", func(t *testing.T) {
		conn := newConnector(t)
		specs := map[string]hostfns.ActionSpec{}
		for _, a := range conn.Actions() {
			specs[a.Name] = a
		}
		for _, call := range append(append([]Call{}, c.Mutations...), c.Reads...) {
			out, err := conn.Call(t.Context(), call.Action, json.RawMessage(call.Args), hostfns.CallOptions{IdempotencyKey: "contract-1"})
			if err != nil {
				t.Fatalf("%s %s: %v", call.Action, call.Args, err)
			}
			schema, err := compile(specs[call.Action].Result)
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out.Result))
			if err != nil {
				t.Fatalf("%s: result is not JSON: %v", call.Action, err)
			}
			if err := schema.Validate(v); err != nil {
				t.Errorf("%s: result %s breaks its schema: %v", call.Action, out.Result, err)
			}
		}
	})
	t.Run("mutations are not repeated on retry", func(t *testing.T) {
		conn := newConnector(t)
		for _, call := range c.Mutations {
			first, err := conn.Call(t.Context(), call.Action, json.RawMessage(call.Args), hostfns.CallOptions{IdempotencyKey: "contract-2"})
			if err != nil {
				t.Fatalf("%s: %v", call.Action, err)
			}
			if first.AlreadyExisted {
				t.Errorf("%s on a fresh connector says already_existed", call.Action)
			}
			again, err := conn.Call(t.Context(), call.Action, json.RawMessage(call.Args), hostfns.CallOptions{IdempotencyKey: "contract-2"})
			if err != nil {
				t.Fatalf("%s retried: %v", call.Action, err)
			}
			if !again.AlreadyExisted {
				t.Errorf("%s retried with the same arguments did not answer already_existed", call.Action)
			}
		}
	})
	t.Run("honours a cancelled context", func(t *testing.T) {
		conn := newConnector(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for _, call := range c.Mutations {
			if _, err := conn.Call(ctx, call.Action, json.RawMessage(call.Args), hostfns.CallOptions{}); err == nil {
				t.Errorf("%s succeeded with a cancelled context", call.Action)
			}
		}
	})
}

func compile(schema json.RawMessage) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("connector.json", v); err != nil {
		return nil, err
	}
	return c.Compile("connector.json")
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ce *hostfns.ConnectorError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Errorf("error %v, want a ConnectorError with code %s", err, code)
	}
}
