package enact_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// actorsPolicy lets everyone use kv and makes one actor an auditor.
const actorsPolicy = `version: 1
allow: [kv.*]
actors:
  - {email: audit@acme.test, roles: [auditor]}
`

var (
	alice = policy.Actor{Email: "alice@acme.test"}
	bob   = policy.Actor{Email: "bob@acme.test"}
)

// actorStores opens, for each store kind that keeps a ledger, a client
// over a fresh store of that kind, with the kv connector.
func actorStores(t *testing.T, policyYAML string) map[string]*enact.Client {
	t.Helper()
	p, err := policy.Load([]byte(policyYAML), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	pg, err := receipts.OpenPostgres(t.Context(), pgtest.NewDatabase(t), st.Keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	lite, err := receipts.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "receipts.db"), st.Keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	return map[string]*enact.Client{
		"sqlite":   newClient(t, p, lite, st.KV),
		"postgres": newClient(t, p, pg, st.KV),
	}
}

// notMentioned fails when an error's text carries a run id it must not.
func notMentioned(t *testing.T, err error, runID string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), runID) {
		t.Errorf("the error names another actor's run %s: %v", runID, err)
	}
	var ie *enact.IdempotencyError
	if errors.As(err, &ie) && ie.RunID == runID {
		t.Errorf("IdempotencyError.RunID is another actor's run %s", runID)
	}
}

// Idempotency keys are per actor: another actor's key of the same
// spelling neither replays, refuses, blocks nor reveals the first
// actor's run, in both ledgers.
func TestHostileActorsKeys(t *testing.T) {
	t.Parallel()
	c := counterCap(t)
	for kind, client := range actorStores(t, actorsPolicy) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			run := func(actor policy.Actor, key, name string) (*enact.Result, error) {
				return client.Run(ctx, enact.RunRequest{Capability: c, Inputs: map[string]any{"name": kind + "-" + name}, Actor: actor, IdempotencyKey: key})
			}

			// 1. Bob reuses Alice's key, with other inputs: no mismatch, no
			// run id of Alice's; Bob's run runs.
			a, err := run(alice, "order-42", "a")
			if err != nil || a.Status != enact.StatusPass {
				t.Fatalf("alice: %+v %v", a, err)
			}
			b, err := run(bob, "order-42", "b")
			notMentioned(t, err, a.RunID)
			if err != nil || b.Status != enact.StatusPass || b.Replayed || b.RunID == a.RunID {
				t.Fatalf("bob reusing alice's key with other inputs: %+v %v", b, err)
			}

			// 2. Bob reuses Alice's key with Alice's very inputs: not a
			// replay of her run (he would get her outputs), a run of his
			// own that executes (the counter moves).
			b2, err := run(bob, "order-42", "a")
			notMentioned(t, err, a.RunID)
			if err == nil && (b2.Replayed || b2.RunID == a.RunID) {
				t.Fatalf("bob replayed alice's run: %+v", b2)
			}
			// Bob's own key now holds his first run (other inputs): the
			// refusal names his run, never Alice's.
			var ie *enact.IdempotencyError
			if !errors.As(err, &ie) || ie.Code != receipts.ClaimMismatch || ie.RunID != b.RunID {
				t.Fatalf("bob's key with other inputs: %v", err)
			}
			b3, err := run(bob, "order-43", "a")
			if err != nil || b3.Status != enact.StatusPass || fmt.Sprint(b3.Outputs["executions"]) != "2" {
				t.Fatalf("bob's run with alice's inputs under his own key did not execute: %+v %v", b3, err)
			}
			// Alice's retry still replays her own run.
			a2, err := run(alice, "order-42", "a")
			if err != nil || !a2.Replayed || a2.RunID != a.RunID || fmt.Sprint(a2.Outputs["executions"]) != "1" {
				t.Fatalf("alice's retry: %+v %v", a2, err)
			}

			// 3. Bob claims Alice's future key first: Alice still runs.
			if _, err := run(bob, "future-7", "squat"); err != nil {
				t.Fatal(err)
			}
			a3, err := run(alice, "future-7", "real")
			if err != nil || a3.Status != enact.StatusPass || a3.Replayed {
				t.Fatalf("alice after bob squatted her key: %+v %v", a3, err)
			}

		})
	}
}

