package receipts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteSchema is the store's schema. In receipts, seq is the chain
// position and the columns beside envelope index it for Get and List; head
// holds the store's head record, updated in the same transaction.
const sqliteSchema = `CREATE TABLE IF NOT EXISTS head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS receipts (
	seq        INTEGER PRIMARY KEY,
	run_id     TEXT NOT NULL UNIQUE,
	hash       TEXT NOT NULL,
	actor      TEXT NOT NULL,
	capability TEXT NOT NULL,
	decision   TEXT NOT NULL,
	timestamp  TEXT NOT NULL,
	envelope   BLOB NOT NULL
) STRICT`

// SQLiteStore is the default Store: a table in an SQLite database file in
// WAL mode, each envelope stored as its exact bytes. Appends run in a
// BEGIN IMMEDIATE transaction, so processes sharing the file serialise.
type SQLiteStore struct {
	db      *sql.DB
	signers []Signer

	mu         sync.Mutex
	queue      []*pending // appends waiting for the next group commit
	committing bool       // an Append is committing a batch
}

// OpenSQLite opens (creating it, mode 0600, if needed) the SQLite store at
// path, whose Append signs with signers.
func OpenSQLite(ctx context.Context, path string, signers []Signer) (*SQLiteStore, error) {
	if len(signers) == 0 {
		return nil, errors.New("receipts: sqlite store: no signers")
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("receipts: sqlite store %q: the path contains '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("receipts: sqlite store: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("receipts: sqlite store: %w", err)
	}
	f.Close()
	dsn := path + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("receipts: sqlite store %s: %w", path, err)
	}
	s := &SQLiteStore{db: db, signers: slices.Clone(signers)}
	if err := s.exec(ctx, sqliteSchema+";"+ledgerSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("receipts: sqlite store %s: %w", path, err)
	}
	return s, nil
}

// exec runs a schema statement in an immediate transaction, so that
// processes opening a new file at once do not race.
func (s *SQLiteStore) exec(ctx context.Context, stmt string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return err
	}
	return tx.Commit()
}

// maxBatch bounds the receipts one group commit writes.
const maxBatch = 256

// pending is an Append waiting for a group commit.
type pending struct {
	r    *Receipt
	env  *Envelope
	err  error
	done bool          // env and err are final
	wake chan struct{} // receives once: done, or promoted to committer
}

// Append implements Store. Concurrent Appends in one process are grouped:
// one of them commits the waiting receipts in a single transaction (group
// commit), each with its own seq; one receipt's failure (a duplicate run
// id, an invalid receipt) does not fail the others.
func (s *SQLiteStore) Append(ctx context.Context, r *Receipt) (*Envelope, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &pending{r: r, wake: make(chan struct{}, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, p)
	if s.committing {
		s.mu.Unlock()
		<-p.wake
		s.mu.Lock()
		if p.done {
			s.mu.Unlock()
			return p.env, p.err
		}
		// Promoted: commit the queue, which holds p.
	}
	s.committing = true
	n := min(len(s.queue), maxBatch)
	batch := s.queue[:n:n]
	s.queue = slices.Clone(s.queue[n:])
	s.mu.Unlock()

	// The batch is committed whatever happens to this caller's context:
	// the other callers wait for it.
	s.commit(context.WithoutCancel(ctx), batch)

	s.mu.Lock()
	for _, q := range batch {
		q.done = true
		if q != p {
			q.wake <- struct{}{}
		}
	}
	if len(s.queue) > 0 {
		s.queue[0].wake <- struct{}{} // the next committer
	} else {
		s.committing = false
	}
	s.mu.Unlock()
	return p.env, p.err
}

// commit appends a batch in one BEGIN IMMEDIATE transaction, setting the
// env or err of each.
func (s *SQLiteStore) commit(ctx context.Context, batch []*pending) {
	fail := func(err error) {
		for _, p := range batch {
			if p.err == nil {
				p.env, p.err = nil, fmt.Errorf("receipts: append run %s: %w", p.r.RunID, err)
			}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock now
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	var last, head headRecord
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM receipts ORDER BY seq DESC LIMIT 1`).Scan(&last.Seq, &last.Hash)
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		head, err = sqliteHead(ctx, tx)
	}
	if err == nil && head != last {
		err = fmt.Errorf("the last receipt (seq %d) is not the store's head record (seq %d): run Verify", last.Seq, head.Seq)
	}
	if err != nil {
		fail(err)
		return
	}
	sealed := make([]Receipt, len(batch))
	for i, p := range batch {
		var dup int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM receipts WHERE run_id = ?`, p.r.RunID).Scan(&dup); err != nil {
			fail(err)
			return
		}
		if dup > 0 {
			p.err = fmt.Errorf("%w: %s", ErrDuplicate, p.r.RunID)
			continue
		}
		n, env, err := sealNext(p.r, last.Seq, last.Hash, s.signers)
		if err != nil {
			p.err = err
			continue
		}
		data, _ := env.MarshalJSON()
		_, err = tx.ExecContext(ctx, `INSERT INTO receipts (seq, run_id, hash, actor, capability, decision, timestamp, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			n.Seq, n.RunID, env.Hash, n.Actor.Email, n.Capability.ID, string(n.Decision), n.Timestamp.Format(time.RFC3339Nano), data)
		if err != nil {
			fail(err)
			return
		}
		sealed[i], p.env, last = n, env, headRecord{Seq: n.Seq, Hash: env.Hash}
	}
	if last != head {
		_, err = tx.ExecContext(ctx, `INSERT INTO head (id, seq, hash) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, last.Seq, last.Hash)
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			fail(err)
			return
		}
	}
	for i, p := range batch {
		if p.err == nil {
			commitFields(p.r, sealed[i])
		}
	}
}

