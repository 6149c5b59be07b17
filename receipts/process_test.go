package receipts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// helperEnv tells a child test process to append receipts: store kind,
// storage path, keyring directory and process index, one per line.
const helperEnv = "ENACT_RECEIPTS_TEST_HELPER"

// processAppends is how many receipts each child process appends.
const processAppends = 25

// TestHelperProcess is the child of TestProcessesShareAStore, not a test.
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("runs only as a child process")
	}
	f := strings.Split(spec, "\n")
	if len(f) != 4 {
		t.Fatalf("%s=%q", helperEnv, spec)
	}
	kind, path, keys := f[0], f[1], f[2]
	index, err := strconv.Atoi(f[3])
	if err != nil {
		t.Fatal(err)
	}
	k, err := OpenKeyring(keys) // first use, racing the other processes
	if err != nil {
		t.Fatal(err)
	}
	var s Store
	switch kind {
	case "sqlite":
		s, err = OpenSQLite(context.Background(), path, k.Signers())
	default:
		s, err = OpenDir(path, k.Signers())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range processAppends {
		if _, err := s.Append(context.Background(), sampleReceipt(index*1000+i)); err != nil {
			t.Fatal(err)
		}
	}
}

// Processes that share a new keyring directory and a store append
// concurrently: they agree on the keys and the chain stays contiguous.
func TestProcessesShareAStore(t *testing.T) {
	t.Parallel()
	if os.Getenv(helperEnv) != "" {
		t.Skip("in a child process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const processes = 3
	for _, kind := range []string{"sqlite", "dir"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path, keys := filepath.Join(dir, "store"), filepath.Join(dir, "keys")
			var cmds []*exec.Cmd
			for i := range processes {
				cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestHelperProcess$", "-test.count=1")
				cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join([]string{kind, path, keys, strconv.Itoa(i + 1)}, "\n"))
				cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				cmds = append(cmds, cmd)
			}
			for i, cmd := range cmds {
				if err := cmd.Wait(); err != nil {
					t.Fatalf("process %d: %v", i, err)
				}
			}
			k, err := OpenKeyring(keys)
			if err != nil {
				t.Fatal(err)
			}
			var s Store
			if kind == "sqlite" {
				s, err = OpenSQLite(t.Context(), path, k.Signers())
			} else {
				s, err = OpenDir(path, k.Signers())
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			checkContiguous(t, s, k.Verifiers(), processes*processAppends)
			if n := len(k.PublicKeys()); n != 1 {
				t.Errorf("the processes made %d keys, want 1 keyring with one ed25519 key", n)
			}
		})
	}
}
