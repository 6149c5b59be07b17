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

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/enact-run/enact/internal/crashpoint"
)

// SQLiteStore is the default Store: a table in an SQLite database file in
// WAL mode, each envelope stored as its exact bytes. Appends run in a
// BEGIN IMMEDIATE transaction, so processes sharing the file serialise.
type SQLiteStore struct {
	db      *sql.DB
	signers []Signer
	group   groupCommit
	// writer is this process's turn to write (see write).
	writer chan struct{}
}

// write takes this process's turn to write, waiting in line (first come,
// first served) or until ctx ends, and returns its release. Every write
// transaction takes it first: SQLite lets one writer in at a time and
// makes the others poll (busy_timeout), which under many goroutines lets
// some wait far longer than others; in line, each waits only for those
// before it. Other processes sharing the file still meet at SQLite's lock.
func (s *SQLiteStore) write(ctx context.Context) (func(), error) {
	select {
	case s.writer <- struct{}{}:
		return func() { <-s.writer }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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
	s := &SQLiteStore{db: db, signers: slices.Clone(signers), writer: make(chan struct{}, 1)}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("receipts: sqlite store %s: %w", path, err)
	}
	return s, nil
}

// migrate brings the file's schema to this build's version (PRAGMA
// user_version counts the migrations applied), one migration per
// immediate transaction, so that processes opening a new file at once do
// not race.
func (s *SQLiteStore) migrate(ctx context.Context) error {
	ms, err := loadMigrations("sqlite")
	if err != nil {
		return err
	}
	for {
		done, err := s.migrateOne(ctx, ms)
		if err != nil || done {
			return err
		}
	}
}

func (s *SQLiteStore) migrateOne(ctx context.Context, ms []migration) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return false, err
	}
	switch {
	case v == len(ms):
		return true, nil
	case v > len(ms):
		return false, fmt.Errorf("schema version %d is newer than this build's (%d): use a newer enact-run", v, len(ms))
	}
	if _, err := tx.ExecContext(ctx, ms[v].sql); err != nil {
		return false, fmt.Errorf("migration %s: %w", ms[v].name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

// Append implements Store. Concurrent Appends in one process are grouped
// (group commit); processes sharing the file serialise on its write lock.
func (s *SQLiteStore) Append(ctx context.Context, r *Receipt) (*Envelope, error) {
	return s.group.append(ctx, r, s.commit)
}

// commit appends a batch in one BEGIN IMMEDIATE transaction, setting the
// env or err of each.
func (s *SQLiteStore) commit(ctx context.Context, batch []*pending) {
	done, err := s.write(ctx)
	if err != nil {
		failBatch(batch, err)
		return
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock now
	if err != nil {
		failBatch(batch, err)
		return
	}
	defer tx.Rollback()
	sealed, changed, err := s.appendTx(ctx, tx, batch)
	if err == nil && changed {
		crashpoint.Hit(crashpoint.DuringReceipt)
		err = tx.Commit()
	}
	if err != nil {
		failBatch(batch, err)
		return
	}
	finishBatch(batch, sealed)
}

// appendTx seals and inserts batch after the chain's last receipt inside
// tx, which holds the write lock, and moves the head record; changed
// reports whether any receipt was inserted. Append's group commit and
// Vote (whose approval record goes in with the vote) both use it.
func (s *SQLiteStore) appendTx(ctx context.Context, tx *sql.Tx, batch []*pending) (sealed []Receipt, changed bool, err error) {
	var last, head headRecord
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM receipts ORDER BY seq DESC LIMIT 1`).Scan(&last.Seq, &last.Hash)
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		head, err = sqliteHead(ctx, tx)
	}
	if err == nil && head != last {
		err = fmt.Errorf("the last receipt (seq %d) is not the store's head record (seq %d): run Verify", last.Seq, head.Seq)
	}
	if err != nil {
		return nil, false, err
	}
	last, sealed, err = sealBatch(ctx, sqliteChain{tx}, batch, last, s.signers)
	if err != nil || last == head {
		return sealed, false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO head (id, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, last.Seq, last.Hash); err != nil {
		return nil, false, err
	}
	return sealed, true, nil
}

// sqliteChain inserts sealed receipts in an SQLite transaction.
type sqliteChain struct{ tx *sql.Tx }

func (c sqliteChain) existing(ctx context.Context, runIDs []string) (map[string]bool, error) {
	found := map[string]bool{}
	for _, id := range runIDs {
		var n int
		if err := c.tx.QueryRowContext(ctx, `SELECT count(*) FROM receipts WHERE run_id = ?`, id).Scan(&n); err != nil {
			return nil, err
		}
		found[id] = n > 0
	}
	return found, nil
}

func (c sqliteChain) insert(ctx context.Context, rows []sealedRow) error {
	for _, row := range rows {
		n := row.r
		if _, err := c.tx.ExecContext(ctx, `INSERT INTO receipts (seq, run_id, hash, actor, capability, decision, timestamp, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			n.Seq, n.RunID, row.env.Hash, n.Actor.Email, n.Capability.ID, string(n.Decision), timestampText(n.Timestamp), row.data); err != nil {
			return err
		}
	}
	return nil
}

// Get implements Store.
func (s *SQLiteStore) Get(ctx context.Context, runID string) (*Envelope, error) {
	return getEnvelope(ctx, sqliteQuerier{s.db}, runID)
}

// List implements Store.
func (s *SQLiteStore) List(ctx context.Context, opts ListOptions) ([]*Envelope, error) {
	return listEnvelopes(ctx, sqliteQuerier{s.db}, opts)
}

// Verify implements Store. It reads one consistent snapshot: appends made
// while it runs are not part of the walk.
func (s *SQLiteStore) Verify(ctx context.Context, verifiers []Verifier) (VerifyReport, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("receipts: verify: %w", err)
	}
	defer tx.Rollback()
	return verifyChain(ctx, sqliteQuerier{tx}, verifiers)
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
