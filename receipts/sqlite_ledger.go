package receipts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The SQLite store's Ledger. Every write is its own immediate transaction
// committed with synchronous=FULL: when a method returns, the record is on
// disk. Owners are judged alive by probing their pid on this host.

// ClaimKey implements Ledger. A key whose run finished is answered from a
// read (a retry storm of finished keys takes no write lock); any other
// claim is decided in an immediate transaction, so claims serialise.
func (s *SQLiteStore) ClaimKey(ctx context.Context, key, digest, runID string, retention time.Duration) (Claim, error) {
	if c, ok := s.finishedClaim(ctx, key, digest, retention); ok {
		return c, nil
	}
	done, err := s.write(ctx)
	if err != nil {
		return Claim{}, fmt.Errorf("receipts: claim %q: %w", key, err)
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, nil) // immediate: claims serialise
	if err != nil {
		return Claim{}, fmt.Errorf("receipts: claim %q: %w", key, err)
	}
	defer tx.Rollback()
	// The store's clock never runs backwards: a wall clock set back does
	// not make old keys young, and expiry is judged against the newest
	// time the ledger has seen as well as the wall clock.
	now := time.Now().UnixNano()
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(updated) FROM run_keys`).Scan(&newest); err != nil {
		return Claim{}, err
	}
	if newest.Valid && newest.Int64 > now {
		now = newest.Int64
	}
	var c keyRow
	err = tx.QueryRowContext(ctx, `SELECT digest, run_id, state, result, owner, updated FROM run_keys WHERE key = ?`, key).
		Scan(&c.digest, &c.runID, &c.state, &c.result, &c.owner, &c.updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Claim{}, err
	default:
		refused, err := judgeClaim(c, digest, now, retention,
			func(o string) (bool, error) { return localOwnerAlive(o), nil },
			func(run string) (n int, err error) {
				err = tx.QueryRowContext(ctx, `SELECT count(*) FROM journal WHERE run_id = ? AND state IN ('intent', 'ambiguous')`, run).Scan(&n)
				return n, err
			})
		if err != nil {
			return Claim{}, err
		}
		if refused != nil {
			return *refused, nil
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO run_keys (key, digest, run_id, state, owner, created, updated)
		VALUES (?, ?, ?, 'running', ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET digest = excluded.digest, run_id = excluded.run_id, state = 'running',
			result = NULL, owner = excluded.owner, created = excluded.created, updated = excluded.updated`,
		key, digest, runID, owner, now, now); err != nil {
		return Claim{}, err
	}
	if err := tx.Commit(); err != nil {
		return Claim{}, fmt.Errorf("receipts: claim %q: %w", key, err)
	}
	return Claim{State: ClaimNew, RunID: runID}, nil
}

// finishedClaim answers a claim of a finished, unexpired key (replay or
// mismatch) without a write transaction; ok is false for every other key.
func (s *SQLiteStore) finishedClaim(ctx context.Context, key, digest string, retention time.Duration) (Claim, bool) {
	var (
		c      keyRow
		newest sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, `SELECT digest, run_id, state, result, owner, updated, (SELECT max(updated) FROM run_keys) FROM run_keys WHERE key = ?`, key).
		Scan(&c.digest, &c.runID, &c.state, &c.result, &c.owner, &c.updated, &newest)
	if err != nil {
		return Claim{}, false
	}
	return answerFinished(c, digest, max(time.Now().UnixNano(), newest.Int64), retention)
}

// FinishKey implements Ledger.
func (s *SQLiteStore) FinishKey(ctx context.Context, key, runID string, result json.RawMessage) error {
	return s.closeKey(ctx, "finish", key, runID, "finished", result)
}

// ReleaseKey implements Ledger.
func (s *SQLiteStore) ReleaseKey(ctx context.Context, key, runID string) error {
	return s.closeKey(ctx, "release", key, runID, "released", nil)
}

