package receipts

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKeyIDs(t *testing.T) {
	t.Parallel()
	signers, verifiers := testKeys(t, 1)
	secret := bytes.Repeat([]byte{1}, 32)
	tests := []struct {
		name string
		got  string
		want *regexp.Regexp
	}{
		{"hmac signer", signers[0].KeyID(), regexp.MustCompile(`^hmac:[0-9a-f]{16}$`)},
		{"ed25519 signer", signers[1].KeyID(), regexp.MustCompile(`^ed25519:[0-9a-f]{16}$`)},
	}
	for _, tc := range tests {
		if !tc.want.MatchString(tc.got) {
			t.Errorf("%s key id %q does not match %v", tc.name, tc.got, tc.want)
		}
	}
	for i := range signers {
		if signers[i].KeyID() != verifiers[i].KeyID() || signers[i].Alg() != verifiers[i].Alg() {
			t.Errorf("signer %s and verifier %s of the same key differ", signers[i].KeyID(), verifiers[i].KeyID())
		}
	}
	other, _ := testKeys(t, 2)
	if other[0].KeyID() == signers[0].KeyID() || other[1].KeyID() == signers[1].KeyID() {
		t.Error("different keys have the same key id")
	}
	if strings.Contains(signers[0].KeyID(), "0101") {
		t.Errorf("hmac key id %s looks like the secret", signers[0].KeyID())
	}
	if _, err := NewHMACSigner(secret[:31]); err == nil {
		t.Error("NewHMACSigner accepted a 31-byte secret")
	}
	if _, err := NewEd25519Verifier(make([]byte, 31)); err == nil {
		t.Error("NewEd25519Verifier accepted a 31-byte key")
	}
	if _, err := NewEd25519Signer(make([]byte, 10)); err == nil {
		t.Error("NewEd25519Signer accepted a 10-byte key")
	}
	if _, err := verifiers[1].(Signer).Sign([]byte("x")); err == nil {
		t.Error("an Ed25519 verifier signed")
	}
}

func TestKeyringFirstUse(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "home", "keys")
	k, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, keyringFile): 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
	}
	signers := k.Signers()
	if len(signers) != 2 || signers[0].Alg() != AlgHMACSHA256 || signers[1].Alg() != AlgEd25519 {
		t.Fatalf("Signers() = %v, want an hmac-sha256 and an ed25519 signer", signers)
	}

	again, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keyIDs(signers), keyIDs(again.Signers())); diff != "" {
		t.Errorf("reopened keyring has other keys (-first +again):\n%s", diff)
	}

	pub := k.PublicKeys()
	if len(pub) != 1 {
		t.Fatalf("PublicKeys() = %v, want one key", pub)
	}
	raw, err := base64.StdEncoding.DecodeString(pub[signers[1].KeyID()])
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewEd25519Verifier(ed25519.PublicKey(raw))
	if err != nil {
		t.Fatal(err)
	}
	data := sealed(t, sampleReceipt(1), signers)
	if _, err := Open(data, []Verifier{v}); err != nil {
		t.Errorf("Open with the exported public key: %v", err)
	}
	secret, err := os.ReadFile(filepath.Join(dir, keyringFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(secret, []byte(signers[0].KeyID()[len("hmac:"):])) {
		t.Error("the keyring file contains the hmac key id: ids must be derived, not stored")
	}
}

func TestKeyringConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	const n = 16
	ids := make([][]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, err := OpenKeyring(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = keyIDs(k.Signers())
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if diff := cmp.Diff(ids[0], ids[i]); diff != "" {
			t.Errorf("OpenKeyring %d saw another keyring (-0 +%d):\n%s", i, i, diff)
		}
	}
}

func TestKeyringRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := k.Signers()
	old := sealed(t, sampleReceipt(1), before)
	if err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	after := k.Signers()
	for i := range after {
		if after[i].KeyID() == before[i].KeyID() {
			t.Errorf("Rotate kept the current %s key %s", after[i].Alg(), after[i].KeyID())
		}
	}
	fresh := sealed(t, sampleReceipt(2), after)

	reopened, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keyIDs(after), keyIDs(reopened.Signers())); diff != "" {
		t.Errorf("reopened keyring's current keys (-rotated +reopened):\n%s", diff)
	}
	if got := len(reopened.PublicKeys()); got != 2 {
		t.Errorf("PublicKeys() has %d keys after one rotation, want 2", got)
	}
	for _, kr := range []*Keyring{k, reopened} {
		for name, data := range map[string][]byte{"before rotation": old, "after rotation": fresh} {
			if _, err := Open(data, kr.Verifiers()); err != nil {
				t.Errorf("receipt signed %s: %v", name, err)
			}
		}
	}
	// A verifier set without the retired keys does not know them.
	if _, err := Open(old, keyringVerifiers(t, after)); !isTyped[*UnknownKeyError](err) {
		t.Errorf("old receipt with the new keys only: got %v, want *UnknownKeyError", err)
	}
}

func TestKeyringCorrupt(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"not json":    "{",
		"version":     `{"version":2,"keys":[]}`,
		"no keys":     `{"version":1,"keys":[]}`,
		"unknown alg": `{"version":1,"keys":[{"alg":"rsa","key":"AAAA"}]}`,
		"short seed":  `{"version":1,"keys":[{"alg":"ed25519","key":"AAAA"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, keyringFile), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenKeyring(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				t.Errorf("OpenKeyring: got %v, want an error about the file", err)
			}
		})
	}
}

func keyIDs[T interface{ KeyID() string }](keys []T) []string {
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.KeyID())
	}
	return ids
}

// keyringVerifiers returns the verifiers of signers, which are the
// package's own key types.
func keyringVerifiers(t *testing.T, signers []Signer) []Verifier {
	var vs []Verifier
	for _, s := range signers {
		v, ok := s.(Verifier)
		if !ok {
			t.Fatalf("%T is not a Verifier", s)
		}
		vs = append(vs, v)
	}
	return vs
}
