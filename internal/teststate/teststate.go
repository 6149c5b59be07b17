// Package teststate gives tests the state a runner keeps under
// $ENACT_HOME — a signing keyring, the SQLite receipt store and the
// embedded kv connector — in a directory the test removes.
package teststate

import (
	"path/filepath"
	"testing"

	"github.com/enact-run/enact/hostfns/kv"
	"github.com/enact-run/enact/receipts"
)

// State is a runner's state in Dir: keys/, receipts.db, kv.db.
type State struct {
	Dir   string
	Keys  *receipts.Keyring
	Store *receipts.SQLiteStore
	KV    *kv.Store
}

// New opens a fresh State in a temporary directory; the store and kv are
// closed when t ends.
func New(t testing.TB) *State {
	t.Helper()
	s := &State{Dir: t.TempDir()}
	var err error
	if s.Keys, err = receipts.OpenKeyring(filepath.Join(s.Dir, "keys")); err != nil {
		t.Fatal(err)
	}
	if s.Store, err = receipts.OpenSQLite(t.Context(), filepath.Join(s.Dir, "receipts.db"), s.Keys.Signers()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Store.Close() })
	if s.KV, err = kv.Open(filepath.Join(s.Dir, "kv.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.KV.Close() })
	return s
}
