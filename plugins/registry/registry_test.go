package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/enact-run/enact/internal/registrytest"
	"github.com/enact-run/enact/plugins/bundle"
	"github.com/enact-run/enact/plugins/registry"
)

// regOpen and regAuth are the package's two registries: one anonymous,
// one with basic authentication, started by the first test that needs
// them (not by fuzzing workers) and stopped by TestMain.
var (
	regOpen, regAuth *registrytest.Registry
	regOnce          sync.Once
	regErr           error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if regOpen != nil {
		regOpen.Close()
	}
	if regAuth != nil {
		regAuth.Close()
	}
	os.Exit(code)
}

func needRegistry(t testing.TB) {
	t.Helper()
	regOnce.Do(func() {
		if regOpen, regErr = registrytest.Start(registrytest.Options{}); regErr == nil {
			regAuth, regErr = registrytest.Start(registrytest.Options{Auth: true})
		}
	})
	if regErr != nil {
		if os.Getenv("CI") == "" && errors.Is(regErr, registrytest.ErrNoBinary) {
			t.Skip(regErr)
		}
		t.Fatal(regErr)
	}
}

// textstats opens the example capability with its 3 MB plugin as a bundle.
func textstats(t testing.TB) *bundle.Bundle {
	t.Helper()
	b, err := bundle.Open(filepath.Join("..", "examples", "textstats", "textstats.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPushPullWithSignatureAndBasicAuth(t *testing.T) {
	needRegistry(t)
	ctx := t.Context()
	b := textstats(t)
	key, err := bundle.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := bundle.Sign(nil, b.Manifest, key)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := registry.ParseReference("oci://" + regAuth.Host + "/acme/textstats:v1")
	if err != nil {
		t.Fatal(err)
	}
	anon := &registry.Client{}
	if _, err := anon.Push(ctx, ref, b, sig); !errors.Is(err, registry.ErrUnauthorized) {
		t.Fatalf("anonymous push to a registry with auth: %v, want ErrUnauthorized", err)
	}
	c := &registry.Client{Credential: func(_ context.Context, host string) (string, string, error) {
		if host != regAuth.Host {
			return "", "", nil
		}
		return regAuth.Username, regAuth.Password, nil
	}}
	md, err := c.Push(ctx, ref, b, sig)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Resolve(ctx, ref)
	if err != nil || got != md {
		t.Fatalf("Resolve = %s, %v; want %s", got, err, md)
	}
	// distribution 2.8 has no referrers API: the signature went to the
	// referrers tag.
	tagRef := ref
	tagRef.Tag = strings.Replace(md, ":", "-", 1)
	if _, err := c.Resolve(ctx, tagRef); err != nil {
		t.Fatalf("the referrers tag %s is missing: %v", tagRef.Tag, err)
	}
	dir := t.TempDir()
	p, err := c.Pull(ctx, ref, md, dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Bundle.Digest() != b.Digest() {
		t.Fatalf("pulled bundle %s, pushed %s", p.Bundle.Digest(), b.Digest())
	}
	if len(p.Signatures) != 1 {
		t.Fatalf("%d signatures (errors %v), want 1", len(p.Signatures), p.SignatureErrors)
	}
	v, err := p.Signatures[0].Verify(b.Digest())
	if err != nil || v[0].KeyID != key.KeyID() {
		t.Fatalf("Verify = %v, %v", v, err)
	}
	pb, err := bundle.Open(filepath.Join(dir, "textstats.yaml"), true)
	if err != nil || pb.Digest() != b.Digest() {
		t.Fatalf("the pulled directory opens as %v, %v", pb, err)
	}
}

func TestPullRefusesATamperedLayerAndReportsADownRegistry(t *testing.T) {
	needRegistry(t)
	ctx := t.Context()
	b := textstats(t)
	c := &registry.Client{}
	ref, _ := registry.ParseReference("oci://" + regOpen.Host + "/acme/tamper:v1")
	md, err := c.Push(ctx, ref, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := b.Manifest.Entry("textstats.yaml")
	blob := regOpen.BlobPath("sha256:" + e.SHA256)
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[0] ^= 0x20
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := c.Pull(ctx, ref, md, dir); !errors.Is(err, registry.ErrTampered) || !strings.Contains(err.Error(), "textstats.yaml") {
		t.Fatalf("Pull of a tampered layer = %v, want ErrTampered naming the file", err)
	}
	down, _ := registry.ParseReference("oci://127.0.0.1:1/acme/x:v1")
	if _, err := c.Resolve(ctx, down); !errors.Is(err, registry.ErrUnreachable) {
		t.Fatalf("Resolve on a closed port = %v, want ErrUnreachable", err)
	}
}

func TestParseReference(t *testing.T) {
	t.Parallel()
	d := "sha256:" + strings.Repeat("a", 64)
	for in, want := range map[string]string{
		"oci://localhost:5000/acme/x:v1":       "oci://localhost:5000/acme/x:v1",
		"localhost:5000/acme/x":                "oci://localhost:5000/acme/x:latest",
		"oci://ghcr.io/a/b/c@" + d:             "oci://ghcr.io/a/b/c@" + d,
		"oci://ghcr.io/a/b/c:v2@" + d:          "oci://ghcr.io/a/b/c@" + d,
		"oci://reg.example.com:443/team/cap:1": "oci://reg.example.com:443/team/cap:1",
	} {
		r, err := registry.ParseReference(in)
		if err != nil || r.String() != want {
			t.Errorf("ParseReference(%q) = %v, %v; want %s", in, r, err, want)
		}
	}
	for _, bad := range []string{"oci://nohost", "oci://h/r@sha512:" + strings.Repeat("a", 128), "oci://h/R:v1", "oci://h/r:bad tag"} {
		if _, err := registry.ParseReference(bad); !errors.Is(err, registry.ErrReference) {
			t.Errorf("ParseReference(%q) = %v, want ErrReference", bad, err)
		}
	}
}

// FuzzDecodeManifest feeds arbitrary bytes as a registry manifest: no
// panic, and an accepted manifest has safe paths, exactly one capability
// layer, and a bundle digest that its layers determine.
func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.enact.bundle.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.enact.capability.v1+yaml","digest":"sha256:052783bdb6550330e52b107de2e07ab6ef76677ffc07b7bbbb9d0edab03fe504","size":2252,"annotations":{"org.opencontainers.image.title":"textstats.yaml"}},{"mediaType":"application/wasm","digest":"sha256:00088e360c4b49a6eeff8adbf68bc4170bab4b462c712c483094e510fcf99d02","size":3331947,"annotations":{"org.opencontainers.image.title":"textstats.wasm"}}],"annotations":{"run.enact.bundle.digest":"sha256:3623b93358f31e00d5f369da783ecf26633fd5394e192e8dfbe05c8ed9a364b6"}}`))
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.enact.bundle.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.enact.capability.v1+yaml","digest":"sha256:052783bdb6550330e52b107de2e07ab6ef76677ffc07b7bbbb9d0edab03fe504","size":2252,"annotations":{"org.opencontainers.image.title":"../x.yaml"}}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		bm, layers, err := registry.DecodeManifest(body)
		if err != nil {
			if !errors.Is(err, registry.ErrManifest) {
				t.Fatalf("error outside ErrManifest: %v", err)
			}
			return
		}
		if len(layers) != len(bm.Entries()) {
			t.Fatalf("%d layers for %d entries", len(layers), len(bm.Entries()))
		}
		caps := 0
		for _, l := range layers {
			if l.MediaType == registry.CapabilityMediaType {
				caps++
			}
		}
		if caps != 1 {
			t.Fatalf("%d capability layers accepted", caps)
		}
		for _, e := range bm.Entries() {
			if bundle.CheckPath(e.Path) != nil {
				t.Fatalf("accepted path %q", e.Path)
			}
		}
		again, err := bundle.Parse(bm.Text())
		if err != nil || again.Digest() != bm.Digest() {
			t.Fatalf("the rebuilt manifest does not parse back: %v", err)
		}
	})
}

// BenchmarkPullAndVerify is the first use of a bundle holding a 3 MB
// plugin from a loopback registry: resolve the tag, fetch the manifest,
// the layers and the signature (each checked against its digest), then
// hash the files into the bundle digest and verify the signature.
func BenchmarkPullAndVerify(b *testing.B) {
	needRegistry(b)
	ctx := b.Context()
	bu := textstats(b)
	key, _ := bundle.GenerateKey()
	sig, _ := bundle.Sign(nil, bu.Manifest, key)
	c := &registry.Client{}
	ref, _ := registry.ParseReference("oci://" + regOpen.Host + "/acme/bench:v1")
	if _, err := c.Push(ctx, ref, bu, sig); err != nil {
		b.Fatal(err)
	}
	trust := bundle.Trust{Signers: []bundle.Signer{{KeyID: key.KeyID()}}}
	b.ReportAllocs()
	for b.Loop() {
		dir := b.TempDir()
		md, err := c.Resolve(ctx, ref)
		if err != nil {
			b.Fatal(err)
		}
		p, err := c.Pull(ctx, ref, md, dir)
		if err != nil {
			b.Fatal(err)
		}
		got, err := bundle.Open(filepath.Join(dir, p.Bundle.Capability()), true)
		if err != nil || got.Digest() != p.Bundle.Digest() {
			b.Fatal(err)
		}
		v, err := p.Signatures[0].Verify(got.Digest())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := trust.Trusted(v, bundle.Subject{Repository: ref.Name(), Capability: got.Capability.ID}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecodeManifestRefuses(t *testing.T) {
	t.Parallel()
	const (
		head  = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.enact.bundle.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[`
		capL  = `{"mediaType":"application/vnd.enact.capability.v1+yaml","digest":"sha256:052783bdb6550330e52b107de2e07ab6ef76677ffc07b7bbbb9d0edab03fe504","size":2252,"annotations":{"org.opencontainers.image.title":"TITLE"}}`
		wasmL = `{"mediaType":"application/wasm","digest":"sha256:00088e360c4b49a6eeff8adbf68bc4170bab4b462c712c483094e510fcf99d02","size":3331947,"annotations":{"org.opencontainers.image.title":"p.wasm"}}`
	)
	layer := func(title string) string { return strings.Replace(capL, "TITLE", title, 1) }
	good := head + layer("c.yaml") + "," + wasmL + "]}"
	if _, layers, err := registry.DecodeManifest([]byte(good)); err != nil || len(layers) != 2 {
		t.Fatalf("the good manifest: %v", err)
	}
	for name, body := range map[string]string{
		"path leaves the directory": head + layer("../c.yaml") + "]}",
		"absolute path":             head + layer("/etc/c.yaml") + "]}",
		"two capability layers":     head + layer("a.yaml") + "," + layer("b.yaml") + "]}",
		"no capability layer":       head + wasmL + "]}",
		"duplicate path":            head + layer("p.wasm") + "," + wasmL + "]}",
		"other media type":          head + layer("c.yaml") + "," + strings.Replace(wasmL, "application/wasm", "application/octet-stream", 1) + "]}",
		"foreign layer":             head + layer("c.yaml") + "," + strings.Replace(wasmL, `"size"`, `"urls":["http://x/y"],"size"`, 1) + "]}",
		"digest annotation lies":    head + layer("c.yaml") + `],"annotations":{"run.enact.bundle.digest":"sha256:` + strings.Repeat("0", 64) + `"}}`,
		"other artifact type":       strings.Replace(good, "vnd.enact.bundle.v1", "vnd.other.v1", 1),
		"unknown field":             strings.Replace(good, `"schemaVersion":2`, `"schemaVersion":2,"extra":1`, 1),
		"a subject":                 strings.Replace(good, `"layers"`, `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:`+strings.Repeat("1", 64)+`","size":1},"layers"`, 1),
	} {
		if _, _, err := registry.DecodeManifest([]byte(body)); !errors.Is(err, registry.ErrManifest) {
			t.Errorf("%s: DecodeManifest = %v, want ErrManifest", name, err)
		}
	}
}
