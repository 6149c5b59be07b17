package receipts

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// rowScanner is the part of a result set the shared ledger queries use.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// querier runs a query with ? placeholders inside a store's transaction.
type querier interface {
	query(ctx context.Context, stmt string, args ...any) (rowScanner, error)
}

// collect reads every row of a query with scan, then closes it: a
// connection runs one query at a time, so nothing else is asked while
// rows are open.
func collect(ctx context.Context, q querier, scan func(rowScanner) error, stmt string, args ...any) error {
	rows, err := q.query(ctx, stmt, args...)
	if err != nil {
		return err
	}
	if c, ok := rows.(interface{ Close() error }); ok {
		defer c.Close()
	} else if c, ok := rows.(interface{ Close() }); ok {
		defer c.Close()
	}
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// getEnvelope reads the envelope of a run, for Store.Get.
func getEnvelope(ctx context.Context, q querier, runID string) (*Envelope, error) {
	var data []byte
	err := collect(ctx, q, func(r rowScanner) error { return r.Scan(&data) }, `SELECT envelope FROM receipts WHERE run_id = ?`, runID)
	if err != nil {
		return nil, fmt.Errorf("receipts: get run %s: %w", runID, err)
	}
	if data == nil {
		return nil, fmt.Errorf("%w: run %s", ErrNotFound, runID)
	}
	return ParseEnvelope(data)
}

// listEnvelopes reads the envelopes opts selects, for Store.List.
func listEnvelopes(ctx context.Context, q querier, opts ListOptions) ([]*Envelope, error) {
	stmt := `SELECT envelope FROM receipts WHERE seq > ?`
	args := []any{opts.After}
	if opts.Before > 0 {
		stmt += " AND seq < ?"
		args = append(args, opts.Before)
	}
	if opts.Actor != "" {
		stmt += " AND lower(actor) = lower(?)"
		args = append(args, opts.Actor)
	}
	for _, f := range []struct{ col, val string }{
		{"capability", opts.Capability}, {"decision", string(opts.Decision)},
	} {
		if f.val != "" {
			stmt += " AND " + f.col + " = ?"
			args = append(args, f.val)
		}
	}
	if opts.RunIDPrefix != "" {
		stmt += " AND substr(run_id, 1, ?) = ?"
		args = append(args, len(opts.RunIDPrefix), opts.RunIDPrefix)
	}
	if !opts.Since.IsZero() {
		stmt += " AND substr(timestamp, 1, 19) >= ?"
		args = append(args, opts.Since.UTC().Format(secondLayout))
	}
	if !opts.Until.IsZero() {
		stmt += " AND substr(timestamp, 1, 19) < ?"
		args = append(args, opts.Until.UTC().Format(secondLayout))
	}
	stmt += " ORDER BY seq"
	if opts.Newest {
		stmt += " DESC"
	}
	if opts.Limit > 0 {
		stmt += " LIMIT ?"
		args = append(args, opts.Limit)
	}
	var out []*Envelope
	err := collect(ctx, q, func(r rowScanner) error {
		var data []byte
		if err := r.Scan(&data); err != nil {
			return err
		}
		env, err := ParseEnvelope(data)
		if err != nil {
			return err
		}
		out = append(out, env)
		return nil
	}, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("receipts: list: %w", err)
	}
	return out, nil
}

// verifyChain walks a database store's chain in seq order, then checks its
// head record, for Store.Verify; q reads one snapshot.
func verifyChain(ctx context.Context, q querier, verifiers []Verifier) (VerifyReport, error) {
	w := chainWalker{verifiers: verifiers}
	var broken *ChainError
	err := collect(ctx, q, func(r rowScanner) error {
		var (
			seq         int64
			runID, hash string
			data        []byte
		)
		if err := r.Scan(&seq, &runID, &hash, &data); err != nil {
			return err
		}
		broken = w.step(seq, runID, hash, data)
		if broken != nil {
			return broken
		}
		return nil
	}, `SELECT seq, run_id, hash, envelope FROM receipts ORDER BY seq`)
	if broken != nil {
		return w.report, broken
	}
	if err != nil {
		return w.report, fmt.Errorf("receipts: verify: %w", err)
	}
	var head headRecord // zero when the store has none yet
	if err := collect(ctx, q, func(r rowScanner) error { return r.Scan(&head.Seq, &head.Hash) }, `SELECT seq, hash FROM head WHERE id = 1`); err != nil {
		return w.report, fmt.Errorf("receipts: verify: %w", err)
	}
	if cerr := w.finish(head, false); cerr != nil {
		return w.report, cerr
	}
	return w.report, nil
}

// unfinished lists the unfinished runs of a store, the same way for every
// store: runs that journaled actions and have no receipt, and runs still
// holding their key, whose owners alive says are gone.
func unfinished(ctx context.Context, q querier, alive func(string) (bool, error)) ([]UnfinishedRun, error) {
	type cand struct {
		run   UnfinishedRun
		alive bool
	}
	var cands []*cand
	byID := map[string]*cand{}
	err := collect(ctx, q, func(r rowScanner) error {
		var (
			id, key, own string
			meta         []byte
		)
		if err := r.Scan(&id, &key, &own, &meta); err != nil {
			return err
		}
		c := &cand{run: UnfinishedRun{Journaled: true}}
		if err := json.Unmarshal(meta, &c.run.JournalRun); err != nil {
			return err
		}
		c.run.RunID, c.run.Key, c.run.Owner = id, key, own
		cands = append(cands, c)
		byID[id] = c
		return nil
	}, `SELECT r.run_id, r.run_key, r.owner, r.meta FROM runs r
		WHERE NOT EXISTS (SELECT 1 FROM receipts x WHERE x.run_id = r.run_id) ORDER BY r.created, r.run_id`)
	if err != nil {
		return nil, err
	}
	type held struct{ key, runID, owner string }
	var keys []held
	err = collect(ctx, q, func(r rowScanner) error {
		var h held
		if err := r.Scan(&h.key, &h.runID, &h.owner); err != nil {
			return err
		}
		keys = append(keys, h)
		return nil
	}, `SELECT key, run_id, owner FROM run_keys WHERE state = 'running' ORDER BY created, key`)
	if err != nil {
		return nil, err
	}
	for _, h := range keys {
		if c, ok := byID[h.runID]; ok {
			c.run.HoldsKey = true
			continue
		}
		c := &cand{run: UnfinishedRun{JournalRun: JournalRun{RunID: h.runID, Key: h.key, Owner: h.owner}, HoldsKey: true}}
		err := collect(ctx, q, func(r rowScanner) error {
			var journaled int
			if err := r.Scan(&c.run.Sealed, &journaled); err != nil {
				return err
			}
			c.run.Journaled = journaled > 0
			return nil
		}, `SELECT EXISTS (SELECT 1 FROM receipts WHERE run_id = ?), (SELECT count(*) FROM runs WHERE run_id = ?)`, h.runID, h.runID)
		if err != nil {
			return nil, err
		}
		cands = append(cands, c)
	}
	var out []UnfinishedRun
	for _, c := range cands {
		live, err := alive(c.run.Owner)
		if err != nil {
			return nil, err
		}
		if live {
			continue
		}
		if c.run.Journaled && !c.run.Sealed {
			err := collect(ctx, q, func(r rowScanner) error {
				in := Intent{Run: JournalRun{RunID: c.run.RunID}}
				var args, detail []byte
				if err := r.Scan(&in.Seq, &in.Action, &in.ArgsDigest, &in.ActionKey, &args, &in.State, &detail); err != nil {
					return err
				}
				if args != nil {
					in.Args = json.RawMessage(slices.Clone(args))
				}
				if detail != nil {
					in.Detail = json.RawMessage(slices.Clone(detail))
				}
				c.run.Intents = append(c.run.Intents, in)
				return nil
			}, `SELECT seq, action, args_digest, action_key, args, state, detail FROM journal WHERE run_id = ? ORDER BY seq`, c.run.RunID)
			if err != nil {
				return nil, err
			}
		}
		out = append(out, c.run)
	}
	return out, nil
}
