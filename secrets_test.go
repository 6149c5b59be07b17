package enact_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

// canary is the secret value the hostile secrets tests look for in every
// byte that leaves a run.
const canary = "canary-5f3b9c0e-secret"

// secretsPolicy names the secret inputs in another case than the
// capability does.
const secretsPolicy = `version: 1
allow: [kv.*]
secrets: [API_Key, CREDS, pin]
`

// leaky does, with the secret it is given (mode says which way), every
// thing a task can do with a value: return it, print it, pass it to an
// action, read it back from one, and raise it in an error.
const leaky = `
enact: 1.0.0
id: Leaky
description: leaks its secret every way it can
x-enact:
  actions: [kv.put, kv.get]
inputs:
  type: object
  properties:
    api_key: {type: string, pattern: "^sk-|^canary-"}
    API_KEY: {type: string, pattern: "^canary-"}
    creds:
      type: object
      properties:
        label: {enum: [a, b]}
    pin: {type: integer}
    which: {type: string}
    mode: {type: string}
tasks:
  - id: leak
    type: script
    language: javascript
    code: |
      const s = which === "plain" ? api_key
        : which === "case" ? API_KEY
        : which === "nested" ? creds.inner[1].token
        : String(pin);
      console.log("printing the secret: " + s);
      if (mode === "throw") {
        throw new Error("boom with " + s + " inside");
      }
      enact.kv.put({ key: "public-" + which, value: "nothing secret" });
      enact.kv.put({ key: "k-" + which, value: { v: "stored:" + s } });
      const back = enact.kv.get({ key: "k-" + which });
      let caught = "";
      try {
        enact.kv.put({ key: "fail", value: s });
      } catch (e) {
        caught = e.message;
      }
      return { plain: s, wrapped: "Bearer " + s + "!", nested: { deep: [s] }, back: back.value, caught };
`

// watchedKV is the kv connector, with three additions of the test: while
// a put is in flight (its intent open in the journal) it reads every byte
// of the receipt store's files and remembers whether the secret was there,
// and whether the journal kept the put's arguments; and a put of key
// "fail" fails with an error that echoes its arguments, as many remote
// APIs do.
type watchedKV struct {
	*kv.Store
	dir string

	mu          sync.Mutex
	puts        int
	leakedAt    []string
	journalArgs map[string]bool // put key → the open intent kept its arguments
}

func (w *watchedKV) Call(ctx context.Context, action string, args json.RawMessage, opts hostfns.CallOptions) (hostfns.Outcome, error) {
	if action == "put" {
		w.mu.Lock()
		w.puts++
		if where := storeLeaks(w.dir); where != "" {
			w.leakedAt = append(w.leakedAt, where)
		}
		var a struct{ Key string }
		_ = json.Unmarshal(args, &a)
		if w.journalArgs == nil {
			w.journalArgs = map[string]bool{}
		}
		w.journalArgs[a.Key] = journalKeptArgs(w.dir, opts.IdempotencyKey)
		w.mu.Unlock()
		if json.Unmarshal(args, &a) == nil && a.Key == "fail" {
			return hostfns.Outcome{}, &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: "the API refused " + string(args)}
		}
	}
	return w.Store.Call(ctx, action, args, opts)
}

// journalKeptArgs reports whether the open intent of actionKey in the
// SQLite store under dir holds the action's arguments.
func journalKeptArgs(dir, actionKey string) bool {
	db, err := sql.Open("sqlite", filepath.Join(dir, "receipts.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT count(*) FROM journal WHERE action_key = ? AND state = 'intent' AND args IS NOT NULL`, actionKey).Scan(&n)
	return err == nil && n == 1
}

// storeLeaks returns the name of a receipt store file (the database, its
// WAL) that holds the canary, or "".
func storeLeaks(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "receipts.db*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(canary)) {
			return filepath.Base(f)
		}
	}
	return ""
}

type secretsRig struct {
	client *enact.Client
	keys   *receipts.Keyring
	store  receipts.Store
	kv     *watchedKV
	dir    string
	cap    *capabilities.Capability
}

