package receiptview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// ApprovalReader reads approval requests; *enact.Client is one.
type ApprovalReader interface {
	Approval(ctx context.Context, id string) (receipts.ApprovalRequest, error)
	Approvals(ctx context.Context, f receipts.ApprovalFilter) ([]receipts.ApprovalRequest, error)
}

// Approvals reads approval requests and records votes, what the HTTP API
// and the console serve; *enact.Client is one.
type Approvals interface {
	ApprovalReader
	Decide(ctx context.Context, id string, approver policy.Actor, approve bool, reason string) (receipts.ApprovalRequest, error)
}

// ErrAmbiguousApproval is returned by ResolveApproval for a prefix that
// several requests share.
var ErrAmbiguousApproval = errors.New("the id prefix matches several approval requests")

// ApprovalIDLength is the length of a full request id ("apr_" and 26
// base32 characters).
const ApprovalIDLength = 30

// ResolveApproval finds a request by its id or a unique prefix of it
// (with or without "apr_"); receipts.ErrApprovalNotFound when none
// matches, ErrAmbiguousApproval when several do. visible, when set, hides
// the requests the caller may not see (they do not match, so a prefix
// reveals nothing about them).
func ResolveApproval(ctx context.Context, r ApprovalReader, ref string, visible func(receipts.ApprovalRequest) bool) (receipts.ApprovalRequest, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if ref == "" {
		return receipts.ApprovalRequest{}, receipts.ErrApprovalNotFound
	}
	if !strings.HasPrefix(ref, "apr_") {
		ref = "apr_" + ref
	}
	if len(ref) >= ApprovalIDLength {
		req, err := r.Approval(ctx, ref)
		if err == nil && visible != nil && !visible(req) {
			return receipts.ApprovalRequest{}, receipts.ErrApprovalNotFound
		}
		return req, err
	}
	all, err := r.Approvals(ctx, receipts.ApprovalFilter{})
	if err != nil {
		return receipts.ApprovalRequest{}, err
	}
	var found []receipts.ApprovalRequest
	for _, req := range all {
		if strings.HasPrefix(req.ID, ref) && (visible == nil || visible(req)) {
			found = append(found, req)
		}
	}
	switch len(found) {
	case 0:
		return receipts.ApprovalRequest{}, receipts.ErrApprovalNotFound
	case 1:
		return found[0], nil
	}
	return receipts.ApprovalRequest{}, fmt.Errorf("%w: %s", ErrAmbiguousApproval, ref)
}

// MayApprove reports whether an actor holding roles qualifies as an
// approver of at least one of req's requirements, by the rule the store
// judges votes with (receipts.Requirement.Qualifies). Self-approval and
// votes already cast are the store's to check.
func MayApprove(req receipts.ApprovalRequest, roles []string) bool {
	return slices.ContainsFunc(req.Requirements, func(r receipts.Requirement) bool { return r.Qualifies(roles) })
}

// ApprovalVisible reports whether actor may see req: the requester, an
// actor who may approve it, and an auditor.
func ApprovalVisible(req receipts.ApprovalRequest, actor policy.Actor) bool {
	if slices.Contains(actor.Roles, policy.RoleAuditor) {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(actor.Email), req.Binding.Actor) {
		return true
	}
	return MayApprove(req, actor.Roles)
}

// SortPendingFirst orders requests pending first, each group newest
// first.
func SortPendingFirst(reqs []receipts.ApprovalRequest) {
	sort.SliceStable(reqs, func(i, j int) bool {
		pi, pj := reqs[i].State == receipts.ApprovalPending, reqs[j].State == receipts.ApprovalPending
		if pi != pj {
			return pi
		}
		return reqs[i].Created.After(reqs[j].Created)
	})
}

// RequirementText says what one requirement asks for, in words:
// "needs 1 approval from role maintainer (self-approval not allowed)".
func RequirementText(r receipts.Requirement) string {
	who := "any actor with a role"
	if len(r.Roles) == 1 {
		who = "role " + r.Roles[0]
	} else if len(r.Roles) > 1 {
		who = "roles " + strings.Join(r.Roles, " or ")
	}
	n := "approval"
	if r.Count != 1 {
		n = "approvals"
	}
	s := fmt.Sprintf("needs %d %s from %s", r.Count, n, who)
	if r.AllowSelfApproval {
		s += " (the requester may approve)"
	} else {
		s += " (not the requester)"
	}
	if r.Policy != "" {
		s = r.Policy + ": " + s
	}
	return s
}

// WriteApprovals prints requests one per line: id, state, action,
// requester, created and expiry.
func WriteApprovals(w io.Writer, reqs []receipts.ApprovalRequest) error {
	if len(reqs) == 0 {
		_, err := io.WriteString(w, "no approval requests\n")
		return err
	}
	p := &printer{w: w}
	p.f("%-30s  %-8s  %-24s  %-24s  %-20s  %s\n", "ID", "STATE", "ACTION", "REQUESTER", "CREATED", "EXPIRES")
	for _, r := range reqs {
		p.f("%-30s  %-8s  %-24s  %-24s  %-20s  %s\n", r.ID, r.State, line(r.Binding.Action), line(r.Binding.Actor), TimeText(r.Created), TimeText(r.Expires))
	}
	return p.err
}

// WriteApproval prints one request whole: what exactly is to be done
// (the binding and the redacted arguments), why it is held, what it
// needs, the votes so far, its state and expiry, and the run that asked.
func WriteApproval(w io.Writer, r receipts.ApprovalRequest) error {
	p := &printer{w: w}
	p.f("approval request %s: %s\n", r.ID, strings.ToUpper(r.State))
	b := r.Binding
	p.f("  action      %s (seq %d)\n", line(b.Action), b.Seq)
	p.f("  capability  %s %s  %s\n", line(b.CapabilityID), line(b.CapabilityVersion), line(b.CapabilityDigest))
	p.f("  requester   %s\n", line(b.Actor))
	p.f("  args        %s\n", line(b.ArgsDigest))
	if len(r.Args) > 0 {
		data, _ := json.MarshalIndent(r.Args, "                ", "  ")
		p.f("                %s\n", Clean(string(data), true))
	}
	if b.RunKey != "" {
		p.f("  run key     %s\n", line(b.RunKey))
	}
	p.f("  binding     %s\n", line(r.BindingDigest))
	p.f("  created     %s\n", TimeText(r.Created))
	p.f("  expires     %s\n", TimeText(r.Expires))
	if !r.Decided.IsZero() {
		p.f("  decided     %s\n", TimeText(r.Decided))
	}
	if r.RunID != "" {
		p.f("  run         %s\n", line(r.RunID))
	}
	for _, reason := range r.Reasons {
		p.f("  held by     %s\n", line(reason))
	}
	for _, q := range r.Requirements {
		p.f("  requires    %s\n", line(RequirementText(q)))
	}
	if len(r.Votes) == 0 {
		p.f("  votes       none yet\n")
	}
	for _, v := range r.Votes {
		what := "approved"
		if !v.Approve {
			what = "denied"
		}
		p.f("  vote        %s %s at %s", line(v.Approver), what, TimeText(v.Time))
		if v.Reason != "" {
			p.f(": %s", line(v.Reason))
		}
		if v.Record != "" {
			p.f(" (record %s)", line(v.Record))
		}
		p.f("\n")
	}
	return p.err
}
