package receiptview_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/cmd/enact-run/internal/receiptview"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// storeReader reads a real store's approvals at the wall clock, as the
// client does.
type storeReader struct{ s *receipts.SQLiteStore }

func (r storeReader) Approval(ctx context.Context, id string) (receipts.ApprovalRequest, error) {
	return r.s.Approval(ctx, id, time.Now())
}

func (r storeReader) Approvals(ctx context.Context, f receipts.ApprovalFilter) ([]receipts.ApprovalRequest, error) {
	f.Now = time.Now()
	return r.s.ListApprovals(ctx, f)
}

func request(t *testing.T, s *receipts.SQLiteStore, actor, action string, roles []string) receipts.ApprovalRequest {
	t.Helper()
	b := receipts.Binding{CapabilityID: "c", CapabilityVersion: "1.0.0", CapabilityDigest: "sha256:" + strings.Repeat("c", 64), Action: action, ArgsDigest: "sha256:" + strings.Repeat(fmt.Sprintf("%x", len(action)%16), 64), Actor: actor, Seq: 1}
	bd, err := receipts.Digest(b)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	req, created, err := s.RequestApproval(t.Context(), receipts.ApprovalRequest{
		Binding: b, BindingDigest: bd, RunID: "run-x", Created: now, Expires: now.Add(time.Hour),
		Requirements: []receipts.Requirement{{Policy: "p", Roles: roles, Count: 1, Expiry: time.Hour}},
		Args:         map[string]any{"key": "release/x", "token": receipts.Redacted},
	})
	if err != nil || !created {
		t.Fatalf("request: %v %v", created, err)
	}
	return req
}

func TestApprovalsResolveScopeAndText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys, err := receipts.OpenKeyring(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := receipts.OpenSQLite(t.Context(), filepath.Join(dir, "r.db"), keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a := request(t, s, "agent@acme.com", "kv.put", []string{"maintainer"})
	b := request(t, s, "bob@acme.com", "kv.delete", nil)
	r := storeReader{s}

	// Resolve: the full id, a prefix with or without apr_, nothing, both.
	for _, ref := range []string{a.ID, a.ID[:12], strings.TrimPrefix(a.ID, "apr_")[:10]} {
		if got, err := receiptview.ResolveApproval(t.Context(), r, ref, nil); err != nil || got.ID != a.ID {
			t.Errorf("resolve %q: %v %v", ref, got.ID, err)
		}
	}
	if _, err := receiptview.ResolveApproval(t.Context(), r, "apr_zzzz", nil); !errors.Is(err, receipts.ErrApprovalNotFound) {
		t.Errorf("unknown prefix: %v", err)
	}
	if a.ID[:5] == b.ID[:5] {
		if _, err := receiptview.ResolveApproval(t.Context(), r, a.ID[:5], nil); !errors.Is(err, receiptview.ErrAmbiguousApproval) {
			t.Errorf("shared prefix: %v", err)
		}
	}
	if _, err := receiptview.ResolveApproval(t.Context(), r, "apr_", nil); !errors.Is(err, receiptview.ErrAmbiguousApproval) {
		t.Errorf("the bare prefix apr_ matches both: %v", err)
	}

	// Scope: requester, approver by role, a role-free requirement takes
	// any role, an auditor sees all, a stranger nothing; a hidden request
	// does not resolve.
	dev := policy.Actor{Email: "dev@acme.com", Roles: []string{"developer"}}
	for _, tc := range []struct {
		actor policy.Actor
		a, b  bool
	}{
		{policy.Actor{Email: "Agent@acme.com"}, true, false},
		{policy.Actor{Email: "lee@acme.com", Roles: []string{"maintainer"}}, true, true},
		{dev, false, true},
		{policy.Actor{Email: "nobody@x.y"}, false, false},
		{policy.Actor{Email: "audit@acme.com", Roles: []string{policy.RoleAuditor}}, true, true},
	} {
		if got := receiptview.ApprovalVisible(a, tc.actor); got != tc.a {
			t.Errorf("%s sees a: %v", tc.actor.Email, got)
		}
		if got := receiptview.ApprovalVisible(b, tc.actor); got != tc.b {
			t.Errorf("%s sees b: %v", tc.actor.Email, got)
		}
	}
	if _, err := receiptview.ResolveApproval(t.Context(), r, a.ID, func(q receipts.ApprovalRequest) bool { return receiptview.ApprovalVisible(q, dev) }); !errors.Is(err, receipts.ErrApprovalNotFound) {
		t.Errorf("a hidden request resolved: %v", err)
	}

	// Pending first: approve b, then list.
	if _, err := s.Vote(t.Context(), b.ID, receipts.Vote{Approver: "lee@acme.com", Roles: []string{"maintainer"}, Approve: true, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	all, err := r.Approvals(t.Context(), receipts.ApprovalFilter{})
	if err != nil {
		t.Fatal(err)
	}
	receiptview.SortPendingFirst(all)
	if len(all) != 2 || all[0].ID != a.ID || all[1].State != receipts.ApprovalApproved {
		t.Errorf("pending first: %+v", all)
	}

	var out bytes.Buffer
	if err := receiptview.WriteApprovals(&out, all); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], a.ID) || !strings.Contains(lines[2], "approved") {
		t.Errorf("list text:\n%s", out.String())
	}
	out.Reset()
	got, _ := r.Approval(t.Context(), b.ID)
	if err := receiptview.WriteApproval(&out, got); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"approval request " + b.ID + ": APPROVED", "kv.delete (seq 1)", "bob@acme.com", `"token": "[redacted]"`, "p: needs 1 approval from any actor with a role (not the requester)", "lee@acme.com approved"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show text lacks %q:\n%s", want, out.String())
		}
	}
}
