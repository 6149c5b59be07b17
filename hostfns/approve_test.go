package hostfns_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

const approvalPolicyFile = `version: 1
actors:
  - {email: lead@acme.com, roles: [maintainer]}
allow: [kv.*]
policies:
  - use: require_approval
    name: held_keys
    actions: [kv.put]
    with: {when: 'action.args.key.startsWith("held/")', approver_roles: [maintainer]}
`

// TestApprovalWithoutApprovalsStore: a store that keeps no approval
// requests (the directory store) cannot hold an action, so it refuses it,
// saying why; a dry run plans the action without asking anyone. Neither
// writes, and the run is not held.
func TestApprovalWithoutApprovalsStore(t *testing.T) {
	t.Parallel()
	p, err := policy.Load([]byte(approvalPolicyFile), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := receipts.OpenKeyring(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := receipts.OpenDir(filepath.Join(t.TempDir(), "receipts"), keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	kvs, err := kv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kvs.Close() })
	notified := 0
	g, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{kvs}, Store: store,
		Notify: func(receipts.ApprovalRequest) { notified++ }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, dry := range []bool{false, true} {
		run, err := g.Begin(hostfns.RunInfo{Capability: capability(t, "x-enact:\n  actions: [kv.put]\n"), Actor: policy.Actor{Email: "agent@acme.com"}, DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		free := reply(t, run.Handle(ctx, []byte(`{"action": "kv.put", "args": {"key": "free", "value": 1}}`)))
		held := reply(t, run.Handle(ctx, []byte(`{"action": "kv.put", "args": {"key": "held/x", "value": 1}}`)))
		if !free.OK {
			t.Errorf("dry %v: the free put: %+v", dry, free.Error)
		}
		if dry {
			if !held.OK || !strings.Contains(string(held.Result), `"approval_required":true`) {
				t.Errorf("dry run: the held put: %+v %s", held.Error, held.Result)
			}
		} else if held.OK || held.Error.Code != hostfns.CodeDenied || !strings.Contains(held.Error.Message, "approvals need the SQLite or Postgres store") ||
			!strings.Contains(held.Error.Message, "needs 1 approval from role maintainer") {
			t.Errorf("the held put on a directory store: %+v", held.Error)
		}
		if run.Held() || run.Approval() != nil || run.Halt() != nil {
			t.Errorf("dry %v: the run is held: %+v %+v", dry, run.Approval(), run.Halt())
		}
		env, err := run.Finish(ctx, hostfns.RunOutcome{})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := env.Verify(keys.Verifiers())
		if err != nil {
			t.Fatal(err)
		}
		if a := rc.Actions[1]; a.Approval != nil || (dry && a.Decision != receipts.ActionAllowed) || (!dry && a.Decision != receipts.ActionDenied) {
			t.Errorf("dry %v: the held put's record: %+v", dry, a)
		}
	}
	out, err := kvs.Call(ctx, "get", []byte(`{"key": "held/x"}`), hostfns.CallOptions{Capability: "Acts"})
	if err != nil || !strings.Contains(string(out.Result), `"found":false`) {
		t.Errorf("the held put was written: %s %v", out.Result, err)
	}
	if notified != 0 {
		t.Errorf("Notify called %d times, want 0", notified)
	}
}

// TestApprovalNeedsARunKey: a run without an idempotency key has nothing
// an approved retry could be bound to, so a held action is refused with
// a message asking for a key and no request is made; the same action in
// a run with a key is held on a new request.
func TestApprovalNeedsARunKey(t *testing.T) {
	t.Parallel()
	p, err := policy.Load([]byte(approvalPolicyFile), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := receipts.OpenKeyring(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := receipts.OpenSQLite(ctx, filepath.Join(t.TempDir(), "receipts.db"), keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	kvs, err := kv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kvs.Close() })
	notified := 0
	g, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{kvs}, Store: store,
		Notify: func(receipts.ApprovalRequest) { notified++ }})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "k1"} {
		run, err := g.Begin(hostfns.RunInfo{Capability: capability(t, "x-enact:\n  actions: [kv.put]\n"), Actor: policy.Actor{Email: "agent@acme.com"}, IdempotencyKey: key})
		if err != nil {
			t.Fatal(err)
		}
		held := reply(t, run.Handle(ctx, []byte(`{"action": "kv.put", "args": {"key": "held/x", "value": 1}}`)))
		if held.OK {
			t.Fatalf("key %q: the held put went through", key)
		}
		list, err := store.ListApprovals(ctx, receipts.ApprovalFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if key == "" {
			if held.Error.Code != hostfns.CodeDenied || !strings.Contains(held.Error.Message, "run again with one (--idempotency-key") || run.Held() || len(list) != 0 {
				t.Errorf("without a key: %+v, held %v, %d requests", held.Error, run.Held(), len(list))
			}
		} else if held.Error.Code != hostfns.CodeApprovalRequired || !run.Held() || len(list) != 1 || list[0].Binding.RunKey == "" {
			t.Errorf("with a key: %+v, held %v, requests %+v", held.Error, run.Held(), list)
		}
	}
	if notified != 1 {
		t.Errorf("Notify called %d times, want 1 (the keyed run's request)", notified)
	}
}
