package receipts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Both database stores keep approvals.
var (
	_ Approvals = (*SQLiteStore)(nil)
	_ Approvals = (*PostgresStore)(nil)
)

// sqliteTx adapts an SQLite transaction to the shared approval queries.
type sqliteTx struct{ tx *sql.Tx }

func (t sqliteTx) query(ctx context.Context, stmt string, args ...any) (rowScanner, error) {
	return t.tx.QueryContext(ctx, stmt, args...)
}

func (t sqliteTx) exec(ctx context.Context, stmt string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, stmt, args...)
	return err
}

// pgTx adapts a Postgres transaction to the shared approval queries.
type pgTx struct{ tx pgx.Tx }

func (t pgTx) query(ctx context.Context, stmt string, args ...any) (rowScanner, error) {
	return t.tx.Query(ctx, rebind(stmt), args...)
}

func (t pgTx) exec(ctx context.Context, stmt string, args ...any) error {
	_, err := t.tx.Exec(ctx, rebind(stmt), args...)
	return err
}

// writeTx runs fn in an immediate transaction holding this process's write
// turn and commits it when fn succeeds.
func (s *SQLiteStore) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	done, err := s.write(ctx)
	if err != nil {
		return err
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: requests and votes serialise
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// readTx runs fn in a read-only transaction: one consistent snapshot.
func (s *SQLiteStore) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// RequestApproval implements Approvals. Requests serialise on the write
// lock, so concurrent callers for one binding get one request.
func (s *SQLiteStore) RequestApproval(ctx context.Context, req ApprovalRequest) (ApprovalRequest, bool, error) {
	now := time.Now()
	req, err := prepareRequest(req, now)
	if err != nil {
		return ApprovalRequest{}, false, err
	}
	var (
		out     ApprovalRequest
		created bool
	)
	err = s.writeTx(ctx, func(tx *sql.Tx) (err error) {
		out, created, err = requestApprovalTx(ctx, sqliteTx{tx}, req, now)
		return err
	})
	if err != nil {
		return ApprovalRequest{}, false, fmt.Errorf("receipts: request approval of %s: %w", req.Binding.Action, err)
	}
	return out, created, nil
}

// Approval implements Approvals.
func (s *SQLiteStore) Approval(ctx context.Context, id string, now time.Time) (ApprovalRequest, error) {
	var r ApprovalRequest
	err := s.readTx(ctx, func(tx *sql.Tx) (err error) {
		r, err = loadApproval(ctx, sqliteTx{tx}, id, "")
		return err
	})
	return approvalAt(r, err, now)
}

// approvalAt is what Approval returns for a request read from a
// database: the read's error wrapped, or the request with its state as of
// now (the current time when now is zero).
func approvalAt(r ApprovalRequest, err error, now time.Time) (ApprovalRequest, error) {
	if err != nil {
		return ApprovalRequest{}, fmt.Errorf("receipts: approval: %w", err)
	}
	if now.IsZero() {
		now = time.Now()
	}
	r.State = stateAt(r.State, r.Expires, now)
	return r, nil
}

// ListApprovals implements Approvals.
func (s *SQLiteStore) ListApprovals(ctx context.Context, f ApprovalFilter) ([]ApprovalRequest, error) {
	var out []ApprovalRequest
	err := s.readTx(ctx, func(tx *sql.Tx) (err error) {
		out, err = listApprovals(ctx, sqliteTx{tx}, f)
		return err
	})
	return out, err
}

// Vote implements Approvals: the vote, the request's new state and the
// approval record are written in one immediate transaction. The record
// does not go through Append's group commit but is sealed inside the
// vote's transaction after the chain's last receipt: the write lock that
// transaction holds is the one every group commit takes, so the chain's
// order is that of the commits and the vote and its record are on disk
// together or not at all.
func (s *SQLiteStore) Vote(ctx context.Context, id string, v Vote) (ApprovalRequest, error) {
	v, err := checkVote(v)
	if err != nil {
		return ApprovalRequest{}, err
	}
	var (
		out    ApprovalRequest
		record *pending
	)
	err = s.writeTx(ctx, func(tx *sql.Tx) (err error) {
		out, err = voteTx(ctx, sqliteTx{tx}, id, v, "", func(r *Receipt) error {
			record = &pending{r: r}
			_, _, err := s.appendTx(ctx, tx, []*pending{record})
			if err == nil {
				err = record.err
			}
			return err
		})
		return err
	})
	return voteResult(out, id, err)
}

// voteResult returns a vote's outcome: a refusal as the *ApprovalError
// itself, other errors wrapped.
func voteResult(out ApprovalRequest, id string, err error) (ApprovalRequest, error) {
	if ae, ok := err.(*ApprovalError); ok {
		return ApprovalRequest{}, ae
	}
	if err != nil {
		return ApprovalRequest{}, fmt.Errorf("receipts: vote on approval %s: %w", id, err)
	}
	return out, nil
}

// approvalLock is the advisory lock key under which the requests of one
// binding are created.
func approvalLock(bindingDigest string) int64 {
	h := sha256.Sum256([]byte("enact-approval:" + bindingDigest))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// RequestApproval implements Approvals. Requests of one binding serialise
// on an advisory lock on its digest, across runners, so concurrent callers
// get one request.
func (s *PostgresStore) RequestApproval(ctx context.Context, req ApprovalRequest) (ApprovalRequest, bool, error) {
	now := time.Now()
	req, err := prepareRequest(req, now)
	if err != nil {
		return ApprovalRequest{}, false, err
	}
	var (
		out     ApprovalRequest
		created bool
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, approvalLock(req.BindingDigest)); err != nil {
			return err
		}
		out, created, err = requestApprovalTx(ctx, pgTx{tx}, req, now)
		return err
	})
	if err != nil {
		return ApprovalRequest{}, false, fmt.Errorf("receipts: request approval of %s: %w", req.Binding.Action, err)
	}
	return out, created, nil
}

// Approval implements Approvals.
func (s *PostgresStore) Approval(ctx context.Context, id string, now time.Time) (ApprovalRequest, error) {
	var r ApprovalRequest
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) (err error) {
		r, err = loadApproval(ctx, pgTx{tx}, id, "")
		return err
	})
	return approvalAt(r, err, now)
}

// ListApprovals implements Approvals.
func (s *PostgresStore) ListApprovals(ctx context.Context, f ApprovalFilter) ([]ApprovalRequest, error) {
	var out []ApprovalRequest
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) (err error) {
		out, err = listApprovals(ctx, pgTx{tx}, f)
		return err
	})
	return out, err
}

// Vote implements Approvals in one transaction: the request's row is
// locked (FOR UPDATE), so concurrent votes on it serialise on every
// runner, then the head record (as Append does), and the vote, the
// request's new state and the approval record commit together.
func (s *PostgresStore) Vote(ctx context.Context, id string, v Vote) (ApprovalRequest, error) {
	v, err := checkVote(v)
	if err != nil {
		return ApprovalRequest{}, err
	}
	var out ApprovalRequest
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		out, err = voteTx(ctx, pgTx{tx}, id, v, " FOR UPDATE", func(r *Receipt) error {
			record := &pending{r: r}
			_, _, err := s.appendTx(ctx, tx, []*pending{record})
			if err == nil {
				err = record.err
			}
			return err
		})
		return err
	})
	return voteResult(out, id, err)
}
