//go:build unix

package receipts

import (
	"errors"
	"os"
	"syscall"
)

// withLock runs fn holding an exclusive flock on the file name (created
// with mode 0600 if absent). The kernel releases the lock if the process
// dies, so a crash never leaves a stale lock.
func withLock(name string, fn func() error) error {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return &os.PathError{Op: "flock", Path: name, Err: err}
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}

// processAlive probes a local process with signal 0.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
