package receipts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/enact-run/enact/internal/crashpoint"
)

// PostgresSchema is the schema PostgresStore keeps everything in. A
// connector sharing the database must never reach it (the postgres
// connector refuses it).
const PostgresSchema = "enact"

// PostgresStore is the shared Store and Ledger for fleets of runners
// (several `enact-run serve` on many machines, CI jobs in parallel): the
// receipt chain, run keys and the journal live in the schema "enact" of
// one PostgreSQL database, created and upgraded by the embedded, numbered
// migrations when the store opens.
//
// Appends lock the head record (SELECT … FOR UPDATE), so every runner
// extends one chain; concurrent Appends in one process share a
// transaction (group commit). Key expiry is judged by the database
// server's clock, never by a runner's.
//
// Each open store holds a session advisory lock derived from its owner
// name on a connection of its own for as long as it is open. A run's owner
// is alive while that lock is held: when a runner dies, its connection
// closes and the lock with it, and recovery on any machine may take its
// runs over. Intents carry a fence: a run taken over no longer journals
// actions from its old owner.
type PostgresStore struct {
	pool    *pgxpool.Pool
	signers []Signer
	group   groupCommit
	owner   string

	lockMu   sync.Mutex
	lockConn *pgx.Conn // holds the owner's advisory lock
	connCfg  *pgx.ConnConfig
}

// OpenPostgres connects to the database at url (a postgres:// URL or
// keyword=value string), migrates its schema, and returns the store, whose
// Append signs with signers.
func OpenPostgres(ctx context.Context, url string, signers []Signer) (*PostgresStore, error) {
	if len(signers) == 0 {
		return nil, errors.New("receipts: postgres store: no signers")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("receipts: postgres store: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = "enact"
	cfg.ConnConfig.RuntimeParams["application_name"] = "enact-run"
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	s := &PostgresStore{
		signers: slices.Clone(signers),
		// Host names and pids repeat across containers: a nonce makes the
		// name this store's own.
		owner:   owner + "/" + hex.EncodeToString(nonce[:]),
		connCfg: cfg.ConnConfig.Copy(),
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("receipts: postgres store: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("receipts: postgres store: %w", err)
	}
	if err := s.lockOwner(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("receipts: postgres store: %w", err)
	}
	return s, nil
}

// migrationLock is the advisory lock key that serialises migrations.
const migrationLock = 0x656e616374 // "enact"

// migrate applies the migrations the database has not seen, all in one
// transaction under an advisory lock, so runners starting together do not
// race.
func (s *PostgresStore) migrate(ctx context.Context) error {
	ms, err := loadMigrations("postgres")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS enact;
			CREATE TABLE IF NOT EXISTS enact.schema_migrations (
				version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`,
			pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM enact.schema_migrations`).Scan(&v); err != nil {
			return err
		}
		if v > len(ms) {
			return fmt.Errorf("schema version %d is newer than this build's (%d): use a newer enact-run", v, len(ms))
		}
		for _, m := range ms[v:] {
			if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO enact.schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return err
			}
		}
		return nil
	})
}

// lockKey is the advisory lock key of an owner.
func lockKey(o string) int64 {
	h := sha256.Sum256([]byte("enact-owner:" + o))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// lockOwner takes this store's owner lock on a connection of its own,
// again if the connection was lost.
func (s *PostgresStore) lockOwner(ctx context.Context) error {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.lockConn != nil && !s.lockConn.IsClosed() {
		if err := s.lockConn.Ping(ctx); err == nil {
			return nil
		}
		s.lockConn.Close(context.WithoutCancel(ctx))
	}
	conn, err := pgx.ConnectConfig(ctx, s.connCfg)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey(s.owner)); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("owner lock: %w", err)
	}
	s.lockConn = conn
	return nil
}