// A key one actor holds in flight refuses only that actor, naming only
// that actor's run.
func TestHostileActorsKeyInFlight(t *testing.T) {
	t.Parallel()
	c := counterCap(t)
	p, err := policy.Load([]byte(actorsPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	pg, err := receipts.OpenPostgres(t.Context(), pgtest.NewDatabase(t), st.Keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	for kind, store := range map[string]interface {
		receipts.Store
		receipts.Ledger
	}{"sqlite": st.Store, "postgres": pg} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			client := newClient(t, p, store, st.KV)
			// Bob's run holds "busy" (a live run of this process).
			bobRun := "bob-run-" + kind
			cl, err := store.ClaimKey(t.Context(), hostfns.RunKey(bob.Email, "busy"), "sha256:bob", bobRun, time.Hour)
			if err != nil || cl.State != receipts.ClaimNew {
				t.Fatalf("claim: %+v %v", cl, err)
			}
			res, err := client.Run(t.Context(), enact.RunRequest{Capability: c, Inputs: map[string]any{"name": "busy-" + kind}, Actor: alice, IdempotencyKey: "busy"})
			notMentioned(t, err, bobRun)
			if err != nil || res.Status != enact.StatusPass {
				t.Fatalf("alice refused by bob's key in flight: %+v %v", res, err)
			}
			// Case and space do not make another actor.
			_, err = client.Run(t.Context(), enact.RunRequest{Capability: c, Inputs: map[string]any{"name": "busy-" + kind}, Actor: policy.Actor{Email: " BOB@acme.test"}, IdempotencyKey: "busy"})
			var ie *enact.IdempotencyError
			if !errors.As(err, &ie) || ie.Code != receipts.ClaimMismatch || ie.RunID != bobRun {
				t.Fatalf("bob's own key in flight: %v", err)
			}
		})
	}
}

// Reads of receipts through the Go API see the caller's own runs only;
// another actor's run answers exactly as an unknown id does, and only
// the policy's auditor role reads all.
func TestHostileActorsReceiptReads(t *testing.T) {
	t.Parallel()
	c := counterCap(t)
	for kind, client := range actorStores(t, actorsPolicy) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			a, err := client.Run(ctx, enact.RunRequest{Capability: c, Inputs: map[string]any{"name": "secret-" + kind}, Actor: alice})
			if err != nil || a.Status != enact.StatusPass {
				t.Fatalf("alice: %+v %v", a, err)
			}
			if env, err := client.Receipt(ctx, alice, a.RunID); err != nil || env == nil {
				t.Fatalf("alice reads her own run: %v", err)
			}
			if env, err := client.Receipt(ctx, policy.Actor{Email: "Alice@ACME.test "}, a.RunID); err != nil || env == nil {
				t.Fatalf("alice, spelt in capitals, reads her own run: %v", err)
			}
			const unknown = "0123456789abcdef0123456789abcdef"
			_, errUnknown := client.Receipt(ctx, bob, unknown)
			for name, reader := range map[string]policy.Actor{
				"another actor":              bob,
				"no actor":                   {},
				"a self-proclaimed auditor":  {Email: "bob@acme.test", Roles: []string{policy.RoleAuditor}},
				"an auditor by another mail": {Email: "audit@acme.test.evil"},
			} {
				env, err := client.Receipt(ctx, reader, a.RunID)
				if env != nil || !errors.Is(err, receipts.ErrNotFound) {
					t.Errorf("%s read alice's run: %v %v", name, env, err)
					continue
				}
				// The same answer as for an id that does not exist.
				if got, want := strings.ReplaceAll(err.Error(), a.RunID, "ID"), strings.ReplaceAll(errUnknown.Error(), unknown, "ID"); got != want {
					t.Errorf("%s: %q differs from an unknown id's %q", name, got, want)
				}
			}
			env, err := client.Receipt(ctx, policy.Actor{Email: "audit@acme.test"}, a.RunID)
			if err != nil || env == nil {
				t.Fatalf("the auditor reads alice's run: %v", err)
			}
			if !client.MayReadAll(policy.Actor{Email: "AUDIT@acme.test"}) || client.MayReadAll(bob) {
				t.Error("MayReadAll")
			}
		})
	}
}

