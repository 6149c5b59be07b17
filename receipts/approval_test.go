package receipts

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSQLiteApprovals(t *testing.T)   { t.Parallel(); testApprovals(t, sqliteHarness) }
func TestPostgresApprovals(t *testing.T) { t.Parallel(); testApprovals(t, postgresHarness) }

// testBinding is the binding of a merge of PR n asked for by dev@x.
func testBinding(n int) Binding {
	return Binding{
		CapabilityID: "github/merge", CapabilityVersion: "1.0.0", CapabilityDigest: "sha256:" + fmt.Sprintf("%064x", 5),
		Action: "github.merge_pr", ArgsDigest: "sha256:" + fmt.Sprintf("%064x", n),
		Actor: "dev@x", RunKey: "key-" + fmt.Sprint(n), Seq: 2,
	}
}

// testRequest asks for count approvals from maintainers of PR n.
func testRequest(n, count int, self bool) ApprovalRequest {
	return ApprovalRequest{
		Binding: testBinding(n),
		Requirements: []Requirement{{Policy: "maintainer_merges", Roles: []string{"maintainer"}, Count: count,
			AllowSelfApproval: self, Expiry: 24 * time.Hour}},
		RunID:   fmt.Sprintf("run-%d", n),
		Args:    map[string]any{"repo": "acme/web", "pr": float64(n)},
		Reasons: []string{"needs 1 approval from role maintainer (expires after 24h)"},
	}
}

func maintainer(email string, approve bool) Vote {
	return Vote{Approver: email, Roles: []string{"maintainer"}, Approve: approve, Reason: "looked at it"}
}

// wantRefused checks that err is the *ApprovalError of code.
func wantRefused(t *testing.T, err error, code string) {
	t.Helper()
	var ae *ApprovalError
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("vote: %v, want the refusal %s", err, code)
	}
}

