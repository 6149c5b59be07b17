package enact

import (
	"context"
	"errors"

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

// Approval returns one approval request by id.
func (c *Client) Approval(ctx context.Context, id string) (receipts.ApprovalRequest, error) {
	return receipts.ApprovalRequest{}, ErrNoApprovals
}

// Approvals lists approval requests, newest first.
func (c *Client) Approvals(ctx context.Context, f receipts.ApprovalFilter) ([]receipts.ApprovalRequest, error) {
	return nil, ErrNoApprovals
}

// Decide records approver's vote on request id (approve or deny, with a
// reason), signed into the chain as an approval record. The approver's
// roles are those the policy file gives the email, merged with
// approver.Roles. It refuses with a *receipts.ApprovalError an approver
// without an allowed role, the requester (unless allowed), a second vote,
// and a request that is not pending or has expired.
func (c *Client) Decide(ctx context.Context, id string, approver policy.Actor, approve bool, reason string) (receipts.ApprovalRequest, error) {
	return receipts.ApprovalRequest{}, ErrNoApprovals
}
