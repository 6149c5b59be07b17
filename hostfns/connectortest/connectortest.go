// Package connectortest is the contract every hostfns.Connector must meet,
// as one test suite each connector package runs against itself:
//
//	func TestContract(t *testing.T) {
//		connectortest.Run(t, func(t *testing.T) hostfns.Connector { return newConnector(t) }, connectortest.Contract{…})
//	}
//
// A connector that implements hostfns.Checker is held to Check's contract
// too: for each of Contract.Mutations, Check answers not performed before
// the call and performed after it, answers the same when asked twice, and
// changes nothing (the call still acts, and its retry still finds its
// effect). The subtests about Check are skipped for other connectors.
package connectortest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
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
	runCheck(t, newConnector, c)
}

// checker returns conn as a hostfns.Checker, or skips the test.
func checker(t *testing.T, conn hostfns.Connector) hostfns.Checker {
	t.Helper()
	ch, ok := conn.(hostfns.Checker)
	if !ok {
		t.Skipf("connector %s does not implement hostfns.Checker: recovery cannot ask it whether an action took effect", conn.Name())
	}
	return ch
}

func runCheck(t *testing.T, newConnector func(t *testing.T) hostfns.Connector, c Contract) {
	t.Run("check finds the effect of each mutation and changes nothing", func(t *testing.T) {
		conn := newConnector(t)
		ch := checker(t, conn)
		if len(c.Mutations) == 0 {
			t.Fatal("the contract names no mutations to check")
		}
		opts := hostfns.CallOptions{IdempotencyKey: "contract-check"}
		check := func(call Call, when string) hostfns.CheckResult {
			t.Helper()
			res, err := ch.Check(t.Context(), call.Action, json.RawMessage(call.Args), opts)
			if err != nil {
				t.Fatalf("check %s %s %s: %v", call.Action, when, call.Args, err)
			}
			if res.Evidence == "" {
				t.Errorf("check %s %s: no evidence", call.Action, when)
			}
			return res
		}
		for _, call := range c.Mutations {
			before := check(call, "before the call")
			if before.Performed {
				t.Errorf("check %s before the call: performed (%s)", call.Action, before.Evidence)
			}
			if again := check(call, "before the call, again"); again.Performed != before.Performed {
				t.Errorf("check %s asked twice answered %v, then %v", call.Action, before.Performed, again.Performed)
			}
			first, err := conn.Call(t.Context(), call.Action, json.RawMessage(call.Args), opts)
			if err != nil {
				t.Fatalf("%s after check: %v", call.Action, err)
			}
			if first.AlreadyExisted {
				t.Errorf("%s after check answered already_existed: check made the effect", call.Action)
			}
			after := check(call, "after the call")
			if !after.Performed {
				t.Errorf("check %s after the call: not performed (%s)", call.Action, after.Evidence)
			}
			if again := check(call, "after the call, again"); again.Performed != after.Performed || !jsonEqual(again.Result, after.Result) {
				t.Errorf("check %s asked twice answered %v %s, then %v %s", call.Action, after.Performed, after.Result, again.Performed, again.Result)
			}
			retry, err := conn.Call(t.Context(), call.Action, json.RawMessage(call.Args), opts)
			if err != nil {
				t.Fatalf("%s retried after check: %v", call.Action, err)
			}
			if !retry.AlreadyExisted {
				t.Errorf("%s retried after check did not answer already_existed", call.Action)
			}
			if after.Result != nil && !jsonEqual(after.Result, retry.Result) {
				t.Errorf("check %s: result %s, but the retried call answers %s", call.Action, after.Result, retry.Result)
			}
		}
	})
	t.Run("check refuses what it cannot check", func(t *testing.T) {
		conn := newConnector(t)
		ch := checker(t, conn)
		_, err := ch.Check(t.Context(), "no_such_action", json.RawMessage(`{}`), hostfns.CallOptions{IdempotencyKey: "k"})
		wantCode(t, err, hostfns.CodeNotFound)
		for _, a := range conn.Actions() {
			if !a.Mutating {
				_, err := ch.Check(t.Context(), a.Name, json.RawMessage(`{}`), hostfns.CallOptions{IdempotencyKey: "k"})
				wantCode(t, err, hostfns.CodeInvalidArgs)
				continue
			}
			_, err := ch.Check(t.Context(), a.Name, json.RawMessage(`[1, 2`), hostfns.CallOptions{IdempotencyKey: "k"})
			wantCode(t, err, hostfns.CodeInvalidArgs)
		}
	})
	t.Run("check honours a cancelled context", func(t *testing.T) {
		conn := newConnector(t)
		ch := checker(t, conn)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for _, call := range c.Mutations {
			if res, err := ch.Check(ctx, call.Action, json.RawMessage(call.Args), hostfns.CallOptions{IdempotencyKey: "k"}); err == nil {
				t.Errorf("check %s answered %+v with a cancelled context", call.Action, res)
			}
		}
	})
}

// jsonEqual reports whether two JSON texts hold the same value (both
// empty counts as equal).
func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
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

// Check calls c.Check and fails the test on an error or an answer without
// evidence.
func Check(t testing.TB, c hostfns.Checker, action, args, key string) hostfns.CheckResult {
	t.Helper()
	res, err := c.Check(context.Background(), action, json.RawMessage(args), hostfns.CallOptions{IdempotencyKey: key})
	if err != nil {
		t.Fatalf("check %s %s: %v", action, args, err)
	}
	if res.Evidence == "" {
		t.Errorf("check %s %s: no evidence", action, args)
	}
	return res
}

// WantPerformed checks a Check's answer, and that its evidence mentions
// evidence.
func WantPerformed(t testing.TB, res hostfns.CheckResult, performed bool, evidence string) {
	t.Helper()
	if res.Performed != performed || !strings.Contains(res.Evidence, evidence) {
		t.Errorf("check = performed %v (%s), want %v mentioning %q", res.Performed, res.Evidence, performed, evidence)
	}
}