// Ready implements the gate's readiness probe: the database answers, is
// not a read-only standby, and this store holds its owner lock.
func (s *PostgresStore) Ready(ctx context.Context) error {
	var standby bool
	if err := s.pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	if standby {
		return errors.New("receipts: store not ready: the database is a read-only standby")
	}
	if err := s.lockOwner(ctx); err != nil {
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	return nil
}

// Close releases the owner lock and closes the connections.
func (s *PostgresStore) Close() error {
	s.lockMu.Lock()
	if s.lockConn != nil {
		s.lockConn.Close(context.Background())
	}
	s.lockMu.Unlock()
	s.pool.Close()
	return nil
}

// Append implements Store.
func (s *PostgresStore) Append(ctx context.Context, r *Receipt) (*Envelope, error) {
	return s.group.append(ctx, r, s.commit)
}

func (s *PostgresStore) commit(ctx context.Context, batch []*pending) {
	var sealed []Receipt
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var (
			changed bool
			err     error
		)
		sealed, changed, err = s.appendTx(ctx, tx, batch)
		if changed {
			crashpoint.Hit(crashpoint.DuringReceipt)
		}
		return err
	})
	if err != nil {
		failBatch(batch, err)
		return
	}
	finishBatch(batch, sealed)
}

// appendTx locks the head record, seals and inserts batch after the
// chain's last receipt inside tx and moves the head record; changed
// reports whether any receipt was inserted. Append's group commit and
// Vote (whose approval record goes in with the vote) both use it.
func (s *PostgresStore) appendTx(ctx context.Context, tx pgx.Tx, batch []*pending) (sealed []Receipt, changed bool, err error) {
	var head, last headRecord
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM head WHERE id = 1 FOR UPDATE`).Scan(&head.Seq, &head.Hash); err != nil {
		return nil, false, err
	}
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM receipts ORDER BY seq DESC LIMIT 1`).Scan(&last.Seq, &last.Hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, err
	}
	if head != last {
		return nil, false, fmt.Errorf("the last receipt (seq %d) is not the store's head record (seq %d): run Verify", last.Seq, head.Seq)
	}
	last, sealed, err = sealBatch(ctx, pgChain{tx}, batch, last, s.signers)
	if err != nil || last == head {
		return sealed, false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE head SET seq = $1, hash = $2 WHERE id = 1`, last.Seq, last.Hash); err != nil {
		return nil, false, err
	}
	return sealed, true, nil
}

// pgChain inserts sealed receipts in a Postgres transaction.
type pgChain struct{ tx pgx.Tx }

func (c pgChain) existing(ctx context.Context, runIDs []string) (map[string]bool, error) {
	found := map[string]bool{}
	rows, err := c.tx.Query(ctx, `SELECT run_id FROM receipts WHERE run_id = ANY($1)`, runIDs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	return found, rows.Err()
}

// insert sends the batch's inserts in one round trip (a pipeline).
func (c pgChain) insert(ctx context.Context, rows []sealedRow) error {
	var batch pgx.Batch
	for _, row := range rows {
		n := row.r
		batch.Queue(`INSERT INTO receipts (seq, run_id, hash, actor, capability, decision, timestamp, envelope) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			n.Seq, n.RunID, row.env.Hash, n.Actor.Email, n.Capability.ID, string(n.Decision), timestampText(n.Timestamp), row.data)
	}
	return c.tx.SendBatch(ctx, &batch).Close()
}

// Get implements Store.
func (s *PostgresStore) Get(ctx context.Context, runID string) (*Envelope, error) {
	return getEnvelope(ctx, pgQuerier{s.pool}, runID)
}

// List implements Store.
func (s *PostgresStore) List(ctx context.Context, opts ListOptions) ([]*Envelope, error) {
	return listEnvelopes(ctx, pgQuerier{s.pool}, opts)
}

// Verify implements Store, on one snapshot of the database.
func (s *PostgresStore) Verify(ctx context.Context, verifiers []Verifier) (VerifyReport, error) {
	var rep VerifyReport
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		rep, err = verifyChain(ctx, pgQuerier{tx}, verifiers)
		return err
	})
	return rep, err
}

// pgNow is the database server's clock in unix nanoseconds.
const pgNow = `(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint`

