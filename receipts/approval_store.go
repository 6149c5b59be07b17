package receipts

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/enact-run/enact/internal/lazyre"
)

// The approvals of the database stores. Both keep requests and votes in
// two tables beside the chain (migrations 0004_approvals.sql in SQLite,
// 0003_approvals.sql in Postgres) and share the rules below; each store
// brings its own locking: SQLite its write lock (BEGIN IMMEDIATE), Postgres
// an advisory lock per binding digest for requests and the request's row
// lock for votes. A vote's approval record is appended to the chain inside
// the vote's transaction, under the same head-record discipline as Append.

// Limits on what RequestApproval and Vote accept.
const (
	maxRequirements = 16   // requirements per request
	maxApprovals    = 10   // Requirement.Count
	maxVoteReason   = 2000 // bytes of Vote.Reason
	maxApprover     = 254  // bytes of Vote.Approver (an email)
)

var (
	approvalIDPattern = lazyre.New(`^apr_[a-z2-7]{26}$`)
	approvalIDs       = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
)

// newApprovalID returns "apr_" and 26 base32 characters of 128 random bits.
func newApprovalID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "apr_" + approvalIDs.EncodeToString(b[:])
}

// approvalRecordID is the run id of the n-th vote's approval record.
func approvalRecordID(request string, n int) string { return fmt.Sprintf("apv-%s-%d", request, n) }

// unixTime is a stored time (unix nanoseconds) as a UTC time; 0 is the zero time.
func unixTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// unixNanos is a time as stored: unix nanoseconds, 0 for the zero time.
func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// stateAt is a request's state at now: a pending request whose expiry is
// not after now is expired; the other states are final.
func stateAt(stored string, expires, now time.Time) string {
	if stored == ApprovalPending && !expires.After(now) {
		return ApprovalExpired
	}
	return stored
}

// prepareRequest checks a new request and fills in what the store assigns:
// the id, the state, the binding digest, and the creation and expiry
// times when they are zero (now, and now plus the shortest requirement's
// expiry).
func prepareRequest(req ApprovalRequest, now time.Time) (ApprovalRequest, error) {
	bad := func(format string, args ...any) (ApprovalRequest, error) {
		return ApprovalRequest{}, fmt.Errorf("receipts: request approval: "+format, args...)
	}
	b := req.Binding
	switch {
	case b.CapabilityID == "":
		return bad("binding.capability_id is empty")
	case b.Action == "":
		return bad("binding.action is empty")
	case b.Actor == "":
		return bad("binding.actor is empty")
	case b.Actor != strings.ToLower(b.Actor):
		return bad("binding.actor %q: want lower case", b.Actor)
	case !digestPattern.MatchString(b.ArgsDigest):
		return bad("binding.args_digest %q: want sha256:<64 lowercase hex>", b.ArgsDigest)
	case b.Seq < 1:
		return bad("binding.seq %d: want 1 or more", b.Seq)
	case !runIDPattern.MatchString(req.RunID):
		return bad("run_id %q: want 1-128 of [A-Za-z0-9._-], not starting with '.', '_' or '-'", req.RunID)
	case len(req.Requirements) == 0:
		return bad("requirements: none; a request needs at least one")
	case len(req.Requirements) > maxRequirements:
		return bad("requirements: %d, at most %d", len(req.Requirements), maxRequirements)
	}
	digest, err := Digest(b)
	if err != nil {
		return bad("binding: %v", err)
	}
	if req.BindingDigest != "" && req.BindingDigest != digest {
		return bad("binding_digest %s is not the digest of the binding (%s)", req.BindingDigest, digest)
	}
	req.BindingDigest = digest
	var shortest time.Duration
	for i, r := range req.Requirements {
		switch {
		case r.Count < 1 || r.Count > maxApprovals:
			return bad("requirements[%d].count %d: want 1 to %d", i, r.Count, maxApprovals)
		case r.Expiry <= 0:
			return bad("requirements[%d].expiry %s: want more than 0", i, r.Expiry)
		case slices.Contains(r.Roles, ""):
			return bad("requirements[%d].roles: an empty role", i)
		}
		if shortest == 0 || r.Expiry < shortest {
			shortest = r.Expiry
		}
	}
	if req.Created.IsZero() {
		req.Created = now
	}
	if req.Expires.IsZero() {
		req.Expires = req.Created.Add(shortest)
	}
	req.Created, req.Expires = unixTime(req.Created.UnixNano()), unixTime(req.Expires.UnixNano())
	if !req.Expires.After(req.Created) {
		return bad("expires %s: want after created %s", req.Expires.Format(time.RFC3339Nano), req.Created.Format(time.RFC3339Nano))
	}
	req.ID, req.State, req.Votes, req.Decided = newApprovalID(), ApprovalPending, nil, time.Time{}
	return req, nil
}

