package receipts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Claim states: what a run key is when a run asks for it.
const (
	// ClaimNew: the key was free (or expired); the caller owns it now.
	ClaimNew = "new"
	// ClaimReplay: a run with this key finished; Result holds its outcome
	// and nothing may execute again.
	ClaimReplay = "replay"
	// ClaimInProgress: a live run holds the key.
	ClaimInProgress = "in_progress"
	// ClaimMismatch: the key was used for another capability or other
	// inputs.
	ClaimMismatch = "idempotency_mismatch"
	// ClaimAmbiguous: the run holding the key died after an action
	// started and before its outcome was recorded; a blind retry could
	// repeat the action, so it is refused until recovery reconciles it.
	ClaimAmbiguous = "ambiguous"
)

// Claim is the answer to ClaimKey.
type Claim struct {
	State string
	// RunID is the run that holds (or held) the key.
	RunID string
	// Result is the stored outcome of a finished run (ClaimReplay).
	Result json.RawMessage
	// Reason says why a claim was refused, for the caller's error.
	Reason string
}

// Ledger records run keys and the write-ahead journal of actions. The
// SQLite store implements it; runs use it through the gate and the client.
type Ledger interface {
	// ClaimKey takes a run key for runID, or says why it cannot: the key's
	// earlier run finished (replay), is running, was for another request
	// (digest differs), or died mid-action. Keys older than retention are
	// free again.
	ClaimKey(ctx context.Context, key, digest, runID string, retention time.Duration) (Claim, error)
	// FinishKey stores a finished run's outcome under its key.
	FinishKey(ctx context.Context, key, runID string, result json.RawMessage) error
	// Intend durably records that an action is about to reach a
	// connector. No side effect happens without this record.
	Intend(ctx context.Context, runID string, seq int64, action, argsDigest, actionKey string) error
	// Outcome records how an intended action ended ("completed" or
	// "failed") with its result or error.
	Outcome(ctx context.Context, runID string, seq int64, state string, detail json.RawMessage) error
}

const ledgerSchema = `CREATE TABLE IF NOT EXISTS run_keys (
	key      TEXT PRIMARY KEY,
	digest   TEXT NOT NULL,
	run_id   TEXT NOT NULL,
	state    TEXT NOT NULL,      -- running | finished
	result   BLOB,
	owner    TEXT NOT NULL,      -- host:pid of the process running it
	created  INTEGER NOT NULL,   -- unix nanoseconds
	updated  INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
	run_id      TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	action      TEXT NOT NULL,
	args_digest TEXT NOT NULL,
	action_key  TEXT NOT NULL,
	state       TEXT NOT NULL,   -- intent | completed | failed
	detail      BLOB,
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq));`

// owner identifies this process for the runs it holds.
func owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// ownerAlive reports whether the process that holds a run can still be
// running: another host's process is assumed alive (its run keeps the key
// until retention), a local one is probed with signal 0.
func ownerAlive(o string) bool {
	host, _ := os.Hostname()
	i := strings.LastIndexByte(o, ':')
	if i < 0 || o[:i] != host {
		return true
	}
	pid, err := strconv.Atoi(o[i+1:])
	if err != nil || pid <= 0 {
		return true
	}
	if pid == os.Getpid() {
		return true
	}
	return processAlive(pid)
}

