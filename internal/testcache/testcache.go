// Package testcache names the compilation cache the test binaries of this
// module share: compiling the CPython engine costs tens of seconds of CPU
// under the race detector, and every package whose tests run Python would
// otherwise pay it again. The cache is a wazero file cache (written through
// temporary files renamed into place, so concurrent test binaries may share
// it) under the system's temporary directory, kept between runs like Go's
// own build cache; compiled code is keyed by the module's bytes, so a
// changed engine never finds stale code.
package testcache

import (
	"fmt"
	"os"
	"path/filepath"
)

// Dir returns the shared cache directory, creating it. It panics when the
// directory cannot be made: nothing in a test can go on without it.
func Dir() string {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("enact-test-cache-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		panic(fmt.Errorf("testcache: %w", err))
	}
	return dir
}
