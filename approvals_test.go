package enact_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// mergePR notes a merge in the audit table, then merges: a row in merges,
// which the approval policy holds for a maintainer.
const mergePR = `
enact: 1.0.0
id: MergePR
description: notes a merge in the audit table, then merges (a row in merges)
x-enact:
  actions: [postgres.insert_row]
inputs:
  type: object
  properties:
    pr: {type: string}
  required: [pr]
tasks:
  - id: merge
    type: script
    language: javascript
    code: |
      enact.postgres.insert_row({ table: "audit", values: { pr } });
      const r = enact.postgres.insert_row({ table: "merges", values: { pr } });
      return { merged: pr, inserted: r.inserted };
`

// approvalPolicy holds every insert into merges for one maintainer's
// approval. lead is a maintainer who also runs the capability; intern and
// agent hold no maintainer role.
const approvalPolicy = `version: 1
actors:
  - email: agent@acme.test
    roles: [agent]
  - email: lead@acme.test
    roles: [maintainer, agent]
  - email: other@acme.test
    roles: [maintainer]
  - email: intern@acme.test
    roles: [intern]
allow: [postgres.insert_row]
postgres:
  tables:
    audit: [pr]
    merges: [pr]
policies:
  - use: require_approval
    name: maintainer_merges
    actions: [postgres.insert_row]
    with:
      when: 'action.target.name == "merges"'
      approver_roles: [maintainer]
      expires_after: 1h
`

// approvalRig is two runners (clients, each with its own store handle,
// connector and gate) over one Postgres receipt store and one Postgres
// database of effects, with a clock the test moves and a record of the
// requests announced through Notify.
type approvalRig struct {
	a, b    *enact.Client
	effects *pgx.Conn
	cap     *capabilities.Capability
	offset  atomic.Int64 // added to the clock, ns

	mu       sync.Mutex
	notified []string // request ids, in call order
}

