//go:build !unix

package receipts

import (
	"errors"
	"runtime"
)

// withLock is not implemented here: the keyring and the JSON directory
// store need flock.
func withLock(name string, fn func() error) error {
	return errors.New("receipts: file locking is not supported on " + runtime.GOOS)
}

// processAlive cannot probe processes here: every holder counts as alive,
// and its key is freed by retention.
func processAlive(int) bool { return true }
