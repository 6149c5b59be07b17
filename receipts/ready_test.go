package receipts_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/enact-run/enact/receipts"
)

func TestReadyFailsWhenTheStoreCannotBeWritten(t *testing.T) {
	t.Parallel()
	keys, err := receipts.OpenKeyring(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "receipts")
	dirStore, err := receipts.OpenDir(dir, keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "receipts.db")
	sqlStore, err := receipts.OpenSQLite(context.Background(), db, keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	defer sqlStore.Close()
	for name, s := range map[string]interface{ Ready(context.Context) error }{"dir": dirStore, "sqlite": sqlStore} {
		if err := s.Ready(context.Background()); err != nil {
			t.Fatalf("%s: writable store not ready: %v", name, err)
		}
	}
	// The directory disappears and a file takes its place: nothing can be
	// written there, whoever the process runs as.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := dirStore.Ready(context.Background()); err == nil {
		t.Error("dir: a store whose directory is gone reported ready")
	}
	// A closed database cannot take a receipt either.
	sqlStore.Close()
	if err := sqlStore.Ready(context.Background()); err == nil {
		t.Error("sqlite: a closed store reported ready")
	}
}
