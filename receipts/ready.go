package receipts

import (
	"context"
	"fmt"
	"os"
)

// Ready reports whether a receipt appended now could be written: it takes
// and releases the database's write lock (BEGIN IMMEDIATE, ROLLBACK),
// which fails on a read-only or unreachable file and on I/O errors. The
// gate asks before a run starts and before every write, so an action whose
// receipt could not be stored is not performed.
func (s *SQLiteStore) Ready(ctx context.Context) error {
	done, err := s.write(ctx)
	if err != nil {
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	defer done()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	return nil
}

// Ready reports whether a receipt appended now could be written: it
// creates, syncs and removes a file in the directory.
func (s *DirStore) Ready(context.Context) error {
	f, err := os.CreateTemp(s.dir, ".ready-*")
	if err != nil {
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	name := f.Name()
	defer os.Remove(name)
	if _, err := f.Write([]byte("ok")); err != nil {
		f.Close()
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("receipts: store not ready: %w", err)
	}
	return nil
}
