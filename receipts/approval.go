package receipts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Approval request states. A request is pending until enough approvers
// said yes (approved), one said no (denied) or its expiry passed
// (expired, computed when read: a pending request whose Expires is not
// after the reader's clock).
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalDenied   = "denied"
	ApprovalExpired  = "expired"
)

// Run and approval-record decisions added for approvals (see Decision).
const (
	// DecisionPending: an action was held for a person's approval; the
	// run stopped there and its idempotency key is free for the retry.
	DecisionPending Decision = "PENDING"
	// DecisionApproved and DecisionDenied are the decisions of an
	// approval record: a receipt in the chain whose Approval field says
	// who decided what about which request (RunID "apv-<request id>-<n>").
	DecisionApproved Decision = "APPROVED"
	DecisionDenied   Decision = "DENIED"
)

// ActionHeld is the decision of an action the gate did not perform because
// a policy requires a person's approval first (Action.Approval names the
// request).
const ActionHeld ActionDecision = "held"

// Binding is exactly what an approval approves: one action with one set
// of arguments, asked for by one actor running one capability (by digest)
// under one run key. Its Digest is the request's identity for lookups:
// a retry that differs in any field is a different request.
type Binding struct {
	CapabilityID      string `json:"capability_id"`
	CapabilityVersion string `json:"capability_version"`
	CapabilityDigest  string `json:"capability_digest"`
	Action            string `json:"action"`
	ArgsDigest        string `json:"args_digest"`
	Actor             string `json:"actor"` // the requester's email, lower case
	// RunKey is the run's key (hostfns.RunKey of the actor and the
	// idempotency key); "" for a run without an idempotency key.
	RunKey string `json:"run_key"`
	// Seq is the action's position in the run.
	Seq int64 `json:"seq"`
}

// Requirement is what one approval policy asks for: Count distinct
// approvers holding one of Roles (any role when empty), whether the
// requester may be one of them, and how long the request stays open.
type Requirement struct {
	Policy            string        `json:"policy"`
	Roles             []string      `json:"roles,omitempty"`
	Count             int           `json:"count"`
	AllowSelfApproval bool          `json:"allow_self_approval,omitempty"`
	Expiry            time.Duration `json:"-"`
}

// requirementJSON is Requirement as JSON: the expiry as a Go duration
// string ("24h0m0s"), readable by a person and by time.ParseDuration.
type requirementJSON struct {
	Policy            string   `json:"policy"`
	Roles             []string `json:"roles,omitempty"`
	Count             int      `json:"count"`
	AllowSelfApproval bool     `json:"allow_self_approval,omitempty"`
	Expiry            string   `json:"expiry"`
}

// MarshalJSON writes the expiry as a duration string.
func (r Requirement) MarshalJSON() ([]byte, error) {
	return json.Marshal(requirementJSON{Policy: r.Policy, Roles: r.Roles, Count: r.Count, AllowSelfApproval: r.AllowSelfApproval, Expiry: r.Expiry.String()})
}

// UnmarshalJSON reads the expiry as a duration string, or as a number of
// nanoseconds (the form requests were first stored in).
func (r *Requirement) UnmarshalJSON(b []byte) error {
	var raw struct {
		requirementJSON
		Expiry json.RawMessage `json:"expiry"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = Requirement{Policy: raw.Policy, Roles: raw.Roles, Count: raw.Count, AllowSelfApproval: raw.AllowSelfApproval}
	if len(raw.Expiry) == 0 || string(raw.Expiry) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw.Expiry, &s); err == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("requirement expiry %q: %w", s, err)
		}
		r.Expiry = d
		return nil
	}
	var n int64
	if err := json.Unmarshal(raw.Expiry, &n); err != nil {
		return fmt.Errorf("requirement expiry %s: want a duration like \"24h\"", raw.Expiry)
	}
	r.Expiry = time.Duration(n)
	return nil
}

// Vote is one approver's decision on a request.
type Vote struct {
	Approver string    `json:"approver"` // email
	Roles    []string  `json:"roles,omitempty"`
	Approve  bool      `json:"approve"`
	Reason   string    `json:"reason,omitempty"`
	Time     time.Time `json:"time"`
	// Record is the run id of the approval record the vote was sealed
	// in (the chain entry), set by the store.
	Record string `json:"record,omitempty"`
}

// ApprovalRequest is a held action waiting for (or past) a decision.
type ApprovalRequest struct {
	ID      string  `json:"id"`      // "apr_" and 26 base32 characters
	Binding Binding `json:"binding"` // what exactly is to be approved
	// BindingDigest is Digest(Binding).
	BindingDigest string        `json:"binding_digest"`
	Requirements  []Requirement `json:"requirements"`
	// RunID is the run that asked first; Runs every run held on it or
	// that performed it.
	RunID   string    `json:"run_id"`
	State   string    `json:"state"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Votes   []Vote    `json:"votes,omitempty"`
	// Decided is when the request left pending (zero while pending).
	Decided time.Time `json:"decided,omitzero"`
	// Args are the held action's arguments with secrets redacted, for
	// the approver to read; Reasons the policies' reasons for holding.
	Args    map[string]any `json:"args,omitempty"`
	Reasons []string       `json:"reasons,omitempty"`
}

// ApprovalFilter selects requests for ListApprovals; the zero value
// selects all of them, newest first.
type ApprovalFilter struct {
	State string // only this state ("" for any); expired is computed with Now
	Actor string // only requests of this requester
	RunID string // only requests this run made
	Limit int
	Now   time.Time
}

// ErrApprovalNotFound is returned for an unknown request id.
var ErrApprovalNotFound = errors.New("approval request not found")

// ApprovalError refuses a vote: Code is one of not_pending, expired,
// self_approval, not_an_approver, already_voted.
type ApprovalError struct{ Code, Message string }

func (e *ApprovalError) Error() string { return e.Code + ": " + e.Message }

// Approvals stores approval requests and their votes. The SQLite and
// Postgres stores implement it (in the same database as the ledger, so
// every runner sharing the store sees one set of requests).
type Approvals interface {
	// RequestApproval returns the live request for req.BindingDigest
	// (pending, or approved/denied and not yet expired), or records req
	// as a new pending one (created true). The store assigns ID and
	// State when it creates.
	RequestApproval(ctx context.Context, req ApprovalRequest) (ApprovalRequest, bool, error)
	// Approval returns one request by id (ErrApprovalNotFound), with
	// State computed at now.
	Approval(ctx context.Context, id string, now time.Time) (ApprovalRequest, error)
	// ListApprovals returns the requests f selects, newest first.
	ListApprovals(ctx context.Context, f ApprovalFilter) ([]ApprovalRequest, error)
	// Vote records v on request id atomically with its approval record
	// (appended to the chain in the same transaction, signed like a
	// receipt) and returns the request as it then is. It refuses with an
	// *ApprovalError a request that is not pending, is expired, a vote by
	// the requester when no requirement allows it, an approver with none
	// of the roles, and a second vote by the same approver. One deny
	// denies; the request is approved when every requirement has Count
	// distinct approvers.
	Vote(ctx context.Context, id string, v Vote) (ApprovalRequest, error)
}
