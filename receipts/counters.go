package receipts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Counters keep sliding-window counts of events — the actions a
// rate-limit policy counts — in the store, so every runner sharing it
// shares the counts. Both database stores implement it.
type Counters interface {
	// Reserve counts one event under key now and returns how many events
	// key has in the window ending now, this one included, and a token
	// for Release. Concurrent reservations of one key get distinct counts.
	Reserve(ctx context.Context, key string, window time.Duration) (count int64, token string, err error)
	// Release uncounts a reserved event: the action it stood for was
	// refused or not performed.
	Release(ctx context.Context, token string) error
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Reserve implements Counters, in one immediate transaction (counts of one
// file serialise).
func (s *SQLiteStore) Reserve(ctx context.Context, key string, window time.Duration) (int64, string, error) {
	done, err := s.write(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("receipts: reserve %q: %w", key, err)
	}
	defer done()
	if window <= 0 {
		return 0, "", fmt.Errorf("receipts: reserve %q: window %s", key, window)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", fmt.Errorf("receipts: reserve %q: %w", key, err)
	}
	defer tx.Rollback()
	now, token := time.Now().UnixNano(), newToken()
	if _, err := tx.ExecContext(ctx, `INSERT INTO counter_events (id, key, at, expires) VALUES (?, ?, ?, ?)`,
		token, key, now, now+int64(window)); err != nil {
		return 0, "", fmt.Errorf("receipts: reserve %q: %w", key, err)
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM counter_events WHERE key = ? AND at > ?`, key, now-int64(window)).Scan(&n); err != nil {
		return 0, "", fmt.Errorf("receipts: reserve %q: %w", key, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, "", fmt.Errorf("receipts: reserve %q: %w", key, err)
	}
	return n, token, nil
}

// Release implements Counters.
func (s *SQLiteStore) Release(ctx context.Context, token string) error {
	done, err := s.write(ctx)
	if err != nil {
		return fmt.Errorf("receipts: release: %w", err)
	}
	defer done()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM counter_events WHERE id = ?`, token); err != nil {
		return fmt.Errorf("receipts: release: %w", err)
	}
	return nil
}

// counterLock is the advisory lock key that serialises the reservations
// of one counter key.
func counterLock(key string) int64 {
	h := sha256.Sum256([]byte("enact-counter:" + key))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// Reserve implements Counters. Reservations of one key serialise on an
// advisory lock across runners; times are the database server's.
func (s *PostgresStore) Reserve(ctx context.Context, key string, window time.Duration) (int64, string, error) {
	if window <= 0 {
		return 0, "", fmt.Errorf("receipts: reserve %q: window %s", key, window)
	}
	token := newToken()
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, counterLock(key)); err != nil {
			return err
		}
		var now int64
		if err := tx.QueryRow(ctx, `SELECT `+pgNow).Scan(&now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO counter_events (id, key, at, expires) VALUES ($1, $2, $3, $4)`,
			token, key, now, now+int64(window)); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM counter_events WHERE key = $1 AND at > $2`, key, now-int64(window)).Scan(&n)
	})
	if err != nil {
		return 0, "", fmt.Errorf("receipts: reserve %q: %w", key, err)
	}
	return n, token, nil
}

// Release implements Counters.
func (s *PostgresStore) Release(ctx context.Context, token string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM counter_events WHERE id = $1`, token); err != nil {
		return fmt.Errorf("receipts: release: %w", err)
	}
	return nil
}