func newApprovalRig(t *testing.T) *approvalRig {
	t.Helper()
	effects := pgtest.NewDatabase(t, `CREATE TABLE audit (pr text NOT NULL)`, `CREATE TABLE merges (pr text NOT NULL)`)
	storeDB := pgtest.NewDatabase(t)
	p, err := policy.Load([]byte(approvalPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := receipts.OpenKeyring(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	rig := &approvalRig{}
	rig.cap, err = capabilities.Load([]byte(mergePR), "merge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	engine, err := sharedEngine()
	if err != nil {
		t.Fatal(err)
	}
	var clients []*enact.Client
	for range 2 {
		store, err := receipts.OpenPostgres(t.Context(), storeDB, keyring.Signers())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		gate, err := hostfns.New(hostfns.Config{
			Policy: p, Connectors: []hostfns.Connector{pgConnector(t, effects, p)}, Store: store,
			Clock: rig.now,
			Notify: func(r receipts.ApprovalRequest) {
				rig.mu.Lock()
				rig.notified = append(rig.notified, r.ID)
				rig.mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, enact.New(engine, gate))
	}
	rig.a, rig.b = clients[0], clients[1]
	rig.effects, err = pgx.Connect(t.Context(), effects)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rig.effects.Close(context.Background()) })
	return rig
}

func (rig *approvalRig) now() time.Time { return time.Now().Add(time.Duration(rig.offset.Load())) }

// run runs the capability for pr under key on a client.
func (rig *approvalRig) run(c *enact.Client, actor, key, pr string) (*enact.Result, error) {
	return c.Run(context.Background(), enact.RunRequest{
		Capability: rig.cap, Inputs: map[string]any{"pr": pr}, Actor: policy.Actor{Email: actor}, IdempotencyKey: key,
	})
}

// rows counts the rows of a table for pr.
func (rig *approvalRig) rows(t *testing.T, table, pr string) int {
	t.Helper()
	var n int
	if err := rig.effects.QueryRow(t.Context(), `SELECT count(*) FROM `+table+` WHERE pr = $1`, pr).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// notifiedCount is how many requests Notify announced.
func (rig *approvalRig) notifiedCount() int {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	return len(rig.notified)
}

// pending runs pr under key and requires a PENDING result held on a
// request, which it returns.
func (rig *approvalRig) pending(t *testing.T, c *enact.Client, actor, key, pr string) (*enact.Result, receipts.Receipt) {
	t.Helper()
	res, err := rig.run(c, actor, key, pr)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	if res.Status != enact.StatusPending || res.Approval == nil || res.Error == nil || res.Error.Code != hostfns.CodeApprovalRequired ||
		!strings.Contains(res.Error.Message, res.Approval.ID) || res.Approval.State != receipts.ApprovalPending {
		t.Fatalf("%s: want PENDING held on a pending request, got %s %+v approval %+v", key, res.Status, res.Error, res.Approval)
	}
	return res, receiptOf(t, res.Receipt)
}

func receiptOf(t *testing.T, env *receipts.Envelope) receipts.Receipt {
	t.Helper()
	if env == nil {
		t.Fatal("no receipt")
	}
	var r receipts.Receipt
	if err := json.Unmarshal(env.Body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestApprovalTwoRunners is issue 17's end-to-end proof over a real
// Postgres receipt store shared by two runners: an action held on runner
// A is approved through runner B and performed once by A's retry; a
// denial, an expiry, self-approval, an approver without the role and
// changed arguments all keep the held action from happening; Notify hears
// of each new request once.
func TestApprovalTwoRunners(t *testing.T) {
	t.Parallel()
	rig := newApprovalRig(t)
	ctx := context.Background()
	agent := policy.Actor{Email: "agent@acme.test"}
	lead := policy.Actor{Email: "lead@acme.test"}
	other := policy.Actor{Email: "other@acme.test"}
	intern := policy.Actor{Email: "intern@acme.test"}
	announced := 0
	wantAnnounced := func(n int, why string) {
		t.Helper()
		announced += n
		if got := rig.notifiedCount(); got != announced {
			t.Errorf("%s: Notify announced %d requests in all, want %d", why, got, announced)
		}
	}
	refused := func(err error, code string) bool {
		var ae *receipts.ApprovalError
		return errors.As(err, &ae) && ae.Code == code
	}

	t.Run("approve on B, retry on A performs once", func(t *testing.T) {
		res, rc := rig.pending(t, rig.a, agent.Email, "k-approve", "101")
		id := res.Approval.ID
		wantAnnounced(1, "first hold")
		if rc.Decision != receipts.DecisionPending || rc.Status != "pending_approval" || rc.Error == nil || rc.Error.Code != hostfns.CodeApprovalRequired {
			t.Errorf("receipt: decision %s status %q error %+v", rc.Decision, rc.Status, rc.Error)
		}
		if len(rc.Actions) != 2 {
			t.Fatalf("receipt actions: %+v", rc.Actions)
		}
		held := rc.Actions[1]
		if held.Decision != receipts.ActionHeld || held.Approval == nil || held.Approval.Request != id || held.Approval.State != receipts.ApprovalPending ||
			held.ArgsDigest == "" || held.ArgsDigest != res.Approval.Binding.ArgsDigest || held.Result != nil {
			t.Errorf("held action: %+v (approval %+v), binding %+v", held, held.Approval, res.Approval.Binding)
		}
		if b := res.Approval.Binding; b.Action != "postgres.insert_row" || b.Actor != "agent@acme.test" || b.Seq != 2 ||
			b.RunKey != hostfns.RunKey("agent@acme.test", "k-approve") || b.CapabilityDigest != rig.cap.Digest {
			t.Errorf("binding %+v", b)
		}
		if rig.rows(t, "merges", "101") != 0 || rig.rows(t, "audit", "101") != 1 {
			t.Fatalf("after the hold: %d merges, %d audit rows; want 0 and 1", rig.rows(t, "merges", "101"), rig.rows(t, "audit", "101"))
		}
		// A retry before anyone decided is held again on the same
		// request (runner B this time), which is not announced again.
		again, _ := rig.pending(t, rig.b, agent.Email, "k-approve", "101")
		if again.Approval.ID != id {
			t.Errorf("the retry before a decision is held on %s, want %s", again.Approval.ID, id)
		}
		wantAnnounced(0, "re-hold")

		got, err := rig.b.Decide(ctx, id, lead, true, "ship it")
		if err != nil || got.State != receipts.ApprovalApproved || len(got.Votes) != 1 || got.Votes[0].Record == "" {
			t.Fatalf("approve: %+v %v", got, err)
		}
		// The vote is a signed record in the chain.
		env, err := rig.a.Receipt(ctx, lead, got.Votes[0].Record)
		if err != nil {
			t.Fatalf("approval record %s: %v", got.Votes[0].Record, err)
		}
		if vr := receiptOf(t, env); vr.Decision != receipts.DecisionApproved || vr.Approval == nil || vr.Approval.Request != id {
			t.Errorf("approval record: decision %s approval %+v", vr.Decision, vr.Approval)
		}

		done, err := rig.run(rig.a, agent.Email, "k-approve", "101")
		if err != nil || done.Status != enact.StatusPass || done.Replayed {
			t.Fatalf("retry after approval: %+v %v", done, err)
		}
		if done.Approval == nil || done.Approval.ID != id || done.Approval.State != receipts.ApprovalApproved {
			t.Errorf("the result does not link the approval: %+v", done.Approval)
		}
		if n := rig.rows(t, "merges", "101"); n != 1 {
			t.Errorf("%d merges rows after the approved retry, want 1", n)
		}
		if n := rig.rows(t, "audit", "101"); n != 1 {
			t.Errorf("%d audit rows after the approved retry, want 1 (the first action replays)", n)
		}
		dr := receiptOf(t, done.Receipt)
		if dr.Decision != receipts.DecisionPass || len(dr.Actions) != 2 {
			t.Fatalf("receipt of the approved run: %s %+v", dr.Decision, dr.Actions)
		}
		if a := dr.Actions[0]; !a.AlreadyExisted {
			t.Errorf("the audit action of the retry did not replay: %+v", a)
		}
		performed := dr.Actions[1]
		if performed.Decision != receipts.ActionAllowed || performed.AlreadyExisted || performed.Approval == nil || performed.Approval.Request != id ||
			performed.Approval.State != receipts.ApprovalApproved || fmt.Sprint(performed.Approval.Approvers) != "[lead@acme.test]" ||
			len(performed.Approval.Records) != 1 || performed.Approval.Records[0] != got.Votes[0].Record {
			t.Errorf("performed action: %+v approval %+v", performed, performed.Approval)
		}
		passed := false
		for _, pr := range performed.PolicyResults {
			if pr.Policy == "maintainer_merges" {
				passed = pr.Passed && strings.Contains(pr.Reason, "approved by lead@acme.test") && strings.Contains(pr.Reason, id)
			}
		}
		if !passed {
			t.Errorf("the approval policy's result does not say who approved: %+v", performed.PolicyResults)
		}
		// A further retry replays; nothing is performed again.
		replay, err := rig.run(rig.b, agent.Email, "k-approve", "101")
		if err != nil || !replay.Replayed || replay.RunID != done.RunID || replay.Status != enact.StatusPass {
			t.Errorf("second retry: %+v %v", replay, err)
		}
		if n := rig.rows(t, "merges", "101"); n != 1 {
			t.Errorf("%d merges rows after the replay, want 1", n)
		}
		wantAnnounced(0, "approved retry")
	})

	t.Run("deny", func(t *testing.T) {
		res, _ := rig.pending(t, rig.a, agent.Email, "k-deny", "102")
		wantAnnounced(1, "deny's hold")
		got, err := rig.b.Decide(ctx, res.Approval.ID, other, false, "not this week")
		if err != nil || got.State != receipts.ApprovalDenied {
			t.Fatalf("deny: %+v %v", got, err)
		}
		for range 2 { // the key is free after a denial: each retry ends denied
			blocked, err := rig.run(rig.a, agent.Email, "k-deny", "102")
			if err != nil || blocked.Status != enact.StatusBlock || blocked.Error == nil || blocked.Error.Code != hostfns.CodeDenied ||
				!strings.Contains(blocked.Error.Message, "denied by other@acme.test: not this week") || blocked.Replayed {
				t.Fatalf("retry after a denial: %+v %+v %v", blocked, blocked.Error, err)
			}
			rc := receiptOf(t, blocked.Receipt)
			if rc.Decision != receipts.DecisionBlock || rc.Error == nil || rc.Error.Code != hostfns.CodeDenied ||
				rc.Actions[1].Decision != receipts.ActionDenied || rc.Actions[1].Approval == nil || rc.Actions[1].Approval.State != receipts.ApprovalDenied {
				t.Errorf("receipt after a denial: %s %+v %+v", rc.Decision, rc.Error, rc.Actions)
			}
		}
		if n := rig.rows(t, "merges", "102"); n != 0 {
			t.Errorf("%d merges rows after a denial, want 0", n)
		}
		// A decided request takes no more votes.
		if _, err := rig.b.Decide(ctx, res.Approval.ID, lead, true, ""); !refused(err, "not_pending") {
			t.Errorf("a vote on a denied request: %v, want not_pending", err)
		}
		wantAnnounced(0, "denied retries")
	})

	t.Run("expire", func(t *testing.T) {
		// The request is made two hours ago (by the runners' clock), so
		// its hour is over now, whichever clock the store reads.
		rig.offset.Store(int64(-2 * time.Hour))
		res, _ := func() (*enact.Result, receipts.Receipt) {
			defer rig.offset.Store(0)
			return rig.pending(t, rig.a, agent.Email, "k-expire", "103")
		}()
		wantAnnounced(1, "expiry's hold")
		if _, err := rig.b.Decide(ctx, res.Approval.ID, lead, true, "too late"); !refused(err, "expired") {
			t.Errorf("approving an expired request: %v, want expired", err)
		}
		if got, err := rig.b.Approval(ctx, res.Approval.ID); err != nil || got.State != receipts.ApprovalExpired {
			t.Errorf("expired request: %+v %v", got, err)
		}
		again, _ := rig.pending(t, rig.a, agent.Email, "k-expire", "103")
		if again.Approval.ID == res.Approval.ID {
			t.Errorf("the retry after expiry is held on the expired request %s", again.Approval.ID)
		}
		wantAnnounced(1, "the retry after expiry")
		if n := rig.rows(t, "merges", "103"); n != 0 {
			t.Errorf("%d merges rows after an expiry, want 0", n)
		}
	})

	t.Run("self-approval and roles", func(t *testing.T) {
		res, _ := rig.pending(t, rig.a, lead.Email, "k-self", "104")
		wantAnnounced(1, "self's hold")
		id := res.Approval.ID
		if _, err := rig.b.Decide(ctx, id, lead, true, "mine"); !refused(err, "self_approval") {
			t.Errorf("self-approval: %v, want self_approval", err)
		}
		for _, who := range []policy.Actor{intern, agent} {
			if _, err := rig.b.Decide(ctx, id, who, true, ""); !refused(err, "not_an_approver") {
				t.Errorf("approval by %s: %v, want not_an_approver", who.Email, err)
			}
		}
		if got, err := rig.a.Approval(ctx, id); err != nil || got.State != receipts.ApprovalPending || len(got.Votes) != 0 {
			t.Errorf("after refused votes: %+v %v", got, err)
		}
		if n := rig.rows(t, "merges", "104"); n != 0 {
			t.Errorf("%d merges rows, want 0", n)
		}
		// The requester's own retry is still held.
		rig.pending(t, rig.a, lead.Email, "k-self", "104")
		wantAnnounced(0, "self's re-hold")
	})

	t.Run("changed arguments", func(t *testing.T) {
		res, _ := rig.pending(t, rig.a, agent.Email, "k-args", "105")
		wantAnnounced(1, "args' hold")
		if _, err := rig.b.Decide(ctx, res.Approval.ID, other, true, "105 only"); err != nil {
			t.Fatal(err)
		}
		// The same key with other inputs: the held action's arguments
		// differ, so the approval does not apply.
		changed, _ := rig.pending(t, rig.a, agent.Email, "k-args", "106")
		if changed.Approval.ID == res.Approval.ID || changed.Approval.Binding.ArgsDigest == res.Approval.Binding.ArgsDigest {
			t.Errorf("changed arguments are held on %s (binding %+v), the approved request is %s", changed.Approval.ID, changed.Approval.Binding, res.Approval.ID)
		}
		wantAnnounced(1, "changed arguments' request")
		if n, m := rig.rows(t, "merges", "105"), rig.rows(t, "merges", "106"); n+m != 0 {
			t.Errorf("merges rows %d (105) and %d (106) after changed arguments, want none", n, m)
		}
		// Another actor with the same key and arguments does not meet
		// the approval either.
		theirs, _ := rig.pending(t, rig.a, lead.Email, "k-args", "105")
		if theirs.Approval.ID == res.Approval.ID {
			t.Errorf("another actor's run is held on the approved request %s", res.Approval.ID)
		}
		wantAnnounced(1, "another actor's request")
		if n := rig.rows(t, "merges", "105"); n != 0 {
			t.Errorf("%d merges rows for 105, want 0", n)
		}
	})

	t.Run("dry run asks no one", func(t *testing.T) {
		before, err := rig.a.Approvals(ctx, receipts.ApprovalFilter{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := rig.a.Run(ctx, enact.RunRequest{Capability: rig.cap, Inputs: map[string]any{"pr": "108"}, Actor: agent, DryRun: true})
		if err != nil || res.Status != enact.StatusPass || res.Approval != nil {
			t.Fatalf("dry run: %+v %v", res, err)
		}
		after, err := rig.a.Approvals(ctx, receipts.ApprovalFilter{})
		if err != nil || len(after) != len(before) {
			t.Errorf("a dry run created requests: %d before, %d after (%v)", len(before), len(after), err)
		}
		if rc := receiptOf(t, res.Receipt); !strings.Contains(string(rc.Actions[1].Result), `"approval_required":true`) {
			t.Errorf("dry run's held action: %+v", rc.Actions[1])
		}
		wantAnnounced(0, "dry run")
	})
}

// TestApprovalConcurrentRetries: after approval, 20 concurrent retries
// with one key on two runners perform the held action once; the others
// are refused in_progress or replay the run that did.
func TestApprovalConcurrentRetries(t *testing.T) {
	t.Parallel()
	rig := newApprovalRig(t)
	ctx := context.Background()
	res, _ := rig.pending(t, rig.a, "agent@acme.test", "k-many", "107")
	if _, err := rig.b.Decide(ctx, res.Approval.ID, policy.Actor{Email: "lead@acme.test"}, true, "go"); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		runs     = map[string]bool{}
		wg       sync.WaitGroup
	)
	for i := range 20 {
		wg.Go(func() {
			r, err := rig.run([]*enact.Client{rig.a, rig.b}[i%2], "agent@acme.test", "k-many", "107")
			var ie *enact.IdempotencyError
			outcome := ""
			switch {
			case errors.As(err, &ie) && ie.Code == receipts.ClaimInProgress:
				outcome = "in_progress"
			case err != nil:
				outcome = "error: " + err.Error()
			case r.Status != enact.StatusPass:
				outcome = "status " + r.Status
			case r.Replayed:
				outcome = "replayed"
			default:
				outcome = "executed"
			}
			mu.Lock()
			defer mu.Unlock()
			outcomes[outcome]++
			if outcome == "executed" || outcome == "replayed" {
				runs[r.RunID] = true
			}
		})
	}
	wg.Wait()
	t.Logf("20 concurrent retries: %v", outcomes)
	if outcomes["executed"] != 1 || outcomes["executed"]+outcomes["replayed"]+outcomes["in_progress"] != 20 || len(runs) != 1 {
		t.Errorf("outcomes %v over %d runs: want one execution, the rest replays or in_progress", outcomes, len(runs))
	}
	if n := rig.rows(t, "merges", "107"); n != 1 {
		t.Errorf("%d merges rows, want exactly 1", n)
	}
	if n := rig.notifiedCount(); n != 1 {
		t.Errorf("Notify announced %d requests, want 1", n)
	}
}

// TestApprovalCompositeStep: a step held for approval makes its composite
// PENDING (over the SQLite store); once approved, the composite's retry
// replays the step that passed and performs the held one.
func TestApprovalCompositeStep(t *testing.T) {
	t.Parallel()
	pol := `version: 1
actors:
  - {email: lead@acme.test, roles: [maintainer]}
allow: [kv.*]
policies:
  - use: require_approval
    actions: [kv.put]
    with: {when: 'action.args.key == "held"', approver_roles: [maintainer]}
`
	r := newFlowRig(t, pol, map[string]string{"two.yaml": `enact: 1.0.0
id: TwoPuts
description: puts a free key, then a held one
version: 1.0.0
type: composite
imports:
  - {id: Put, version: 1.0.0}
flow:
  steps:
    - {id: free, capability: Put, inputs: {key: free}}
    - {id: held, capability: Put, dependsOn: [free], inputs: {key: held}}
`})
	c := r.load(t, "two.yaml")
	req := enact.RunRequest{Capability: c, Inputs: map[string]any{}, Actor: policy.Actor{Email: "agent@acme.test"}, IdempotencyKey: "two"}
	res, err := r.client.Run(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != enact.StatusPending || res.Approval == nil || res.Error == nil || res.Error.Code != hostfns.CodeApprovalRequired ||
		!strings.Contains(res.Error.Message, res.Approval.ID) {
		t.Fatalf("composite with a held step: %s %+v %+v", res.Status, res.Error, res.Approval)
	}
	if rc := r.body(t, res.Receipt); rc.Decision != receipts.DecisionPending || rc.Status != "pending_approval" {
		t.Errorf("composite receipt: %s %q", rc.Decision, rc.Status)
	}
	if _, err := r.client.Decide(t.Context(), res.Approval.ID, policy.Actor{Email: "lead@acme.test"}, true, "fine"); err != nil {
		t.Fatal(err)
	}
	done, err := r.client.Run(t.Context(), req)
	if err != nil || done.Status != enact.StatusPass || done.Approval == nil || done.Approval.ID != res.Approval.ID {
		t.Fatalf("retry after approval: %+v %v", done, err)
	}
	if len(done.Steps) != 2 || !done.Steps[0].Replayed || done.Steps[1].Replayed {
		t.Errorf("steps of the retry: %+v", done.Steps)
	}
	held := r.receipt(t, done.Steps[1].RunID)
	if a := held.Actions[0]; a.Decision != receipts.ActionAllowed || a.Approval == nil || a.Approval.State != receipts.ApprovalApproved {
		t.Errorf("the held step's action after approval: %+v", a)
	}
}