// ClaimKey implements Ledger.
func (s *SQLiteStore) ClaimKey(ctx context.Context, key, digest, runID string, retention time.Duration) (Claim, error) {
	tx, err := s.db.BeginTx(ctx, nil) // immediate: claims serialise
	if err != nil {
		return Claim{}, fmt.Errorf("receipts: claim %q: %w", key, err)
	}
	defer tx.Rollback()
	now := time.Now().UnixNano()
	// The store's clock never runs backwards: a wall clock set back does
	// not make old keys young, and expiry is judged against the newest
	// time the ledger has seen as well as the wall clock.
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(updated) FROM run_keys`).Scan(&newest); err != nil {
		return Claim{}, err
	}
	if newest.Valid && newest.Int64 > now {
		now = newest.Int64
	}
	var c struct {
		digest, runID, state, owner string
		result                      []byte
		updated                     int64
	}
	err = tx.QueryRowContext(ctx, `SELECT digest, run_id, state, result, owner, updated FROM run_keys WHERE key = ?`, key).
		Scan(&c.digest, &c.runID, &c.state, &c.result, &c.owner, &c.updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Claim{}, err
	case now-c.updated > int64(retention):
		// Expired: the key is free again.
	case c.digest != digest:
		return Claim{State: ClaimMismatch, RunID: c.runID, Reason: "the key was used for a different capability or different inputs"}, nil
	case c.state == "finished":
		return Claim{State: ClaimReplay, RunID: c.runID, Result: c.result}, nil
	case ownerAlive(c.owner):
		return Claim{State: ClaimInProgress, RunID: c.runID, Reason: "run " + c.runID + " holds the key and is still running"}, nil
	default:
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM journal WHERE run_id = ? AND state = 'intent'`, c.runID).Scan(&open); err != nil {
			return Claim{}, err
		}
		if open > 0 {
			return Claim{State: ClaimAmbiguous, RunID: c.runID, Reason: fmt.Sprintf(
				"run %s stopped with %d action(s) started and no outcome recorded; run `enact-run recover` before retrying", c.runID, open)}, nil
		}
		// The holder died between actions: every action it started has
		// an outcome, so running again is safe (the actions' derived keys
		// let connectors find what it already did).
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO run_keys (key, digest, run_id, state, owner, created, updated)
		VALUES (?, ?, ?, 'running', ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET digest = excluded.digest, run_id = excluded.run_id, state = 'running',
			result = NULL, owner = excluded.owner, created = excluded.created, updated = excluded.updated`,
		key, digest, runID, owner(), now, now); err != nil {
		return Claim{}, err
	}
	if err := tx.Commit(); err != nil {
		return Claim{}, fmt.Errorf("receipts: claim %q: %w", key, err)
	}
	return Claim{State: ClaimNew, RunID: runID}, nil
}

// FinishKey implements Ledger.
func (s *SQLiteStore) FinishKey(ctx context.Context, key, runID string, result json.RawMessage) error {
	res, err := s.db.ExecContext(ctx, `UPDATE run_keys SET state = 'finished', result = ?, updated = max(updated, ?) WHERE key = ? AND run_id = ?`,
		[]byte(result), time.Now().UnixNano(), key, runID)
	if err != nil {
		return fmt.Errorf("receipts: finish key %q: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("receipts: finish key %q: run %s does not hold it", key, runID)
	}
	return nil
}

// Intend implements Ledger. The record is committed (synchronous=FULL)
// before Intend returns.
func (s *SQLiteStore) Intend(ctx context.Context, runID string, seq int64, action, argsDigest, actionKey string) error {
	now := time.Now().UnixNano()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO journal (run_id, seq, action, args_digest, action_key, state, created, updated)
		VALUES (?, ?, ?, ?, ?, 'intent', ?, ?)`, runID, seq, action, argsDigest, actionKey, now, now); err != nil {
		return fmt.Errorf("receipts: journal intent %s#%d: %w", runID, seq, err)
	}
	return nil
}

// Outcome implements Ledger.
func (s *SQLiteStore) Outcome(ctx context.Context, runID string, seq int64, state string, detail json.RawMessage) error {
	if state != "completed" && state != "failed" {
		return fmt.Errorf("receipts: journal outcome %q", state)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE journal SET state = ?, detail = ?, updated = ? WHERE run_id = ? AND seq = ?`,
		state, []byte(detail), time.Now().UnixNano(), runID, seq); err != nil {
		return fmt.Errorf("receipts: journal outcome %s#%d: %w", runID, seq, err)
	}
	return nil
}