// writer and reader are two capabilities that use the same kv namespace
// and key.
const (
	kvWriterCap = `
enact: 1.0.0
id: acme/writer
description: keeps a secret in kv
x-enact:
  actions: [kv.put]
inputs:
  type: object
  properties:
    namespace: {type: string}
tasks:
  - id: put
    type: script
    language: javascript
    code: |
      enact.kv.put({ namespace, key: "token", value: "writer-secret" });
      return {};
`
	kvReaderCap = `
enact: 1.0.0
id: acme/reader
description: tries to read, list, overwrite and delete another capability's kv
x-enact:
  actions: [kv.get, kv.list, kv.put, kv.delete]
inputs:
  type: object
  properties:
    namespace: {type: string}
tasks:
  - id: read
    type: script
    language: javascript
    code: |
      const got = enact.kv.get({ namespace, key: "token" });
      const listed = enact.kv.list({ namespace });
      return { found: got.found, value: got.found ? got.value : null, listed: listed.items.length };
`
)

// The kv store is namespaced per capability: another capability cannot
// read what one wrote, in any namespace, unless the policy shares it.
func TestHostileActorsKVAcrossCapabilities(t *testing.T) {
	t.Parallel()
	load := func(src string) *capabilities.Capability {
		c, err := capabilities.Load([]byte(src), "c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	writer, reader := load(kvWriterCap), load(kvReaderCap)
	p, err := policy.Load([]byte(actorsPolicy+"kv:\n  shared:\n    - {namespace: team, capabilities: [acme/writer, acme/reader]}\n"), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := teststate.New(t)
	var shares []kv.Share
	for _, s := range p.KVShared() {
		shares = append(shares, kv.Share{Namespace: s.Namespace, Capabilities: s.Capabilities})
	}
	client := newClient(t, p, st.Store, st.KV.WithShared(shares))
	ctx := t.Context()
	for _, tc := range []struct {
		namespace string
		shared    bool
	}{{"default", false}, {"team", true}, {"other", false}} {
		if res, err := client.Run(ctx, enact.RunRequest{Capability: writer, Inputs: map[string]any{"namespace": tc.namespace}, Actor: alice}); err != nil || res.Status != enact.StatusPass {
			t.Fatalf("writer in %s: %+v %v", tc.namespace, res, err)
		}
		res, err := client.Run(ctx, enact.RunRequest{Capability: reader, Inputs: map[string]any{"namespace": tc.namespace}, Actor: alice})
		if err != nil || res.Status != enact.StatusPass {
			t.Fatalf("reader in %s: %+v %v", tc.namespace, res, err)
		}
		found, listed := res.Outputs["found"] == true, fmt.Sprint(res.Outputs["listed"])
		switch {
		case tc.shared && (!found || res.Outputs["value"] != "writer-secret" || listed != "1"):
			t.Errorf("shared namespace %s: reader got %v", tc.namespace, res.Outputs)
		case !tc.shared && (found || listed != "0"):
			t.Errorf("namespace %s: the reader sees the writer's key: %v", tc.namespace, res.Outputs)
		}
	}
	// Without the policy's share, "team" is each capability's own too.
	plain := newClient(t, p, st.Store, st.KV)
	res, err := plain.Run(ctx, enact.RunRequest{Capability: reader, Inputs: map[string]any{"namespace": "team"}, Actor: alice})
	if err != nil || res.Outputs["found"] != false {
		t.Errorf("team without a share: %+v %v", res, err)
	}
}