// Get implements Store.
func (s *SQLiteStore) Get(ctx context.Context, runID string) (*Envelope, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT envelope FROM receipts WHERE run_id = ?`, runID).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: run %s", ErrNotFound, runID)
	}
	if err != nil {
		return nil, fmt.Errorf("receipts: get run %s: %w", runID, err)
	}
	return ParseEnvelope(data)
}

// List implements Store.
func (s *SQLiteStore) List(ctx context.Context, opts ListOptions) ([]*Envelope, error) {
	q := `SELECT envelope FROM receipts WHERE seq > ?`
	args := []any{opts.After}
	for _, f := range []struct{ col, val string }{
		{"actor", opts.Actor}, {"capability", opts.Capability}, {"decision", string(opts.Decision)},
	} {
		if f.val != "" {
			q += " AND " + f.col + " = ?"
			args = append(args, f.val)
		}
	}
	q += " ORDER BY seq"
	if opts.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, opts.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("receipts: list: %w", err)
	}
	defer rows.Close()
	var out []*Envelope
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("receipts: list: %w", err)
		}
		env, err := ParseEnvelope(data)
		if err != nil {
			return nil, err
		}
		out = append(out, env)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("receipts: list: %w", err)
	}
	return out, nil
}

// Verify implements Store. It reads one consistent snapshot: appends made
// while it runs are not part of the walk.
func (s *SQLiteStore) Verify(ctx context.Context, verifiers []Verifier) (VerifyReport, error) {
	w := chainWalker{verifiers: verifiers}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return w.report, fmt.Errorf("receipts: verify: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT seq, run_id, hash, envelope FROM receipts ORDER BY seq`)
	if err != nil {
		return w.report, fmt.Errorf("receipts: verify: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq         int64
			runID, hash string
			data        []byte
		)
		if err := rows.Scan(&seq, &runID, &hash, &data); err != nil {
			return w.report, fmt.Errorf("receipts: verify: %w", err)
		}
		if cerr := w.step(seq, runID, hash, data); cerr != nil {
			return w.report, cerr
		}
	}
	if err := rows.Err(); err != nil {
		return w.report, fmt.Errorf("receipts: verify: %w", err)
	}
	head, err := sqliteHead(ctx, tx)
	if err != nil {
		return w.report, fmt.Errorf("receipts: verify: %w", err)
	}
	if cerr := w.finish(head, false); cerr != nil {
		return w.report, cerr
	}
	return w.report, nil
}

// sqliteHead reads the head record; the zero record if there is none.
func sqliteHead(ctx context.Context, tx *sql.Tx) (headRecord, error) {
	var h headRecord
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM head WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return h, err
}

// Close closes the database.
func (s *SQLiteStore) Close() error { return s.db.Close() }
