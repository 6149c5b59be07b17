package bundle_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/plugins/bundle"
)

const textstats = "../examples/textstats/textstats.yaml"

func TestManifestFormatAndDigest(t *testing.T) {
	t.Parallel()
	yamlSum := strings.Repeat("b", 64)
	m, err := bundle.NewManifest("cap.yaml", []bundle.Entry{
		{Path: "plugins/p.wasm", SHA256: strings.Repeat("a", 64), Size: 10},
		{Path: "cap.yaml", SHA256: yamlSum, Size: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "enact-bundle/1\ncapability cap.yaml\n" + yamlSum + " 3 cap.yaml\n" + strings.Repeat("a", 64) + " 10 plugins/p.wasm\n"
	if diff := cmp.Diff(want, string(m.Text())); diff != "" {
		t.Fatalf("manifest text (-want +got):\n%s", diff)
	}
	sum := sha256.Sum256([]byte(want))
	if m.Digest() != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Fatalf("digest %s is not the sha256 of the text", m.Digest())
	}
	back, err := bundle.Parse(m.Text())
	if err != nil || back.Digest() != m.Digest() {
		t.Fatalf("Parse(Text()) = %v, %v", back, err)
	}
	for _, bad := range []string{
		strings.Replace(want, "cap.yaml\n"+yamlSum, "cap.yaml\n"+strings.ToUpper(yamlSum), 1), // upper-case hex
		strings.Replace(want, " 3 ", " 03 ", 1),                                               // leading zero
		strings.TrimSuffix(want, "\n"),                                                        // no final newline
		strings.Replace(want, "plugins/", "../", 1),                                           // leaves the directory
		strings.Replace(want, "capability cap", "capability nope", 1),
		"enact-bundle/2\n" + strings.SplitN(want, "\n", 2)[1],
		"enact-bundle/1\ncapability cap.yaml\n" + strings.Repeat("a", 64) + " 10 plugins/p.wasm\n" + yamlSum + " 3 cap.yaml\n", // unsorted
	} {
		if _, err := bundle.Parse([]byte(bad)); !errors.Is(err, bundle.ErrManifest) && !errors.Is(err, bundle.ErrPath) {
			t.Errorf("Parse(%q) = %v, want a manifest error", bad, err)
		}
	}
}

func TestOpenHashesOrTrustsThePins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyFile(t, textstats, filepath.Join(dir, "textstats.yaml"))
	copyFile(t, filepath.Join(filepath.Dir(textstats), "textstats.wasm"), filepath.Join(dir, "textstats.wasm"))
	full, err := bundle.Open(filepath.Join(dir, "textstats.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := bundle.Open(filepath.Join(dir, "textstats.yaml"), false)
	if err != nil || fast.Digest() != full.Digest() || len(full.Manifest.Entries()) != 2 {
		t.Fatalf("Open without hashing: %v, %v; with: %s", fast, err, full.Digest())
	}
	// Same size, another byte: the pin check finds it.
	wasm := filepath.Join(dir, "textstats.wasm")
	data, _ := os.ReadFile(wasm)
	data[100] ^= 1
	if err := os.WriteFile(wasm, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Open(filepath.Join(dir, "textstats.yaml"), true); !errors.Is(err, bundle.ErrDigestMismatch) {
		t.Fatalf("Open of a changed plugin = %v, want ErrDigestMismatch", err)
	}
	if _, err := full.ReadFile("textstats.wasm"); !errors.Is(err, bundle.ErrDigestMismatch) {
		t.Fatalf("ReadFile of a changed plugin = %v, want ErrDigestMismatch", err)
	}
}

func TestSignVerifyTrust(t *testing.T) {
	t.Parallel()
	b, err := bundle.Open(textstats, true)
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := bundle.GenerateKey()
	k2, _ := bundle.GenerateKey()
	sf, err := bundle.Sign(nil, b.Manifest, k1)
	if err != nil {
		t.Fatal(err)
	}
	sf, _ = bundle.Sign(sf, b.Manifest, k2)
	back, err := bundle.ParseSignatureFile(sf.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	v, err := back.Verify(b.Digest())
	if err != nil || len(v) != 2 || v[0].KeyID != k1.KeyID() || !bundle.ValidKeyID(v[0].KeyID) {
		t.Fatalf("Verify = %v, %v", v, err)
	}
	if _, err := back.Verify("sha256:" + strings.Repeat("0", 64)); !errors.Is(err, bundle.ErrDigestMismatch) {
		t.Errorf("Verify against another digest = %v", err)
	}
	forged := *back
	forged.Signatures = []bundle.Signature{back.Signatures[0]}
	forged.Signatures[0].PublicKey = string(k2.Public().MarshalPEM())
	if _, err := forged.Verify(b.Digest()); !errors.Is(err, bundle.ErrBadSignature) {
		t.Errorf("a signature claiming another key = %v, want ErrBadSignature", err)
	}
	subj := bundle.Subject{Repository: "localhost:5000/acme/textstats", Capability: "TextStats"}
	for _, tc := range []struct {
		name  string
		trust bundle.Trust
		want  string // key id, or "" for ErrUntrusted
	}{
		{"no signers", bundle.Trust{}, ""},
		{"by id", bundle.Trust{Signers: []bundle.Signer{{KeyID: k2.KeyID()}}}, k2.KeyID()},
		{"by key", bundle.Trust{Signers: []bundle.Signer{{Key: k1.Public()}}}, k1.KeyID()},
		{"repository glob", bundle.Trust{Signers: []bundle.Signer{{KeyID: k1.KeyID(), Repositories: []string{"localhost:5000/acme/*"}}}}, k1.KeyID()},
		{"other repository", bundle.Trust{Signers: []bundle.Signer{{KeyID: k1.KeyID(), Repositories: []string{"localhost:5000/other/*"}}}}, ""},
		{"other capability", bundle.Trust{Signers: []bundle.Signer{{KeyID: k1.KeyID(), Capabilities: []string{"Other"}}}}, ""},
	} {
		got, err := tc.trust.Trusted(v, subj)
		if tc.want == "" && !errors.Is(err, bundle.ErrUntrusted) || tc.want != "" && got != tc.want {
			t.Errorf("%s: Trusted = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestOpenSSLVerifiesTheSignature checks the documented command: the real
// openssl verifies a signature with the public key keygen writes.
func TestOpenSSLVerifiesTheSignature(t *testing.T) {
	t.Parallel()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is not installed")
		}
		t.Skip("openssl is not installed")
	}
	b, err := bundle.Open(textstats, true)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := bundle.GenerateKey()
	sf, err := bundle.Sign(nil, b.Manifest, k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sig, _ := base64.StdEncoding.DecodeString(sf.Signatures[0].Signature)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pub, der, manifest := write("k.pub", k.Public().MarshalPEM()), write("sig.der", sig), write("manifest.txt", []byte(sf.Manifest))
	out, err := exec.Command(openssl, "dgst", "-sha256", "-verify", pub, "-signature", der, manifest).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("Verified OK")) {
		t.Fatalf("openssl: %v: %s", err, out)
	}
	write("manifest.txt", append([]byte(sf.Manifest), '\n'))
	if out, err := exec.Command(openssl, "dgst", "-sha256", "-verify", pub, "-signature", der, manifest).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified a changed manifest: %s", out)
	}
	// And a key openssl made signs what this package verifies.
	priv := filepath.Join(dir, "o.key")
	if out, err := exec.Command(openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", priv).CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v %s", err, out)
	}
	pem, _ := os.ReadFile(priv)
	ok, err := bundle.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Sign(nil, b.Manifest, ok); err != nil {
		t.Fatal(err)
	}
}

func TestLockPinsAndRefusesChanges(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "enact.lock")
	l, err := bundle.ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	d := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	pin := bundle.Pin{Manifest: d("1"), Bundle: d("2"), Signer: "ecdsa-p256:0123456789abcdef"}
	if err := l.Check("h/r:v1", pin); err != nil {
		t.Fatalf("no pin yet: %v", err)
	}
	if err := l.Set("h/r:v1", pin); err != nil {
		t.Fatal(err)
	}
	l, err = bundle.ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	var le *bundle.LockError
	moved := pin
	moved.Manifest = d("3")
	if err := l.Check("h/r:v1", moved); !errors.As(err, &le) || le.What != "digest" || !strings.Contains(err.Error(), "pull --update") {
		t.Errorf("moved tag: %v", err)
	}
	signer := pin
	signer.Signer = "ecdsa-p256:fedcba9876543210"
	if err := l.Check("h/r:v1", signer); !errors.As(err, &le) || le.What != "signer" {
		t.Errorf("new signer: %v", err)
	}
	if err := l.Check("h/r:v1", bundle.Pin{Manifest: d("1")}); err != nil {
		t.Errorf("same manifest, rest unknown: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"version": 1, "bundles": {"x": {"manifest": "nope"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.ReadLock(path); err == nil {
		t.Error("a lock entry without digests was accepted")
	}
}

// FuzzManifest feeds arbitrary text to Parse: it must never panic, and
// whatever it accepts must be canonical (re-encoding gives the same bytes
// and the digest is their sha256).
func FuzzManifest(f *testing.F) {
	m, _ := bundle.NewManifest("c.yaml", []bundle.Entry{{Path: "c.yaml", SHA256: strings.Repeat("a", 64), Size: 1}, {Path: "p/x.wasm", SHA256: strings.Repeat("b", 64), Size: 2}})
	f.Add(m.Text())
	f.Add([]byte("enact-bundle/1\ncapability c\n"))
	f.Add([]byte("enact-bundle/1\ncapability ../c\n" + strings.Repeat("a", 64) + " 1 ../c\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		m, err := bundle.Parse(text)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Text(), text) {
			t.Fatalf("accepted non-canonical text %q (canonical %q)", text, m.Text())
		}
		sum := sha256.Sum256(text)
		if m.Digest() != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Fatal("digest is not the text's sha256")
		}
		for _, e := range m.Entries() {
			if bundle.CheckPath(e.Path) != nil || strings.Contains(e.Path, "..") && strings.Contains("/"+e.Path+"/", "/../") {
				t.Fatalf("accepted path %q", e.Path)
			}
		}
	})
}

// FuzzSignatureFile feeds arbitrary bytes to ParseSignatureFile and
// Verify: no panic, and nothing verifies without a real signature.
func FuzzSignatureFile(f *testing.F) {
	b, err := bundle.Open(textstats, false)
	if err != nil {
		f.Fatal(err)
	}
	k, _ := bundle.GenerateKey()
	sf, _ := bundle.Sign(nil, b.Manifest, k)
	f.Add(sf.Marshal())
	f.Add([]byte(`{"format":"enact-bundle-signature/1","signatures":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := bundle.ParseSignatureFile(data)
		if err != nil {
			return
		}
		v, err := sf.Verify(sf.Digest)
		if err == nil && len(v) == 0 {
			t.Fatal("Verify passed with no valid signature")
		}
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
