package registry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enact-run/enact/internal/registrytest"
	"github.com/enact-run/enact/plugins/bundle"
	"github.com/enact-run/enact/plugins/registry"
)

// regOpen and regAuth are the package's two registries: one anonymous,
// one with basic authentication. Both nil when the registry binary is
// missing outside CI.
var regOpen, regAuth *registrytest.Registry

func TestMain(m *testing.M) {
	var err error
	if regOpen, err = registrytest.Start(registrytest.Options{}); err == nil {
		regAuth, err = registrytest.Start(registrytest.Options{Auth: true})
	}
	if err != nil {
		if os.Getenv("CI") != "" || !errors.Is(err, registrytest.ErrNoBinary) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "skipping the registry tests:", err)
	}
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
	if regOpen == nil || regAuth == nil {
		t.Skip("docker-registry is not installed (apt-get install docker-registry)")
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
