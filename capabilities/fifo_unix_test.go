//go:build unix

package capabilities

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadFileReadsAtMostTheLimit feeds LoadFile an endless stream: it must
// stop after MaxSize+1 bytes.
func TestLoadFileReadsAtMostTheLimit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "endless.yaml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	written := make(chan int64, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			written <- -1
			return
		}
		defer w.Close()
		chunk := []byte("x-pad: '" + strings.Repeat("x", 4096))
		var n int64
		for n < 64*MaxSize { // bounded, in case LoadFile reads on
			k, err := w.Write(chunk)
			n += int64(k)
			if err != nil {
				break
			}
		}
		written <- n
	}()
	if _, err := LoadFile(path); !errors.Is(err, ErrTooLarge) {
		t.Errorf("LoadFile: %v, want ErrTooLarge", err)
	}
	if n := <-written; n >= 64*MaxSize {
		t.Errorf("LoadFile read the whole stream (%d bytes)", n)
	}
}