// testApprovals is the contract of Approvals on a database store.
func testApprovals(t *testing.T, newHarness func(t *testing.T) *harness) {
	signers, verifiers := testKeys(t, 1)
	open := func(t *testing.T) (Store, Approvals) {
		s := newHarness(t).open(t, signers)
		return s, s.(Approvals)
	}
	// openTwo opens two handles on one store: two processes, or two
	// runners sharing a database.
	openTwo := func(t *testing.T) (Store, [2]Approvals) {
		h := newHarness(t)
		s, other := h.open(t, signers), h.open(t, signers)
		return s, [2]Approvals{s.(Approvals), other.(Approvals)}
	}
	ctx := t.Context

	// record opens the approval record of a vote and checks what every
	// record says.
	record := func(t *testing.T, s Store, req ApprovalRequest, v Vote) *Receipt {
		t.Helper()
		env, err := s.Get(ctx(), v.Record)
		if err != nil {
			t.Fatalf("approval record %s: %v", v.Record, err)
		}
		r, err := env.Verify(verifiers)
		if err != nil {
			t.Fatal(err)
		}
		want := DecisionDenied
		if v.Approve {
			want = DecisionApproved
		}
		a := r.Approval
		switch {
		case r.Decision != want || r.Status != "approval" || r.Actor.Email != v.Approver:
			t.Errorf("record %s: decision %s status %q actor %s", v.Record, r.Decision, r.Status, r.Actor.Email)
		case r.Capability.ID != req.Binding.CapabilityID || r.Capability.Digest != req.Binding.CapabilityDigest:
			t.Errorf("record %s: capability %+v, want the binding's", v.Record, r.Capability)
		case a == nil || a.Request != req.ID || a.Binding != req.Binding || a.BindingDigest != req.BindingDigest ||
			a.Approve != v.Approve || a.Reason != v.Reason:
			t.Errorf("record %s: approval %+v", v.Record, a)
		case len(r.Actions) != 0 || len(r.Inputs) != 0 || len(r.Outputs) != 0 || len(r.Plugins) != 0:
			t.Errorf("record %s records a run: %+v", v.Record, r)
		}
		return r
	}
	verify := func(t *testing.T, s Store, want int64) {
		t.Helper()
		rep, err := s.Verify(ctx(), verifiers)
		if err != nil || rep.Verified != want {
			t.Fatalf("Verify = %+v, %v; want %d receipts", rep, err, want)
		}
	}

	t.Run("create is idempotent on the binding", func(t *testing.T) {
		t.Parallel()
		_, a := open(t)
		before := time.Now()
		r1, created, err := a.RequestApproval(ctx(), testRequest(1, 1, false))
		if err != nil || !created {
			t.Fatalf("RequestApproval = %v, %v; want created", created, err)
		}
		digest, _ := Digest(testBinding(1))
		switch {
		case !approvalIDPattern.MatchString(r1.ID):
			t.Errorf("id %q", r1.ID)
		case r1.State != ApprovalPending || r1.BindingDigest != digest || r1.RunID != "run-1":
			t.Errorf("request %+v", r1)
		case r1.Created.Before(before.Truncate(time.Nanosecond)) || r1.Expires != r1.Created.Add(24*time.Hour):
			t.Errorf("created %v expires %v", r1.Created, r1.Expires)
		}
		again := testRequest(1, 1, false)
		again.RunID = "run-retry"
		r2, created, err := a.RequestApproval(ctx(), again)
		if err != nil || created || r2.ID != r1.ID || r2.RunID != "run-1" {
			t.Fatalf("second RequestApproval = %+v, %v, %v; want request %s", r2, created, err, r1.ID)
		}
		got, err := a.Approval(ctx(), r1.ID, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != r1.ID || got.Binding != r1.Binding || got.Created != r1.Created || got.Expires != r1.Expires ||
			got.Args["repo"] != "acme/web" || got.Args["pr"] != float64(1) || len(got.Reasons) != 1 ||
			len(got.Requirements) != 1 || got.Requirements[0].Roles[0] != "maintainer" {
			t.Errorf("Approval = %+v, want %+v", got, r1)
		}
		// Other arguments are another request.
		r3, created, err := a.RequestApproval(ctx(), testRequest(2, 1, false))
		if err != nil || !created || r3.ID == r1.ID {
			t.Fatalf("RequestApproval of other args = %s, %v, %v; want a new request", r3.ID, created, err)
		}
		if _, err := a.Approval(ctx(), "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa", time.Time{}); !errors.Is(err, ErrApprovalNotFound) {
			t.Errorf("Approval of an unknown id: %v", err)
		}
	})

	t.Run("an expired request is replaced, an approved one is kept", func(t *testing.T) {
		t.Parallel()
		_, a := open(t)
		old := testRequest(1, 1, false)
		old.Created, old.Expires = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
		r1, _, err := a.RequestApproval(ctx(), old)
		if err != nil {
			t.Fatal(err)
		}
		if r1.State != ApprovalPending {
			t.Errorf("state as created: %s", r1.State) // as stored
		}
		got, err := a.Approval(ctx(), r1.ID, time.Now())
		if err != nil || got.State != ApprovalExpired {
			t.Fatalf("Approval = %s, %v; want expired", got.State, err)
		}
		if got, _ := a.Approval(ctx(), r1.ID, r1.Created); got.State != ApprovalPending {
			t.Errorf("state before expiry: %s", got.State)
		}
		_, err = a.Vote(ctx(), r1.ID, maintainer("m@x", true))
		wantRefused(t, err, "expired")
		r2, created, err := a.RequestApproval(ctx(), testRequest(1, 1, false))
		if err != nil || !created || r2.ID == r1.ID {
			t.Fatalf("RequestApproval after expiry = %s, %v, %v; want a new request", r2.ID, created, err)
		}
		if _, err := a.Vote(ctx(), r2.ID, maintainer("m@x", true)); err != nil {
			t.Fatal(err)
		}
		r3, created, err := a.RequestApproval(ctx(), testRequest(1, 1, false))
		if err != nil || created || r3.ID != r2.ID || r3.State != ApprovalApproved || len(r3.Votes) != 1 {
			t.Fatalf("RequestApproval after approval = %+v, %v, %v; want %s approved", r3, created, err, r2.ID)
		}
		// Approved and past its expiry: still approved when read, but no
		// longer live.
		if got, _ := a.Approval(ctx(), r2.ID, r2.Expires.Add(time.Hour)); got.State != ApprovalApproved {
			t.Errorf("approved request read past expiry: %s", got.State)
		}
	})

	t.Run("concurrent requests for one binding get one request", func(t *testing.T) {
		t.Parallel()
		_, two := openTwo(t)
		a := two[0]
		const n = 10
		var (
			wg      sync.WaitGroup
			ids     [n]string
			created [n]bool
			errs    [n]error
		)
		for i := range n {
			wg.Go(func() {
				r, c, err := two[i%2].RequestApproval(ctx(), testRequest(7, 1, false))
				ids[i], created[i], errs[i] = r.ID, c, err
			})
		}
		wg.Wait()
		news := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if ids[i] != ids[0] {
				t.Errorf("caller %d got %s, caller 0 %s", i, ids[i], ids[0])
			}
			if created[i] {
				news++
			}
		}
		all, err := a.ListApprovals(ctx(), ApprovalFilter{})
		if news != 1 || err != nil || len(all) != 1 {
			t.Errorf("%d callers created, %d requests stored (%v); want 1 and 1", news, len(all), err)
		}
	})

	t.Run("one approval approves", func(t *testing.T) {
		t.Parallel()
		s, a := open(t)
		if _, err := s.Append(ctx(), sampleReceipt(1)); err != nil {
			t.Fatal(err)
		}
		req, _, err := a.RequestApproval(ctx(), testRequest(1, 1, false))
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Vote(ctx(), req.ID, maintainer("M@x", true))
		if err != nil {
			t.Fatal(err)
		}
		if got.State != ApprovalApproved || got.Decided.IsZero() || len(got.Votes) != 1 ||
			got.Votes[0].Approver != "m@x" || got.Votes[0].Record != "apv-"+req.ID+"-1" {
			t.Fatalf("after the vote: %+v", got)
		}
		r := record(t, s, req, got.Votes[0])
		if r.Approval.State != ApprovalApproved || r.Seq != 2 {
			t.Errorf("record: state %s seq %d", r.Approval.State, r.Seq)
		}
		read, err := a.Approval(ctx(), req.ID, time.Time{})
		if err != nil || read.State != ApprovalApproved || !read.Decided.Equal(got.Decided) || len(read.Votes) != 1 ||
			read.Votes[0].Record != got.Votes[0].Record || !read.Votes[0].Time.Equal(got.Votes[0].Time) || read.Votes[0].Reason != "looked at it" {
			t.Errorf("Approval = %+v, %v; want %+v", read, err, got)
		}
		_, err = a.Vote(ctx(), req.ID, maintainer("other@x", true))
		wantRefused(t, err, "not_pending")
		if _, err := s.Append(ctx(), sampleReceipt(2)); err != nil {
			t.Fatal(err)
		}
		verify(t, s, 3)
	})

	t.Run("two approvals approve, the same approver counts once", func(t *testing.T) {
		t.Parallel()
		s, a := open(t)
		req, _, err := a.RequestApproval(ctx(), testRequest(1, 2, false))
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Vote(ctx(), req.ID, maintainer("m1@x", true))
		if err != nil || got.State != ApprovalPending || !got.Decided.IsZero() {
			t.Fatalf("after one of two: %+v, %v", got, err)
		}
		if r := record(t, s, req, got.Votes[0]); r.Approval.State != ApprovalPending {
			t.Errorf("first record's state %s", r.Approval.State)
		}
		_, err = a.Vote(ctx(), req.ID, maintainer("m1@X", true))
		wantRefused(t, err, "already_voted")
		got, err = a.Vote(ctx(), req.ID, maintainer("m2@x", true))
		if err != nil || got.State != ApprovalApproved || len(got.Votes) != 2 || got.Votes[1].Record != "apv-"+req.ID+"-2" {
			t.Fatalf("after two of two: %+v, %v", got, err)
		}
		record(t, s, req, got.Votes[1])
		verify(t, s, 2)
	})

	t.Run("one deny denies", func(t *testing.T) {
		t.Parallel()
		s, a := open(t)
		req, _, err := a.RequestApproval(ctx(), testRequest(1, 2, false))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Vote(ctx(), req.ID, maintainer("m1@x", true)); err != nil {
			t.Fatal(err)
		}
		v := maintainer("m2@x", false)
		v.Reason = "not before the release"
		got, err := a.Vote(ctx(), req.ID, v)
		if err != nil || got.State != ApprovalDenied || got.Decided.IsZero() {
			t.Fatalf("after the deny: %+v, %v", got, err)
		}
		if r := record(t, s, req, got.Votes[1]); r.Approval.State != ApprovalDenied || r.Approval.Reason != "not before the release" {
			t.Errorf("deny record: %+v", r.Approval)
		}
		_, err = a.Vote(ctx(), req.ID, maintainer("m3@x", true))
		wantRefused(t, err, "not_pending")
		// A denied request is live: a retry meets the denial.
		again, created, err := a.RequestApproval(ctx(), testRequest(1, 2, false))
		if err != nil || created || again.ID != req.ID || again.State != ApprovalDenied {
			t.Errorf("RequestApproval after the deny = %s %s, %v, %v", again.ID, again.State, created, err)
		}
		verify(t, s, 2)
	})

	t.Run("who may vote", func(t *testing.T) {
		t.Parallel()
		s, a := open(t)
		req, _, err := a.RequestApproval(ctx(), testRequest(1, 1, false))
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Vote(ctx(), req.ID, Vote{Approver: "ops@x", Roles: []string{"operator"}, Approve: true})
		wantRefused(t, err, "not_an_approver")
		_, err = a.Vote(ctx(), req.ID, Vote{Approver: "ops@x", Roles: []string{"operator"}, Approve: false})
		wantRefused(t, err, "not_an_approver")
		_, err = a.Vote(ctx(), req.ID, maintainer("Dev@x", true)) // the requester
		wantRefused(t, err, "self_approval")
		_, err = a.Vote(ctx(), "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa", maintainer("m@x", true))
		if !errors.Is(err, ErrApprovalNotFound) {
			t.Errorf("vote on an unknown id: %v", err)
		}
		if _, err := a.Vote(ctx(), req.ID, Vote{Approve: true}); err == nil || !strings.Contains(err.Error(), "approver") {
			t.Errorf("vote without an approver: %v", err)
		}
		if got, _ := a.Approval(ctx(), req.ID, time.Time{}); got.State != ApprovalPending || len(got.Votes) != 0 {
			t.Errorf("refused votes changed the request: %+v", got)
		}

		// Allowed by the requirement, the requester approves.
		own, _, err := a.RequestApproval(ctx(), testRequest(2, 1, true))
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Vote(ctx(), own.ID, maintainer("dev@x", true))
		if err != nil || got.State != ApprovalApproved {
			t.Fatalf("self-approval allowed: %+v, %v", got, err)
		}
		// A requirement without roles takes any approver but the
		// requester; with a second one that forbids self-approval, the
		// requester who qualifies for it may not vote.
		both := testRequest(3, 1, true)
		both.Requirements = append(both.Requirements, Requirement{Policy: "any", Count: 1, Expiry: time.Hour})
		req3, _, err := a.RequestApproval(ctx(), both)
		if err != nil {
			t.Fatal(err)
		}
		if req3.Expires != req3.Created.Add(time.Hour) {
			t.Errorf("expiry %v, want the shortest requirement's", req3.Expires.Sub(req3.Created))
		}
		_, err = a.Vote(ctx(), req3.ID, maintainer("dev@x", true))
		wantRefused(t, err, "self_approval")
		_, err = a.Vote(ctx(), req3.ID, Vote{Approver: "nobody@x", Approve: true}) // no role at all
		wantRefused(t, err, "not_an_approver")
		got, err = a.Vote(ctx(), req3.ID, Vote{Approver: "ops@x", Roles: []string{"operator"}, Approve: true})
		if err != nil || got.State != ApprovalPending {
			t.Fatalf("vote for the role-free requirement: %+v, %v; want pending (the maintainer is missing)", got, err)
		}
		got, err = a.Vote(ctx(), req3.ID, maintainer("m@x", true))
		if err != nil || got.State != ApprovalApproved {
			t.Fatalf("both requirements met: %+v, %v", got, err)
		}
		verify(t, s, 3)
	})

	t.Run("concurrent votes on a one-approval request approve once", func(t *testing.T) {
		t.Parallel()
		s, two := openTwo(t)
		a := two[0]
		req, _, err := a.RequestApproval(ctx(), testRequest(1, 1, false))
		if err != nil {
			t.Fatal(err)
		}
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = two[i%2].Vote(ctx(), req.ID, maintainer(fmt.Sprintf("m%d@x", i), true))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			var ae *ApprovalError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ae) && ae.Code == "not_pending":
			default:
				t.Errorf("vote: %v, want success or not_pending", err)
			}
		}
		got, err := a.Approval(ctx(), req.ID, time.Time{})
		if err != nil || ok != 1 || got.State != ApprovalApproved || len(got.Votes) != 1 {
			t.Fatalf("%d votes passed; request %+v, %v; want 1 and approved", ok, got, err)
		}
		records, err := s.List(ctx(), ListOptions{RunIDPrefix: "apv-" + req.ID})
		if err != nil || len(records) != 1 {
			t.Fatalf("%d approval records, %v; want 1", len(records), err)
		}
		verify(t, s, 1)
	})

	t.Run("votes and appends interleave in one chain", func(t *testing.T) {
		t.Parallel()
		s, two := openTwo(t)
		a := two[1] // votes on one handle, appends on the other
		const n = 8
		reqs := make([]ApprovalRequest, n)
		for i := range n {
			var err error
			if reqs[i], _, err = a.RequestApproval(ctx(), testRequest(i+1, 1, false)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2*n)
		for i := range n {
			wg.Go(func() { _, errs[i] = s.Append(ctx(), sampleReceipt(i+1)) })
			wg.Go(func() { _, errs[n+i] = a.Vote(ctx(), reqs[i].ID, maintainer("m@x", i%2 == 0)) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		verify(t, s, 2*n)
	})

	t.Run("list filters", func(t *testing.T) {
		t.Parallel()
		_, a := open(t)
		base := time.Now().Add(-time.Minute)
		ids := map[int]string{}
		for i := 1; i <= 5; i++ {
			req := testRequest(i, 1, false)
			req.Created = base.Add(time.Duration(i) * time.Second)
			req.Expires = req.Created.Add(time.Hour)
			if i == 4 {
				req.Binding.Actor, req.RunID = "other@x", "run-other"
			}
			if i == 5 { // expired
				req.Created, req.Expires = base.Add(-2*time.Hour), base.Add(-time.Hour)
			}
			r, _, err := a.RequestApproval(ctx(), req)
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = r.ID
		}
		if _, err := a.Vote(ctx(), ids[1], maintainer("m@x", true)); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Vote(ctx(), ids[2], maintainer("m@x", false)); err != nil {
			t.Fatal(err)
		}
		list := func(f ApprovalFilter) []string {
			t.Helper()
			rs, err := a.ListApprovals(ctx(), f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, fmt.Sprintf("%s:%s", r.ID, r.State))
			}
			return got
		}
		want := func(ns ...any) []string {
			var out []string
			for i := 0; i < len(ns); i += 2 {
				out = append(out, fmt.Sprintf("%s:%s", ids[ns[i].(int)], ns[i+1]))
			}
			return out
		}
		for _, tc := range []struct {
			f    ApprovalFilter
			want []string
		}{
			{ApprovalFilter{}, want(4, "pending", 3, "pending", 2, "denied", 1, "approved", 5, "expired")},
			{ApprovalFilter{Limit: 2}, want(4, "pending", 3, "pending")},
			{ApprovalFilter{State: ApprovalPending}, want(4, "pending", 3, "pending")},
			{ApprovalFilter{State: ApprovalApproved}, want(1, "approved")},
			{ApprovalFilter{State: ApprovalDenied}, want(2, "denied")},
			{ApprovalFilter{State: ApprovalExpired}, want(5, "expired")},
			{ApprovalFilter{State: ApprovalPending, Now: base.Add(2 * time.Hour)}, nil},
			{ApprovalFilter{State: ApprovalExpired, Now: base.Add(2 * time.Hour)}, want(4, "expired", 3, "expired", 5, "expired")},
			{ApprovalFilter{Actor: "OTHER@x"}, want(4, "pending")},
			{ApprovalFilter{RunID: "run-3"}, want(3, "pending")},
			{ApprovalFilter{Actor: "dev@x", State: ApprovalPending}, want(3, "pending")},
		} {
			if got := list(tc.f); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("ListApprovals(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		}
		if _, err := a.ListApprovals(ctx(), ApprovalFilter{State: "done"}); err == nil || !strings.Contains(err.Error(), `state "done"`) {
			t.Errorf("unknown state: %v", err)
		}
	})

	t.Run("bad requests are refused", func(t *testing.T) {
		t.Parallel()
		_, a := open(t)
		for _, tc := range []struct {
			edit func(*ApprovalRequest)
			want string
		}{
			{func(r *ApprovalRequest) { r.Requirements = nil }, "requirements: none"},
			{func(r *ApprovalRequest) { r.Requirements[0].Count = 11 }, "requirements[0].count 11"},
			{func(r *ApprovalRequest) { r.Requirements[0].Expiry = 0 }, "requirements[0].expiry"},
			{func(r *ApprovalRequest) { r.Binding.Actor = "Dev@x" }, "binding.actor"},
			{func(r *ApprovalRequest) { r.Binding.ArgsDigest = "abc" }, "binding.args_digest"},
			{func(r *ApprovalRequest) { r.Binding.Action = "" }, "binding.action"},
			{func(r *ApprovalRequest) { r.BindingDigest = "sha256:" + strings.Repeat("0", 64) }, "binding_digest"},
			{func(r *ApprovalRequest) { r.RunID = "" }, "run_id"},
			{func(r *ApprovalRequest) { r.Created = time.Now(); r.Expires = r.Created.Add(-time.Second) }, "expires"},
		} {
			req := testRequest(1, 1, false)
			tc.edit(&req)
			if _, _, err := a.RequestApproval(ctx(), req); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: RequestApproval = %v", tc.want, err)
			}
		}
		if rs, err := a.ListApprovals(ctx(), ApprovalFilter{}); err != nil || len(rs) != 0 {
			t.Errorf("refused requests were stored: %d, %v", len(rs), err)
		}
	})
}

// TestApprovalRecordValidation checks the format rules of approval records
// and held actions: what Seal accepts and refuses.
func TestApprovalRecordValidation(t *testing.T) {
	t.Parallel()
	signers, verifiers := testKeys(t, 1)
	for _, tc := range []struct {
		name string
		edit func(*Receipt)
		want string // "" when the receipt is valid
	}{
		{"an approval record", func(*Receipt) {}, ""},
		{"a deny record", func(r *Receipt) {
			r.Decision, r.Approval.Approve, r.Approval.State = DecisionDenied, false, ApprovalDenied
		}, ""},
		{"a record without its approval", func(r *Receipt) { r.Approval = nil }, "approval: missing"},
		{"a record whose vote disagrees", func(r *Receipt) { r.Decision = DecisionDenied }, "approval.approve"},
		{"a record of another request", func(r *Receipt) { r.RunID = "apv-apr_bbbbbbbbbbbbbbbbbbbbbbbbbb-1" }, "run_id"},
		{"a record with an edited binding", func(r *Receipt) { r.Approval.Binding.Seq = 9 }, "approval.binding_digest"},
		{"a record with actions", func(r *Receipt) { r.Actions = smallReceipt(1).Actions }, "no actions"},
		{"a record in an unknown state", func(r *Receipt) { r.Approval.State = "maybe" }, "approval.state"},
		{"a run's receipt with an approval", func(r *Receipt) {
			*r = *smallReceipt(1)
			r.Approval = smallApprovalRecord(2).Approval
		}, "set on a run's receipt"},
		{"a pending run with a held action", func(r *Receipt) {
			*r = *smallReceipt(1)
			r.Decision, r.Status = DecisionPending, "pending_approval"
			r.Actions[0].Decision = ActionHeld
			r.Actions[0].Approval = &ActionApproval{Request: "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa", State: ApprovalPending}
		}, ""},
		{"an action approval with a bad request id", func(r *Receipt) {
			*r = *smallReceipt(1)
			r.Actions[0].Approval = &ActionApproval{Request: "apr_x", State: ApprovalPending}
		}, "actions[0].approval.request"},
		{"an unknown decision", func(r *Receipt) { *r = *smallReceipt(1); r.Decision = "HELD" }, "decision"},
	} {
		r := smallApprovalRecord(1)
		tc.edit(r)
		r.Seq = 1
		env, err := Seal(r, signers)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Seal: %v", tc.name, err)
		case tc.want == "":
			if _, err := env.Verify(verifiers); err != nil {
				t.Errorf("%s: Verify: %v", tc.name, err)
			}
		case err == nil || !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: Seal = %v, want an error about %s", tc.name, err, tc.want)
		}
	}
}

// TestRequirementJSON: a requirement's expiry reads as a duration string,
// and both that and the nanoseconds of the first stored form decode.
func TestRequirementJSON(t *testing.T) {
	r := Requirement{Policy: "p", Roles: []string{"maintainer"}, Count: 2, Expiry: 90 * time.Minute}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"policy":"p","roles":["maintainer"],"count":2,"expiry":"1h30m0s"}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	for _, in := range []string{string(b), `{"policy":"p","roles":["maintainer"],"count":2,"expiry":5400000000000}`} {
		var got Requirement
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatal(err)
		}
		if got.Expiry != r.Expiry || got.Count != 2 || got.Policy != "p" || len(got.Roles) != 1 {
			t.Errorf("%s decoded to %+v", in, got)
		}
	}
	var bad Requirement
	if err := json.Unmarshal([]byte(`{"expiry":"soon"}`), &bad); err == nil || !strings.Contains(err.Error(), `"soon"`) {
		t.Errorf("a bad expiry: %v", err)
	}
}
