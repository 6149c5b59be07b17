package hostfns

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/enact-run/enact/internal/bounds"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// approve settles an action a policy holds for a person's approval (dec
// is Held). It finds or creates the approval request bound to exactly
// this action (see Binding) and returns the guest's reply when the action
// must not go ahead: held (the request is pending), denied, or refused
// because the request could not be recorded. When the request is approved
// it returns nil, with dec rewritten to allow the action (each approval
// result passed, saying by whom) and the record linked to the request;
// the action is then performed as any allowed one.
func (r *Run) approve(ctx context.Context, action string, callArgs json.RawMessage, args map[string]any, dec *policy.Decision, rec *receipts.Action) []byte {
	held := dec.Approvals()
	var needs []string
	for _, h := range held {
		needs = append(needs, h.Reason)
	}
	rec.PolicyResults = toReceipt(dec.Results)
	if r.info.DryRun {
		// A dry run plans the action and says it would need an
		// approval; it asks no one.
		rec.Decision = receipts.ActionAllowed
		rec.Result = json.RawMessage(`{"dry_run":true,"planned":true,"approval_required":true}`)
		return ResultReply(rec.Result, false)
	}
	refuse := func(decision receipts.ActionDecision, code, msg string) []byte {
		rec.Decision = decision
		rec.Error = &receipts.Error{Code: code, Message: msg}
		return ErrorReply(code, msg, guestReasons(dec.Results)...)
	}
	store := r.g.Approvals()
	if store == nil {
		return refuse(receipts.ActionDenied, CodeDenied, fmt.Sprintf("action %s needs a person's approval (%s), and this runner's receipt store keeps no approval requests: approvals need the SQLite or Postgres store", action, strings.Join(needs, "; ")))
	}
	if r.runKey() == "" {
		// An approval is bound to the run key: the retry that performs
		// the approved action is the run with the same key, and the key's
		// ledger and the action key (K:seq) make it happen once. A run
		// without a key has nothing a retry could be bound to, so no
		// request is made: the caller is told to give a key.
		return refuse(receipts.ActionDenied, CodeDenied, fmt.Sprintf("action %s needs a person's approval (%s); an approval is bound to the run's idempotency key, so run again with one (--idempotency-key, the Idempotency-Key header, or the tool's idempotency key) to request it", action, strings.Join(needs, "; ")))
	}
	argsDigest, err := receipts.Digest(callArgs)
	if err != nil {
		return refuse(receipts.ActionDenied, CodeInvalidArgs, "arguments: "+err.Error())
	}
	c := r.info.Capability
	b := receipts.Binding{
		CapabilityID: c.ID, CapabilityVersion: c.Version, CapabilityDigest: c.Digest,
		Action: action, ArgsDigest: argsDigest, Actor: strings.ToLower(strings.TrimSpace(r.info.Actor.Email)),
		RunKey: r.runKey(), Seq: rec.Seq,
	}
	bd, err := receipts.Digest(b)
	if err != nil {
		return refuse(receipts.ActionFailed, CodeInternal, "approval binding: "+err.Error())
	}
	now := r.g.clock()
	want := receipts.ApprovalRequest{
		Binding: b, BindingDigest: bd, RunID: r.info.RunID, Created: now,
		Args: r.redact.Map(args), Reasons: needs,
	}
	expiry := time.Duration(0)
	for _, h := range held {
		a := h.Approval
		want.Requirements = append(want.Requirements, receipts.Requirement{
			Policy: h.Policy, Roles: slices.Clone(a.Roles), Count: max(a.Count, 1), AllowSelfApproval: a.AllowSelfApproval, Expiry: a.Expiry,
		})
		e := a.Expiry
		if e <= 0 {
			e = policy.DefaultApprovalExpiry
		}
		if expiry == 0 || e < expiry {
			expiry = e
		}
	}
	want.Expires = now.Add(expiry)
	sctx, cancel := context.WithTimeout(ctx, bounds.Record())
	got, created, err := store.RequestApproval(sctx, want)
	cancel()
	if err != nil {
		return refuse(receipts.ActionFailed, CodeUnavailable, fmt.Sprintf("action %s needs a person's approval and the approval request could not be recorded, so it is not performed: %v", action, err))
	}
	if created && r.g.notify != nil {
		r.g.notify(got)
	}
	link := &receipts.ActionApproval{Request: got.ID, State: got.State}
	rec.Approval = link
	switch got.State {
	case receipts.ApprovalPending:
		msg := fmt.Sprintf("action %s is held for approval %s: %s; retry with the same idempotency key once approved", action, got.ID, strings.Join(needs, "; "))
		if r.held == nil {
			r.held = &got
			if r.denied == nil {
				r.halt = &receipts.Error{Code: CodeApprovalRequired, Message: msg}
			}
		}
		return refuse(receipts.ActionHeld, CodeApprovalRequired, msg)
	case receipts.ApprovalDenied:
		why := linkVotes(link, got.Votes, false)
		msg := fmt.Sprintf("approval %s was denied by %s", got.ID, strings.Join(link.Approvers, ", "))
		if why != "" {
			msg += ": " + why
		}
		if r.denied == nil {
			r.denied = &got
			r.halt = &receipts.Error{Code: CodeDenied, Message: msg}
		}
		return refuse(receipts.ActionDenied, CodeDenied, msg)
	case receipts.ApprovalApproved:
		linkVotes(link, got.Votes, true)
		reason := fmt.Sprintf("approved by %s (%s)", strings.Join(link.Approvers, ", "), got.ID)
		for i, res := range dec.Results {
			if !res.Passed && res.Approval != nil {
				dec.Results[i] = policy.Result{Policy: res.Policy, Passed: true, Reason: reason, Approval: res.Approval}
			}
		}
		dec.Allowed = true
		r.approved = &got
		return nil
	}
	return refuse(receipts.ActionFailed, CodeInternal, fmt.Sprintf("approval request %s came back %q from the store, neither pending, approved nor denied; the action is not performed", got.ID, got.State))
}

// linkVotes adds to link the approvers and approval records of the votes
// that went the way the request did (approve, or deny), in the order cast,
// and returns the first of those votes' reasons.
func linkVotes(link *receipts.ActionApproval, votes []receipts.Vote, approve bool) (why string) {
	for _, v := range votes {
		if v.Approve != approve {
			continue
		}
		link.Approvers = append(link.Approvers, v.Approver)
		if v.Record != "" {
			link.Records = append(link.Records, v.Record)
		}
		if why == "" {
			why = v.Reason
		}
	}
	return why
}