func newSecretsRig(t *testing.T) *secretsRig {
	t.Helper()
	p, err := policy.Load([]byte(secretsPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	w := &watchedKV{Store: st.KV, dir: st.Dir}
	c, err := capabilities.Load([]byte(leaky), "leaky.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &secretsRig{client: newClient(t, p, st.Store, w), keys: st.Keys, store: st.Store, kv: w, dir: st.Dir, cap: c}
}

// secretVariants are the ways a secret reaches the run: a secret input
// named in another case than the policy names it, one nested under a
// secret input, one named in yet another case, and a number.
var secretVariants = []struct {
	which  string
	inputs map[string]any
}{
	{"plain", map[string]any{"api_key": canary}},
	{"nested", map[string]any{"creds": map[string]any{"inner": []any{"x", map[string]any{"token": canary}}}}},
	{"case", map[string]any{"API_KEY": canary}},
}

func with(in map[string]any, kv ...string) map[string]any {
	out := map[string]any{}
	for k, v := range in {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// assertNoCanary fails the test if any of the things said about a run
// shows the canary: the result (as JSON), the receipt envelope, the
// receipt store's files; and checks that the receipt verifies.
func (r *secretsRig) assertNoCanary(t *testing.T, what string, res *enact.Result, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), canary) {
		t.Errorf("%s: the error shows the secret: %v", what, err)
	}
	if res != nil {
		if b, _ := json.Marshal(res); bytes.Contains(b, []byte(canary)) {
			t.Errorf("%s: the result shows the secret: %s", what, b)
		}
		if res.Error != nil && errors.Unwrap(res.Error) != nil && strings.Contains(errors.Unwrap(res.Error).Error(), canary) {
			t.Errorf("%s: the result's error wraps a cause that shows the secret", what)
		}
		if res.Receipt != nil {
			env, _ := json.Marshal(res.Receipt)
			if bytes.Contains(env, []byte(canary)) {
				t.Errorf("%s: the receipt shows the secret: %s", what, env)
			}
			if _, err := receipts.Open(env, r.keys.Verifiers()); err != nil {
				t.Errorf("%s: the redacted receipt does not verify: %v", what, err)
			}
		}
	}
	if where := storeLeaks(r.dir); where != "" {
		t.Errorf("%s: the receipt store's %s holds the secret", what, where)
	}
}

// TestHostileSecretsNeverLeaveInClear runs a task that leaks its secret
// every way it can, for each way of giving it the secret, and checks that
// nothing the run returns, records or stores shows it, while the receipt
// still verifies and the redaction marker is where the secret was.
func TestHostileSecretsNeverLeaveInClear(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, v := range secretVariants {
		t.Run(v.which, func(t *testing.T) {
			t.Parallel()
			r := newSecretsRig(t)
			actor := policy.Actor{Email: "agent@acme.com"}

			// Returned, printed, passed to actions, read back, echoed
			// in a connector error; and replayed under a key.
			in := with(v.inputs, "which", v.which, "mode", "return")
			res, err := r.client.Run(ctx, enact.RunRequest{Capability: r.cap, Inputs: in, Actor: actor, IdempotencyKey: "key-" + v.which})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != enact.StatusPass {
				t.Fatalf("status %s: %+v", res.Status, res.Error)
			}
			r.assertNoCanary(t, "returned", res, nil)
			want := map[string]string{"plain": receipts.Redacted, "wrapped": "Bearer " + receipts.Redacted + "!"}
			for k, w := range want {
				if res.Outputs[k] != w {
					t.Errorf("outputs.%s = %v, want %q", k, res.Outputs[k], w)
				}
			}
			if !strings.Contains(res.Output, "printing the secret: "+receipts.Redacted) {
				t.Errorf("output = %q", res.Output)
			}
			if c, _ := res.Outputs["caught"].(string); !strings.Contains(c, "the API refused") || !strings.Contains(c, receipts.Redacted) {
				t.Errorf("caught = %q", c)
			}
			body, err := receipts.Open(mustJSON(t, res.Receipt), r.keys.Verifiers())
			if err != nil {
				t.Fatal(err)
			}
			if len(body.Actions) != 4 || body.Actions[2].Result == nil || !bytes.Contains(body.Actions[2].Result, []byte(receipts.Redacted)) ||
				body.Actions[3].Error == nil || !strings.Contains(body.Actions[3].Error.Message, receipts.Redacted) {
				t.Errorf("actions of the receipt: %+v", body.Actions)
			}
			r.kv.mu.Lock()
			if r.kv.puts != 3 || len(r.kv.leakedAt) > 0 {
				t.Errorf("%d puts; while they were in flight the store held the secret in %v", r.kv.puts, r.kv.leakedAt)
			}
			// The journal keeps the arguments recovery needs, except
			// where they hold the secret.
			if want := map[string]bool{"public-" + v.which: true, "k-" + v.which: false, "fail": false}; !maps.Equal(r.kv.journalArgs, want) {
				t.Errorf("journal kept arguments: %v, want %v", r.kv.journalArgs, want)
			}
			r.kv.mu.Unlock()
			// The connector itself got the real value: only records are
			// redacted.
			got, err := r.kv.Store.Call(ctx, "get", json.RawMessage(`{"key":"k-`+v.which+`"}`), hostfns.CallOptions{Capability: r.cap.ID})
			if err != nil || !bytes.Contains(got.Result, []byte("stored:"+canary)) {
				t.Errorf("the connector stored %s (%v), want the real secret", got.Result, err)
			}

			replay, err := r.client.Run(ctx, enact.RunRequest{Capability: r.cap, Inputs: in, Actor: actor, IdempotencyKey: "key-" + v.which})
			if err != nil {
				t.Fatal(err)
			}
			if !replay.Replayed || replay.Outputs["plain"] != receipts.Redacted {
				t.Errorf("replay: replayed=%v outputs=%v", replay.Replayed, replay.Outputs)
			}
			r.assertNoCanary(t, "replayed", replay, nil)

			// Raised in an error, with a trace.
			res, err = r.client.Run(ctx, enact.RunRequest{Capability: r.cap, Inputs: with(in, "mode", "throw"), Actor: actor})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != enact.StatusFailed || res.Error == nil || !strings.Contains(res.Error.Message, "boom with "+receipts.Redacted+" inside") {
				t.Errorf("thrown: %s %+v", res.Status, res.Error)
			}
			r.assertNoCanary(t, "thrown", res, nil)

			// Refused as invalid: the secret is not echoed.
			bad := map[string]map[string]any{
				"plain":  with(in, "api_key", "x"+canary),
				"nested": with(in, "creds", ""),
				"case":   with(in, "API_KEY", "x"+canary),
			}[v.which]
			if v.which == "nested" {
				bad["creds"] = map[string]any{"label": canary, "inner": []any{canary}}
			}
			res, err = r.client.Run(ctx, enact.RunRequest{Capability: r.cap, Inputs: bad, Actor: actor})
			var re *runtime.Error
			if !errors.As(err, &re) || re.Code != runtime.CodeInvalidInput {
				t.Fatalf("invalid inputs: %v", err)
			}
			if !strings.Contains(re.Message, "inputs: /") {
				t.Errorf("the invalid_input message no longer says what is wrong: %s", re.Message)
			}
			r.assertNoCanary(t, "invalid_input", res, err)
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
