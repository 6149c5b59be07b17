package enact

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// StatusPending is the status of a run that stopped at an action a policy
// holds for a person's approval (Result.Approval names the request). The
// run's idempotency key is free: retrying with the same key and inputs
// once the request is approved performs the held action, exactly once.
const StatusPending = "PENDING"

// ErrNoApprovals is returned when the receipt store keeps no approval
// requests (only the SQLite and Postgres stores do).
var ErrNoApprovals = errors.New("enact: approvals need the SQLite or Postgres receipt store")

// approvals is the store's approval requests, or ErrNoApprovals.
func (c *Client) approvals() (receipts.Approvals, error) {
	a := c.gate.Approvals()
	if a == nil {
		return nil, ErrNoApprovals
	}
	return a, nil
}

// Approval returns one approval request by id.
func (c *Client) Approval(ctx context.Context, id string) (receipts.ApprovalRequest, error) {
	a, err := c.approvals()
	if err != nil {
		return receipts.ApprovalRequest{}, err
	}
	return a.Approval(ctx, id, c.gate.Now())
}

// Approvals lists approval requests, newest first.
func (c *Client) Approvals(ctx context.Context, f receipts.ApprovalFilter) ([]receipts.ApprovalRequest, error) {
	a, err := c.approvals()
	if err != nil {
		return nil, err
	}
	if f.Now.IsZero() {
		f.Now = c.gate.Now()
	}
	return a.ListApprovals(ctx, f)
}

// Decide records approver's vote on request id (approve or deny, with a
// reason), signed into the chain as an approval record. The approver's
// roles are those the policy file gives the email, merged with
// approver.Roles. It refuses with a *receipts.ApprovalError an approver
// without an allowed role, the requester (unless allowed), a second vote,
// and a request that is not pending or has expired.
func (c *Client) Decide(ctx context.Context, id string, approver policy.Actor, approve bool, reason string) (receipts.ApprovalRequest, error) {
	a, err := c.approvals()
	if err != nil {
		return receipts.ApprovalRequest{}, err
	}
	email := strings.ToLower(strings.TrimSpace(approver.Email))
	if email == "" {
		return receipts.ApprovalRequest{}, errors.New("enact: a vote on an approval request needs the approver's email")
	}
	roles := slices.Clone(approver.Roles)
	if p := c.gate.Policy(); p != nil {
		roles = append(roles, p.Roles(approver.Email)...)
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	return a.Vote(ctx, id, receipts.Vote{Approver: email, Roles: roles, Approve: approve, Reason: reason, Time: c.gate.Now()})
}