func (s *SQLiteStore) closeKey(ctx context.Context, verb, key, runID, state string, result json.RawMessage) error {
	done, err := s.write(ctx)
	if err != nil {
		return fmt.Errorf("receipts: %s key %q: %w", verb, key, err)
	}
	defer done()
	res, err := s.db.ExecContext(ctx, `UPDATE run_keys SET state = ?, result = ?, updated = max(updated, ?) WHERE key = ? AND run_id = ? AND state = 'running'`,
		state, []byte(result), time.Now().UnixNano(), key, runID)
	if err != nil {
		return fmt.Errorf("receipts: %s key %q: %w", verb, key, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("receipts: %s key %q: run %s does not hold it", verb, key, runID)
	}
	return nil
}

// Intend implements Ledger: the run's description (with its first
// intent) and the intent are committed together before Intend returns.
func (s *SQLiteStore) Intend(ctx context.Context, in Intent) error {
	done, err := s.write(ctx)
	if err != nil {
		return fmt.Errorf("receipts: journal intent %s#%d: %w", in.Run.RunID, in.Seq, err)
	}
	defer done()
	meta, err := json.Marshal(in.Run)
	if err != nil {
		return err
	}
	now := time.Now().UnixNano()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("receipts: journal intent %s#%d: %w", in.Run.RunID, in.Seq, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO runs (run_id, run_key, owner, meta, created) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (run_id) DO NOTHING`, in.Run.RunID, in.Run.Key, owner, meta, now); err != nil {
		return fmt.Errorf("receipts: journal intent %s#%d: %w", in.Run.RunID, in.Seq, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO journal (run_id, seq, action, args_digest, action_key, args, state, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, 'intent', ?, ?)`, in.Run.RunID, in.Seq, in.Action, in.ArgsDigest, in.ActionKey, []byte(in.Args), now, now); err != nil {
		return fmt.Errorf("receipts: journal intent %s#%d: %w", in.Run.RunID, in.Seq, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("receipts: journal intent %s#%d: %w", in.Run.RunID, in.Seq, err)
	}
	return nil
}

// Outcome implements Ledger. The arguments are dropped unless the action
// stays open.
func (s *SQLiteStore) Outcome(ctx context.Context, runID string, seq int64, state string, detail json.RawMessage) error {
	done, err := s.write(ctx)
	if err != nil {
		return fmt.Errorf("receipts: journal outcome %s#%d: %w", runID, seq, err)
	}
	defer done()
	if err := validOutcome(state); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE journal SET state = ?, detail = ?, updated = ?,
		args = CASE WHEN ? = 'ambiguous' THEN args END WHERE run_id = ? AND seq = ?`,
		state, []byte(detail), time.Now().UnixNano(), state, runID, seq)
	if err != nil {
		return fmt.Errorf("receipts: journal outcome %s#%d: %w", runID, seq, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("receipts: journal outcome %s#%d: no such intent", runID, seq)
	}
	return nil
}

// Unfinished implements Ledger.
func (s *SQLiteStore) Unfinished(ctx context.Context) ([]UnfinishedRun, error) {
	done, err := s.write(ctx)
	if err != nil {
		return nil, fmt.Errorf("receipts: unfinished runs: %w", err)
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("receipts: unfinished runs: %w", err)
	}
	defer tx.Rollback()
	out, err := unfinished(ctx, sqliteQuerier{tx}, func(o string) (bool, error) { return localOwnerAlive(o), nil })
	if err != nil {
		return nil, fmt.Errorf("receipts: unfinished runs: %w", err)
	}
	return out, nil
}

// TakeOver implements Ledger.
func (s *SQLiteStore) TakeOver(ctx context.Context, runID, from string) (bool, error) {
	done, err := s.write(ctx)
	if err != nil {
		return false, fmt.Errorf("receipts: take over run %s: %w", runID, err)
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("receipts: take over run %s: %w", runID, err)
	}
	defer tx.Rollback()
	var n int64
	for _, q := range []string{
		`UPDATE runs SET owner = ? WHERE run_id = ? AND owner = ?`,
		`UPDATE run_keys SET owner = ? WHERE run_id = ? AND owner = ? AND state = 'running'`,
	} {
		res, err := tx.ExecContext(ctx, q, owner, runID, from)
		if err != nil {
			return false, fmt.Errorf("receipts: take over run %s: %w", runID, err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	if n == 0 {
		return false, nil
	}
	return true, tx.Commit()
}

// Abandon implements Ledger.
func (s *SQLiteStore) Abandon(ctx context.Context, runID string) error {
	return s.abandon(ctx, runID, owner)
}

func (s *SQLiteStore) abandon(ctx context.Context, runID, self string) error {
	done, err := s.write(ctx)
	if err != nil {
		return fmt.Errorf("receipts: abandon run %s: %w", runID, err)
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("receipts: abandon run %s: %w", runID, err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`UPDATE runs SET owner = '' WHERE run_id = ? AND owner = ?`,
		`UPDATE run_keys SET owner = '' WHERE run_id = ? AND owner = ? AND state = 'running'`,
	} {
		if _, err := tx.ExecContext(ctx, q, runID, self); err != nil {
			return fmt.Errorf("receipts: abandon run %s: %w", runID, err)
		}
	}
	return tx.Commit()
}

// Prune implements Ledger.
func (s *SQLiteStore) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	done, err := s.write(ctx)
	if err != nil {
		return 0, fmt.Errorf("receipts: prune: %w", err)
	}
	defer done()
	now := time.Now().UnixNano()
	cutoff := now - int64(retention)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("receipts: prune: %w", err)
	}
	defer tx.Rollback()
	var total int64
	for _, d := range []struct {
		stmt   string
		before int64
	}{
		{`DELETE FROM run_keys WHERE state IN ('finished', 'released') AND updated < ?`, cutoff},
		{`DELETE FROM journal WHERE run_id IN (SELECT r.run_id FROM runs r JOIN receipts x ON x.run_id = r.run_id WHERE r.created < ?)`, cutoff},
		{`DELETE FROM runs WHERE created < ? AND run_id IN (SELECT run_id FROM receipts)`, cutoff},
		{`DELETE FROM counter_events WHERE expires < ?`, now},
	} {
		res, err := tx.ExecContext(ctx, d.stmt, d.before)
		if err != nil {
			return 0, fmt.Errorf("receipts: prune: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, tx.Commit()
}

// sqliteQuerier adapts a database or transaction to the shared queries.
type sqliteQuerier struct {
	db interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

func (q sqliteQuerier) query(ctx context.Context, stmt string, args ...any) (rowScanner, error) {
	return q.db.QueryContext(ctx, stmt, args...)
}