// Qualifies reports whether an approver holding roles counts for r: the
// approver holds one of r's roles, or any role when r names none (an
// actor the policy file gives no role to approves nothing). Vote judges
// approvers by it; surfaces use it to show who may vote.
func (r Requirement) Qualifies(roles []string) bool {
	if len(r.Roles) == 0 {
		return slices.ContainsFunc(roles, func(role string) bool { return role != "" })
	}
	for _, have := range roles {
		if slices.Contains(r.Roles, have) {
			return true
		}
	}
	return false
}

// checkVote checks a vote's own fields and normalises the approver.
func checkVote(v Vote) (Vote, error) {
	v.Approver = strings.ToLower(strings.TrimSpace(v.Approver))
	switch {
	case v.Approver == "":
		return v, errors.New("receipts: vote: approver is empty")
	case len(v.Approver) > maxApprover:
		return v, fmt.Errorf("receipts: vote: approver is %d bytes, at most %d", len(v.Approver), maxApprover)
	case len(v.Reason) > maxVoteReason:
		return v, fmt.Errorf("receipts: vote: reason is %d bytes, at most %d", len(v.Reason), maxVoteReason)
	}
	return v, nil
}

// judgeVote decides vote v on req (read under its lock) at time at: the
// request's state after it, or the *ApprovalError that refuses it.
func judgeVote(req *ApprovalRequest, v Vote, at time.Time) (string, error) {
	refuse := func(code, format string, args ...any) (string, error) {
		return "", &ApprovalError{Code: code, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case req.State != ApprovalPending:
		return refuse("not_pending", "approval %s is already %s", req.ID, req.State)
	case !req.Expires.After(at):
		return refuse("expired", "approval %s expired at %s", req.ID, req.Expires.Format(time.RFC3339))
	}
	for _, old := range req.Votes {
		if old.Approver == v.Approver {
			return refuse("already_voted", "%s already voted on approval %s", v.Approver, req.ID)
		}
	}
	self := v.Approver == req.Binding.Actor
	counts, selfAllowed := 0, true
	for _, r := range req.Requirements {
		if r.Qualifies(v.Roles) {
			counts++
			selfAllowed = selfAllowed && r.AllowSelfApproval
		}
	}
	if counts == 0 {
		return refuse("not_an_approver", "%s holds none of the roles that may decide approval %s (%s)", v.Approver, req.ID, rolesWanted(req.Requirements))
	}
	if self && !selfAllowed {
		return refuse("self_approval", "%s asked for approval %s and may not decide it", v.Approver, req.ID)
	}
	if !v.Approve {
		return ApprovalDenied, nil
	}
	votes := append(slices.Clone(req.Votes), v)
	for _, r := range req.Requirements {
		n := 0
		for _, w := range votes {
			if w.Approve && r.Qualifies(w.Roles) && (w.Approver != req.Binding.Actor || r.AllowSelfApproval) {
				n++
			}
		}
		if n < r.Count {
			return ApprovalPending, nil
		}
	}
	return ApprovalApproved, nil
}

// rolesWanted says which roles the requirements accept.
func rolesWanted(rs []Requirement) string {
	var roles []string
	for _, r := range rs {
		if len(r.Roles) == 0 {
			return "any role"
		}
		for _, role := range r.Roles {
			if !slices.Contains(roles, role) {
				roles = append(roles, role)
			}
		}
	}
	return "roles " + strings.Join(roles, ", ")
}

// approvalRecord is the chain entry of vote v (its Record set) on req,
// after which the request is in state.
func approvalRecord(req *ApprovalRequest, v Vote, state string) *Receipt {
	decision := DecisionDenied
	if v.Approve {
		decision = DecisionApproved
	}
	b := req.Binding
	return &Receipt{
		RunID:      v.Record,
		Capability: Capability{ID: b.CapabilityID, Version: b.CapabilityVersion, Digest: b.CapabilityDigest},
		Actor:      Actor{Email: v.Approver, Roles: slices.Clone(v.Roles)},
		Decision:   decision,
		Status:     "approval",
		Approval: &ApprovalRecord{
			Request: req.ID, Binding: b, BindingDigest: req.BindingDigest,
			Approve: v.Approve, Reason: v.Reason, State: state,
		},
		Started:  v.Time,
		Finished: v.Time,
	}
}

// approvalDB is a store's transaction as the shared approval queries use
// it: queries and statements with ? placeholders.
type approvalDB interface {
	querier
	exec(ctx context.Context, stmt string, args ...any) error
}

// approvalColumns are the columns loadApprovals scans, in its order.
const approvalColumns = `id, binding_digest, binding, requirements, run_id, state, created, expires, decided, args, reasons`

// loadApprovals reads the requests a query over approvalColumns selects,
// with their votes, in the query's order.
func loadApprovals(ctx context.Context, q querier, stmt string, args ...any) ([]ApprovalRequest, error) {
	var out []ApprovalRequest
	err := collect(ctx, q, func(row rowScanner) error {
		var (
			r                         ApprovalRequest
			binding, reqs, argv, why  string
			created, expires, decided int64
		)
		if err := row.Scan(&r.ID, &r.BindingDigest, &binding, &reqs, &r.RunID, &r.State, &created, &expires, &decided, &argv, &why); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(binding), &r.Binding); err != nil {
			return fmt.Errorf("approval %s: binding: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(reqs), &r.Requirements); err != nil {
			return fmt.Errorf("approval %s: requirements: %w", r.ID, err)
		}
		if argv != "" {
			if err := json.Unmarshal([]byte(argv), &r.Args); err != nil {
				return fmt.Errorf("approval %s: args: %w", r.ID, err)
			}
		}
		if why != "" {
			if err := json.Unmarshal([]byte(why), &r.Reasons); err != nil {
				return fmt.Errorf("approval %s: reasons: %w", r.ID, err)
			}
		}
		r.Created, r.Expires, r.Decided = unixTime(created), unixTime(expires), unixTime(decided)
		out = append(out, r)
		return nil
	}, stmt, args...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Votes, err = loadVotes(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadVotes reads a request's votes in the order they were cast.
func loadVotes(ctx context.Context, q querier, id string) ([]Vote, error) {
	var votes []Vote
	err := collect(ctx, q, func(row rowScanner) error {
		var (
			v     Vote
			roles string
			at    int64
		)
		if err := row.Scan(&v.Approver, &roles, &v.Approve, &v.Reason, &at, &v.Record); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(roles), &v.Roles); err != nil {
			return fmt.Errorf("approval %s: vote of %s: roles: %w", id, v.Approver, err)
		}
		v.Time = unixTime(at)
		votes = append(votes, v)
		return nil
	}, `SELECT approver, roles, approve, reason, time, record FROM approval_votes WHERE request = ? ORDER BY n`, id)
	return votes, err
}

// loadApproval reads one request (ErrApprovalNotFound); lock is appended
// to the query (" FOR UPDATE" in Postgres).
func loadApproval(ctx context.Context, q querier, id, lock string) (ApprovalRequest, error) {
	if !approvalIDPattern.MatchString(id) {
		return ApprovalRequest{}, fmt.Errorf("%w: %q is not an approval id (apr_ and 26 of [a-z2-7])", ErrApprovalNotFound, id)
	}
	rs, err := loadApprovals(ctx, q, `SELECT `+approvalColumns+` FROM approval_requests WHERE id = ?`+lock, id)
	if err != nil {
		return ApprovalRequest{}, err
	}
	if len(rs) == 0 {
		return ApprovalRequest{}, fmt.Errorf("%w: %s", ErrApprovalNotFound, id)
	}
	return rs[0], nil
}

// requestApprovalTx returns the live request of req's binding at now, or
// inserts req (prepared) and returns it with created true. The caller
// holds the lock that serialises requests of one binding.
func requestApprovalTx(ctx context.Context, db approvalDB, req ApprovalRequest, now time.Time) (ApprovalRequest, bool, error) {
	live, err := loadApprovals(ctx, db, `SELECT `+approvalColumns+` FROM approval_requests
		WHERE binding_digest = ? AND expires > ? ORDER BY created DESC, n DESC LIMIT 1`, req.BindingDigest, now.UnixNano())
	if err != nil {
		return ApprovalRequest{}, false, err
	}
	if len(live) == 1 {
		r := live[0]
		r.State = stateAt(r.State, r.Expires, now)
		return r, false, nil
	}
	binding, err := json.Marshal(req.Binding)
	if err != nil {
		return ApprovalRequest{}, false, err
	}
	reqs, err := json.Marshal(req.Requirements)
	if err != nil {
		return ApprovalRequest{}, false, err
	}
	var argv, why string
	if req.Args != nil {
		b, err := json.Marshal(req.Args)
		if err != nil {
			return ApprovalRequest{}, false, fmt.Errorf("args: %w", err)
		}
		argv = string(b)
	}
	if req.Reasons != nil {
		b, _ := json.Marshal(req.Reasons)
		why = string(b)
	}
	if err := db.exec(ctx, `INSERT INTO approval_requests (id, binding_digest, binding, requirements, actor, run_id, state,
		created, expires, decided, args, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
		req.ID, req.BindingDigest, string(binding), string(reqs), req.Binding.Actor, req.RunID, req.State,
		req.Created.UnixNano(), req.Expires.UnixNano(), argv, why); err != nil {
		return ApprovalRequest{}, false, err
	}
	if argv != "" { // as a reader will see them
		req.Args = nil
		_ = json.Unmarshal([]byte(argv), &req.Args)
	}
	return req, true, nil
}

// voteTx records vote v on request id inside the caller's transaction:
// lock is the row lock clause of the request's read, and appendRecord
// appends the approval record to the chain in the same transaction.
func voteTx(ctx context.Context, db approvalDB, id string, v Vote, lock string, appendRecord func(*Receipt) error) (ApprovalRequest, error) {
	req, err := loadApproval(ctx, db, id, lock)
	if err != nil {
		return ApprovalRequest{}, err
	}
	at := time.Now()
	if v.Time.IsZero() {
		v.Time = at
	} else if v.Time.After(at) {
		at = v.Time
	}
	v.Time = unixTime(v.Time.UnixNano())
	state, err := judgeVote(&req, v, at)
	if err != nil {
		return ApprovalRequest{}, err
	}
	n := len(req.Votes) + 1
	v.Record = approvalRecordID(req.ID, n)
	roles, _ := json.Marshal(emptyIfNil(v.Roles))
	if err := db.exec(ctx, `INSERT INTO approval_votes (request, n, approver, roles, approve, reason, time, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, req.ID, n, v.Approver, string(roles), v.Approve, v.Reason, v.Time.UnixNano(), v.Record); err != nil {
		return ApprovalRequest{}, err
	}
	if state != ApprovalPending {
		req.Decided = v.Time
	}
	if err := db.exec(ctx, `UPDATE approval_requests SET state = ?, decided = ? WHERE id = ?`, state, unixNanos(req.Decided), req.ID); err != nil {
		return ApprovalRequest{}, err
	}
	if err := appendRecord(approvalRecord(&req, v, state)); err != nil {
		return ApprovalRequest{}, err
	}
	req.State, req.Votes = state, append(req.Votes, v)
	return req, nil
}

// approvalListQuery is the query of ListApprovals for f at now.
func approvalListQuery(f ApprovalFilter, now time.Time) (string, []any, error) {
	stmt := `SELECT ` + approvalColumns + ` FROM approval_requests WHERE 1 = 1`
	var args []any
	switch f.State {
	case "":
	case ApprovalPending:
		stmt += ` AND state = 'pending' AND expires > ?`
		args = append(args, now.UnixNano())
	case ApprovalExpired:
		stmt += ` AND state = 'pending' AND expires <= ?`
		args = append(args, now.UnixNano())
	case ApprovalApproved, ApprovalDenied:
		stmt += ` AND state = ?`
		args = append(args, f.State)
	default:
		return "", nil, fmt.Errorf("receipts: list approvals: state %q: want pending, approved, denied or expired", f.State)
	}
	if f.Actor != "" {
		stmt += ` AND actor = ?`
		args = append(args, strings.ToLower(f.Actor))
	}
	if f.RunID != "" {
		stmt += ` AND run_id = ?`
		args = append(args, f.RunID)
	}
	stmt += ` ORDER BY created DESC, n DESC`
	if f.Limit > 0 {
		stmt += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return stmt, args, nil
}

// listApprovals runs ListApprovals' query and computes each state at now.
func listApprovals(ctx context.Context, q querier, f ApprovalFilter) ([]ApprovalRequest, error) {
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	stmt, args, err := approvalListQuery(f, now)
	if err != nil {
		return nil, err
	}
	out, err := loadApprovals(ctx, q, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("receipts: list approvals: %w", err)
	}
	for i := range out {
		out[i].State = stateAt(out[i].State, out[i].Expires, now)
	}
	return out, nil
}
