package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
)

// unprivileged is the user the store-fault tests run enact-run as when
// they run as root ("nobody" on most systems): file permissions do not
// bind root, whose CAP_DAC_OVERRIDE writes through any mode bits, so a
// read-only $ENACT_HOME is only read-only to another user. (An immutable
// flag, chattr +i, would bind root too, but needs CAP_LINUX_IMMUTABLE and
// a file system that supports it, which containers often lack; dropping
// to an unprivileged user needs only CAP_SETUID and CAP_SETGID, which
// root has even in a default container.)
const unprivileged = 65534

// cliWorld builds enact-run and makes a directory for the test's homes
// that the user the CLI runs as can reach. It returns the binary, the
// directory, and the credential to run the CLI with (nil: this process's
// own user, when it is not root).
func cliWorld(t *testing.T) (bin, base string, cred *syscall.Credential) {
	t.Helper()
	if os.Geteuid() != 0 {
		base = t.TempDir()
	} else {
		// $TMPDIR, and the test's temporary directories in it, may be
		// closed to other users; /tmp is open to all.
		var err error
		if base, err = os.MkdirTemp("/tmp", "enact-storefault-"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(base) })
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		cred = &syscall.Credential{Uid: unprivileged, Gid: unprivileged}
	}
	return realBinary(t), base, cred
}

// readOnly removes the write permission of paths and everything under
// them, and returns the function that gives every one its mode back
// (which also runs when t ends).
func readOnly(t *testing.T, paths ...string) (restore func()) {
	t.Helper()
	modes := map[string]fs.FileMode{}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			modes[path] = fi.Mode().Perm()
			return os.Chmod(path, fi.Mode().Perm()&^0o222)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	restore = func() {
		for path, mode := range modes {
			if err := os.Chmod(path, mode); err != nil {
				t.Errorf("restore the mode of %s: %v", path, err)
			}
		}
		modes = nil
	}
	t.Cleanup(restore)
	return restore
}

// TestStoreFaultUnwritableHome makes the receipt store in $ENACT_HOME
// unwritable after a successful run, either with all of $ENACT_HOME or
// with receipts.db alone (kv.db stays writable, so only the gate stands
// between the capability and its write). A run of a capability that
// writes to kv must then fail before it acts, with a message that names
// the store and its path, write nothing to kv, and leave the earlier
// receipts intact: once the permissions are back, they verify.
func TestStoreFaultUnwritableHome(t *testing.T) {
	t.Parallel()
	bin, base, cred := cliWorld(t)
	src, err := os.ReadFile("testdata/storefault/put.yaml")
	if err != nil {
		t.Fatal(err)
	}
	capability := filepath.Join(base, "put.yaml")
	if err := os.WriteFile(capability, src, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		locked func(home string) []string // what is made read-only
	}{
		{"home read-only", func(home string) []string { return []string{home} }},
		{"receipts.db read-only", func(home string) []string { return []string{filepath.Join(home, "receipts.db")} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := filepath.Join(base, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.Mkdir(home, 0o700); err != nil {
				t.Fatal(err)
			}
			if cred != nil {
				if err := os.Chown(home, int(cred.Uid), int(cred.Gid)); err != nil {
					t.Fatal(err)
				}
			}
			enact := func(args ...string) (int, string, string) {
				t.Helper()
				cmd := exec.Command(bin, args...)
				cmd.Dir = base
				cmd.Env = []string{"ENACT_HOME=" + home, "HOME=" + base, "PATH=" + os.Getenv("PATH")}
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				if err != nil && !errors.As(err, &exit) {
					t.Fatalf("enact-run %s: %v", strings.Join(args, " "), err)
				}
				return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
			}

			code, stdout, stderr := enact("run", capability, "--input", `{"key": "before"}`)
			if code != exitPass {
				t.Fatalf("the run before the fault: exit %d\n%s%s", code, stdout, stderr)
			}

			restore := readOnly(t, tc.locked(home)...)
			code, stdout, stderr = enact("run", capability, "--input", `{"key": "after"}`)
			restore()
			if code != exitInternal {
				t.Errorf("a run with an unwritable store: exit %d, want %d (the runner failed)\n%s%s", code, exitInternal, stdout, stderr)
			}
			// The message names the store and the file.
			store := filepath.Join(home, "receipts.db")
			for _, want := range []string{"receipt store", store} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}

			code, stdout, stderr = enact("receipts", "verify")
			if code != exitPass || !strings.Contains(stdout, "ok: 1 receipts verify") {
				t.Errorf("receipts verify: exit %d\n%s%s", code, stdout, stderr)
			}
			k, err := kv.Open(filepath.Join(home, "kv.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			for key, want := range map[string]bool{"before": true, "after": false} {
				out, err := k.Call(t.Context(), "get", json.RawMessage(`{"key": "`+key+`"}`), hostfns.CallOptions{Capability: "storefault-put"})
				if err != nil {
					t.Fatal(err)
				}
				var got struct{ Found bool }
				if err := json.Unmarshal(out.Result, &got); err != nil {
					t.Fatal(err)
				}
				if got.Found != want {
					t.Errorf("kv %q: found %v, want %v", key, got.Found, want)
				}
			}
		})
	}
}