// ClaimKey implements Ledger. A new key is one INSERT; a known one is
// judged under its row lock, so concurrent claims of one key serialise
// and exactly one wins.
func (s *PostgresStore) ClaimKey(ctx context.Context, key, digest, runID string, retention time.Duration) (Claim, error) {
	// A finished key (a retry's replay) is answered from one read.
	var (
		c   keyRow
		now int64
	)
	err := s.pool.QueryRow(ctx, `SELECT digest, run_id, state, result, owner, updated,
		greatest(`+pgNow+`, (SELECT max(updated) FROM run_keys)) FROM run_keys WHERE key = $1`, key).
		Scan(&c.digest, &c.runID, &c.state, &c.result, &c.owner, &c.updated, &now)
	if err == nil {
		if cl, ok := answerFinished(c, digest, now, retention); ok {
			return cl, nil
		}
	}
	var claim Claim
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The clock never runs backwards: expiry is judged against the
		// newest time the ledger has seen as well as the server's clock.
		var now int64
		if err := tx.QueryRow(ctx, `SELECT greatest(`+pgNow+`, coalesce((SELECT max(updated) FROM run_keys), 0))`).Scan(&now); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO run_keys (key, digest, run_id, state, owner, created, updated)
			VALUES ($1, $2, $3, 'running', $4, $5, $5) ON CONFLICT (key) DO NOTHING`, key, digest, runID, s.owner, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			claim = Claim{State: ClaimNew, RunID: runID}
			return nil
		}
		var c keyRow
		if err := tx.QueryRow(ctx, `SELECT digest, run_id, state, result, owner, updated FROM run_keys WHERE key = $1 FOR UPDATE`, key).
			Scan(&c.digest, &c.runID, &c.state, &c.result, &c.owner, &c.updated); err != nil {
			return err
		}
		refused, err := judgeClaim(c, digest, now, retention, s.alive(ctx, tx), func(run string) (n int, err error) {
			err = tx.QueryRow(ctx, `SELECT count(*) FROM journal WHERE run_id = $1 AND state IN ('intent', 'ambiguous')`, run).Scan(&n)
			return n, err
		})
		if err != nil {
			return err
		}
		if refused != nil {
			claim = *refused
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE run_keys SET digest = $2, run_id = $3, state = 'running', result = NULL,
			owner = $4, created = $5, updated = $5 WHERE key = $1`, key, digest, runID, s.owner, now); err != nil {
			return err
		}
		claim = Claim{State: ClaimNew, RunID: runID}
		return nil
	})
	if err != nil {
		return Claim{}, fmt.Errorf("receipts: claim %q: %w", key, err)
	}
	return claim, nil
}

// alive judges owners inside tx: an owner whose advisory lock can be
// taken holds no connection, so its runner is gone. The lock taken to
// find out is released with the transaction.
func (s *PostgresStore) alive(ctx context.Context, tx pgx.Tx) func(string) (bool, error) {
	return func(o string) (bool, error) {
		switch o {
		case s.owner:
			return true, nil
		case "":
			return false, nil // abandoned by recovery
		}
		var free bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, lockKey(o)).Scan(&free); err != nil {
			return false, err
		}
		return !free, nil
	}
}

// FinishKey implements Ledger.
func (s *PostgresStore) FinishKey(ctx context.Context, key, runID string, result json.RawMessage) error {
	return s.closeKey(ctx, "finish", key, runID, "finished", result)
}

// ReleaseKey implements Ledger.
func (s *PostgresStore) ReleaseKey(ctx context.Context, key, runID string) error {
	return s.closeKey(ctx, "release", key, runID, "released", nil)
}

