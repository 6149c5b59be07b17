//go:build linux

package runtime

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive advisory lock (flock) on the file at path,
// creating it, and returns what releases it. While another open file
// description (another process, or another engine of this one) holds the
// lock, it polls, calling busy (when set) once, for at most wait; then it
// gives up and returns without the lock, as it does when the file cannot
// be opened or locked at all. The caller goes on either way: the lock only
// saves repeated work.
func lockFile(path string, wait time.Duration, busy func()) (release func()) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return func() {}
	}
	fd := int(f.Fd())
	deadline := time.Now().Add(wait)
	pause := 10 * time.Millisecond
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() {
				_ = unix.Flock(fd, unix.LOCK_UN)
				_ = f.Close()
			}
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		left := time.Until(deadline)
		if !errors.Is(err, unix.EWOULDBLOCK) || left <= 0 {
			_ = f.Close()
			return func() {}
		}
		if busy != nil {
			busy()
			busy = nil
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, 250*time.Millisecond)
	}
}
