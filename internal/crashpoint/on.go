//go:build enact_crashpoints

package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var (
	mu     sync.Mutex
	target string
	nth    = 1
	count  int
)

func init() {
	spec := os.Getenv("ENACT_CRASHPOINT")
	name, n, ok := strings.Cut(spec, ":")
	target = name
	if ok {
		if v, err := strconv.Atoi(n); err == nil && v > 0 {
			nth = v
		}
	}
}

// Hit kills the process at the configured hit of the configured point.
func Hit(name string) {
	if target == "" || name != target {
		return
	}
	mu.Lock()
	count++
	c := count
	mu.Unlock()
	if c == nth {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}