func (s *PostgresStore) closeKey(ctx context.Context, verb, key, runID, state string, result json.RawMessage) error {
	tag, err := s.pool.Exec(ctx, `UPDATE run_keys SET state = $1, result = $2, updated = greatest(updated, `+pgNow+`)
		WHERE key = $3 AND run_id = $4 AND state = 'running'`, state, []byte(result), key, runID)
	if err != nil {
		return fmt.Errorf("receipts: %s key %q: %w", verb, key, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("receipts: %s key %q: run %s does not hold it", verb, key, runID)
	}
	return nil
}

// Intend implements Ledger in one statement: the run's description (the
// first time) and the intent, fenced on the run's owner being this store.
func (s *PostgresStore) Intend(ctx context.Context, in Intent) error {
	meta, err := json.Marshal(in.Run)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `WITH r AS (
			INSERT INTO runs (run_id, run_key, owner, meta, created) VALUES ($1, $2, $3, $4, `+pgNow+`)
			ON CONFLICT (run_id) DO NOTHING RETURNING run_id)
		INSERT INTO journal (run_id, seq, action, args_digest, action_key, args, state, created, updated)
		SELECT $1, $5, $6, $7, $8, $9, 'intent', `+pgNow+`, `+pgNow+`
		WHERE EXISTS (SELECT 1 FROM r) OR EXISTS (SELECT 1 FROM runs WHERE run_id = $1 AND owner = $3)`,
		in.Run.RunID, in.Run.Key, s.owner, meta, in.Seq, in.Action, in.ArgsDigest, in.ActionKey, []byte(in.Args))
	if err != nil {
		return fmt.Errorf("receipts: journal intent %s#%d: %w", in.Run.RunID, in.Seq, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("receipts: journal intent %s#%d: the run was taken over by recovery; it may not act any more", in.Run.RunID, in.Seq)
	}
	return nil
}

// Outcome implements Ledger.
func (s *PostgresStore) Outcome(ctx context.Context, runID string, seq int64, state string, detail json.RawMessage) error {
	if err := validOutcome(state); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE journal SET state = $1, detail = $2, updated = `+pgNow+`,
		args = CASE WHEN $1 = 'ambiguous' THEN args END WHERE run_id = $3 AND seq = $4`, state, []byte(detail), runID, seq)
	if err != nil {
		return fmt.Errorf("receipts: journal outcome %s#%d: %w", runID, seq, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("receipts: journal outcome %s#%d: no such intent", runID, seq)
	}
	return nil
}

// Unfinished implements Ledger.
func (s *PostgresStore) Unfinished(ctx context.Context) ([]UnfinishedRun, error) {
	var out []UnfinishedRun
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		var err error
		out, err = unfinished(ctx, pgQuerier{tx}, s.alive(ctx, tx))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("receipts: unfinished runs: %w", err)
	}
	return out, nil
}

// TakeOver implements Ledger.
func (s *PostgresStore) TakeOver(ctx context.Context, runID, from string) (bool, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`UPDATE runs SET owner = $1 WHERE run_id = $2 AND owner = $3`,
			`UPDATE run_keys SET owner = $1 WHERE run_id = $2 AND owner = $3 AND state = 'running'`,
		} {
			tag, err := tx.Exec(ctx, q, s.owner, runID, from)
			if err != nil {
				return err
			}
			n += tag.RowsAffected()
		}
		if n == 0 {
			return errNothingTaken
		}
		return nil
	})
	if errors.Is(err, errNothingTaken) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("receipts: take over run %s: %w", runID, err)
	}
	return true, nil
}

var errNothingTaken = errors.New("nothing to take over")

// Abandon implements Ledger.
func (s *PostgresStore) Abandon(ctx context.Context, runID string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`UPDATE runs SET owner = '' WHERE run_id = $1 AND owner = $2`,
			`UPDATE run_keys SET owner = '' WHERE run_id = $1 AND owner = $2 AND state = 'running'`,
		} {
			if _, err := tx.Exec(ctx, q, runID, s.owner); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("receipts: abandon run %s: %w", runID, err)
	}
	return nil
}

// Prune implements Ledger.
func (s *PostgresStore) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	var total int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var now int64
		if err := tx.QueryRow(ctx, `SELECT `+pgNow).Scan(&now); err != nil {
			return err
		}
		cutoff := now - int64(retention)
		for _, d := range []struct {
			stmt   string
			before int64
		}{
			{`DELETE FROM run_keys WHERE state IN ('finished', 'released') AND updated < $1`, cutoff},
			// The journal goes with its run (ON DELETE CASCADE).
			{`DELETE FROM runs r WHERE created < $1 AND EXISTS (SELECT 1 FROM receipts x WHERE x.run_id = r.run_id)`, cutoff},
			{`DELETE FROM counter_events WHERE expires < $1`, now},
		} {
			tag, err := tx.Exec(ctx, d.stmt, d.before)
			if err != nil {
				return err
			}
			total += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("receipts: prune: %w", err)
	}
	return total, nil
}

// pgQuerier runs the shared ? queries on a pool or transaction.
type pgQuerier struct {
	db interface {
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

func (q pgQuerier) query(ctx context.Context, stmt string, args ...any) (rowScanner, error) {
	return q.db.Query(ctx, rebind(stmt), args...)
}

// rebind turns ? placeholders into $1, $2…
func rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
