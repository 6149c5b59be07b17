// Package registry publishes capability bundles (package bundle) to OCI
// registries and fetches them back, with oras-go.
//
// # Artifact
//
// A bundle is one OCI image manifest (schema 2, media type
// application/vnd.oci.image.manifest.v1+json) with
//
//	artifactType  application/vnd.enact.bundle.v1
//	config        the empty descriptor (application/vnd.oci.empty.v1+json, "{}")
//	layers        one per file of the bundle, in the manifest's path order:
//	                the capability file  application/vnd.enact.capability.v1+yaml
//	                each plugin module   application/wasm
//	              each with the annotation org.opencontainers.image.title = the file's path
//	annotations   run.enact.bundle.digest       the bundle digest
//	              run.enact.capability.id       the capability's id
//	              run.enact.capability.version  its version (when it has one)
//
// The bundle's canonical manifest is rebuilt from the layers (title, sha256
// of the digest, size), so the bundle digest follows from the registry
// manifest and needs no layer of its own.
//
// A signature file (bundle.SignatureFile) is pushed as a second manifest
// whose subject is the bundle's manifest: artifactType
// application/vnd.enact.bundle.signature.v1, one layer of media type
// application/vnd.enact.bundle.signature.v1+json. Registries with the
// referrers API list it there; for the others oras-go maintains the
// referrers tag (sha256-<hex of the bundle manifest digest>), an image
// index of the signatures, as the OCI distribution specification's
// fallback describes. Both are read back.
//
// # Checks on pull
//
// Every byte fetched is checked against the digest that names it (the
// manifest against the digest the tag resolved to or the reference gave,
// each layer against its descriptor); sizes are bounded before reading;
// DecodeManifest refuses any manifest that is not exactly the shape above
// (wrong types, duplicate or unsafe paths, a second capability layer, a
// bundle digest annotation that is not the digest of the layers).
package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	orasreg "oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/enact-run/enact/plugins/bundle"
)

// Media and artifact types.
const (
	ArtifactType          = "application/vnd.enact.bundle.v1"
	CapabilityMediaType   = "application/vnd.enact.capability.v1+yaml"
	WasmMediaType         = "application/wasm"
	SignatureArtifactType = "application/vnd.enact.bundle.signature.v1"
	SignatureMediaType    = "application/vnd.enact.bundle.signature.v1+json"
)

// Annotations on a bundle's manifest.
const (
	AnnotationBundleDigest      = "run.enact.bundle.digest"
	AnnotationCapabilityID      = "run.enact.capability.id"
	AnnotationCapabilityVersion = "run.enact.capability.version"
)

// MaxManifestSize bounds a registry manifest read.
const MaxManifestSize = 256 << 10

// Sentinel errors.
var (
	ErrReference   = errors.New("registry: invalid reference")
	ErrManifest    = errors.New("registry: not an Enact bundle manifest")
	ErrUnreachable = errors.New("registry: unreachable")
	ErrNotFound    = errors.New("registry: not found")
	ErrTampered    = errors.New("registry: content does not match its digest")
	// ErrUnauthorized: the registry wants credentials it was not given,
	// or refused the ones it was.
	ErrUnauthorized = errors.New("registry: not authorized")
)

// Reference names a bundle in a registry: HOST[:PORT]/REPOSITORY with a
// tag, a digest, or both (the digest wins).
type Reference struct {
	Registry   string
	Repository string
	Tag        string
	Digest     string
}

// ParseReference reads "oci://HOST/REPO:TAG", "oci://HOST/REPO@sha256:…"
// (the oci:// prefix is optional). A reference without tag or digest
// means the tag "latest".
func ParseReference(s string) (Reference, error) {
	raw := strings.TrimPrefix(s, "oci://")
	if !strings.Contains(raw, "/") {
		return Reference{}, fmt.Errorf("%w: %q: want oci://HOST/REPOSITORY:TAG or @sha256:DIGEST", ErrReference, s)
	}
	r, err := orasreg.ParseReference(raw)
	if err != nil {
		return Reference{}, fmt.Errorf("%w: %q: %v", ErrReference, s, err)
	}
	ref := Reference{Registry: r.Registry, Repository: r.Repository}
	if i := strings.Index(raw, "@"); i >= 0 {
		ref.Digest = raw[i+1:]
		if d, err := digest.Parse(ref.Digest); err != nil || d.Algorithm() != digest.SHA256 {
			return Reference{}, fmt.Errorf("%w: %q: the digest must be sha256:<64 hex digits>", ErrReference, s)
		}
		if j := strings.LastIndex(raw[:i], ":"); j > strings.LastIndex(raw[:i], "/") {
			ref.Tag = raw[j+1 : i]
		}
	} else if r.Reference != "" {
		ref.Tag = r.Reference
	} else {
		ref.Tag = "latest"
	}
	return ref, nil
}

// IsReference reports whether s is written as a registry reference
// (starts with oci://).
func IsReference(s string) bool { return strings.HasPrefix(s, "oci://") }

// Name is "HOST/REPOSITORY".
func (r Reference) Name() string { return r.Registry + "/" + r.Repository }

// Key is the reference without the scheme, as a lock file names it.
func (r Reference) Key() string {
	if r.Digest != "" {
		return r.Name() + "@" + r.Digest
	}
	return r.Name() + ":" + r.Tag
}

// String is "oci://" and Key.
func (r Reference) String() string { return "oci://" + r.Key() }

// Client talks to registries. The zero value works anonymously, over
// HTTPS, and over plain HTTP for loopback hosts only.
type Client struct {
	// Credential returns the user name and password (or an identity
	// token as password with user "<token>") for a registry host; empty
	// strings mean anonymous.
	Credential func(ctx context.Context, host string) (username, password string, err error)
	// PlainHTTP allows plain HTTP to every host; without it only
	// loopback hosts (localhost, 127.0.0.0/8, ::1) are spoken to without
	// TLS.
	PlainHTTP bool
	// HTTP is the client to use; a fresh one when nil.
	HTTP *http.Client
}

func (c *Client) repo(ref Reference) (*remote.Repository, error) {
	repo, err := remote.NewRepository(ref.Name())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReference, err)
	}
	repo.PlainHTTP = c.PlainHTTP || isLoopback(ref.Registry)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	ac := &auth.Client{Client: hc, Cache: auth.NewCache(), Header: http.Header{"User-Agent": {"enact-run"}}}
	if c.Credential != nil {
		ac.Credential = func(ctx context.Context, host string) (auth.Credential, error) {
			u, p, err := c.Credential(ctx, host)
			if err != nil {
				return auth.EmptyCredential, err
			}
			if u == "<token>" {
				return auth.Credential{RefreshToken: p}, nil
			}
			return auth.Credential{Username: u, Password: p}, nil
		}
	}
	repo.Client = ac
	repo.MaxMetadataBytes = MaxManifestSize
	return repo, nil
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// wrap classifies a transport error.
func wrap(ref Reference, what string, err error) error {
	var ne net.Error
	var oe *net.OpError
	var re *errcode.ErrorResponse
	switch {
	case errors.Is(err, auth.ErrBasicCredentialNotFound),
		errors.As(err, &re) && (re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden):
		return fmt.Errorf("%w: %s: %s: %v (credentials come from the Docker config file, $DOCKER_CONFIG/config.json or ~/.docker/config.json, or from ENACT_REGISTRY_USERNAME and ENACT_REGISTRY_PASSWORD)", ErrUnauthorized, ref, what, err)
	case errors.Is(err, errdef.ErrNotFound):
		return fmt.Errorf("%w: %s: %s: %v", ErrNotFound, ref, what, err)
	case errors.Is(err, content.ErrMismatchedDigest), errors.Is(err, content.ErrTrailingData):
		return fmt.Errorf("%w: %s: %s: %v", ErrTampered, ref, what, err)
	case errors.As(err, &oe), errors.As(err, &ne):
		return fmt.Errorf("%w: %s: %s: %v", ErrUnreachable, ref, what, err)
	}
	return fmt.Errorf("registry: %s: %s: %w", ref, what, err)
}

// emptyConfig is the OCI empty descriptor's content.
var emptyConfig = []byte("{}")

func emptyDescriptor() ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeEmptyJSON, Digest: digest.FromBytes(emptyConfig), Size: int64(len(emptyConfig))}
}

// Push uploads a bundle's files and manifest, tags it with ref.Tag, and,
// when sig is not nil, attaches the signature file. It returns the
// manifest's digest. A file that changed since the bundle was opened is
// refused (bundle.ErrDigestMismatch) and nothing is tagged.
func (c *Client) Push(ctx context.Context, ref Reference, b *bundle.Bundle, sig *bundle.SignatureFile) (string, error) {
	if ref.Tag == "" {
		return "", fmt.Errorf("%w: push needs a tag", ErrReference)
	}
	repo, err := c.repo(ref)
	if err != nil {
		return "", err
	}
	if err := pushBlob(ctx, repo, emptyDescriptor(), emptyConfig); err != nil {
		return "", wrap(ref, "push config", err)
	}
	m := b.Manifest
	var layers []ocispec.Descriptor
	for _, e := range m.Entries() {
		data, err := b.ReadFile(e.Path)
		if err != nil {
			return "", err
		}
		mt := WasmMediaType
		if e.Path == m.Capability() {
			mt = CapabilityMediaType
		}
		d := ocispec.Descriptor{MediaType: mt, Digest: digest.NewDigestFromEncoded(digest.SHA256, e.SHA256), Size: e.Size,
			Annotations: map[string]string{ocispec.AnnotationTitle: e.Path}}
		if err := pushBlob(ctx, repo, d, data); err != nil {
			return "", wrap(ref, "push "+e.Path, err)
		}
		layers = append(layers, d)
	}
	ann := map[string]string{AnnotationBundleDigest: m.Digest(), AnnotationCapabilityID: b.Capability.ID}
	if b.Capability.Version != "" {
		ann[AnnotationCapabilityVersion] = b.Capability.Version
	}
	man := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: ArtifactType, Config: emptyDescriptor(), Layers: layers, Annotations: ann,
	}
	body, err := json.Marshal(man)
	if err != nil {
		return "", err
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(body), Size: int64(len(body)), ArtifactType: ArtifactType}
	if err := repo.PushReference(ctx, desc, bytes.NewReader(body), ref.Tag); err != nil {
		return "", wrap(ref, "push manifest", err)
	}
	if sig != nil {
		if err := c.attach(ctx, repo, ref, desc, sig); err != nil {
			return desc.Digest.String(), err
		}
	}
	return desc.Digest.String(), nil
}

// Attach adds a signature file to the bundle manifest with the given
// digest.
func (c *Client) Attach(ctx context.Context, ref Reference, manifestDigest string, sig *bundle.SignatureFile) error {
	repo, err := c.repo(ref)
	if err != nil {
		return err
	}
	desc, err := repo.Resolve(ctx, manifestDigest)
	if err != nil {
		return wrap(ref, "resolve "+manifestDigest, err)
	}
	return c.attach(ctx, repo, ref, desc, sig)
}

func (c *Client) attach(ctx context.Context, repo *remote.Repository, ref Reference, subject ocispec.Descriptor, sig *bundle.SignatureFile) error {
	data := sig.Marshal()
	layer := ocispec.Descriptor{MediaType: SignatureMediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := pushBlob(ctx, repo, layer, data); err != nil {
		return wrap(ref, "push signature", err)
	}
	subj := ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	man := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: SignatureArtifactType, Config: emptyDescriptor(), Layers: []ocispec.Descriptor{layer}, Subject: &subj,
		Annotations: map[string]string{AnnotationBundleDigest: sig.Digest},
	}
	body, err := json.Marshal(man)
	if err != nil {
		return err
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(body), Size: int64(len(body)), ArtifactType: SignatureArtifactType}
	// The repository adds the signature to the referrers API, or to the
	// referrers tag where the registry has no such API.
	if err := repo.Push(ctx, desc, bytes.NewReader(body)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return wrap(ref, "push signature manifest", err)
	}
	return nil
}

func pushBlob(ctx context.Context, repo *remote.Repository, d ocispec.Descriptor, data []byte) error {
	ok, err := repo.Exists(ctx, d)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	if err := repo.Push(ctx, d, bytes.NewReader(data)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return err
	}
	return nil
}

// Resolve returns the manifest digest a reference names now (its digest,
// or what its tag points at).
func (c *Client) Resolve(ctx context.Context, ref Reference) (string, error) {
	if ref.Digest != "" {
		return ref.Digest, nil
	}
	repo, err := c.repo(ref)
	if err != nil {
		return "", err
	}
	d, err := repo.Resolve(ctx, ref.Tag)
	if err != nil {
		return "", wrap(ref, "resolve tag "+ref.Tag, err)
	}
	return d.Digest.String(), nil
}

// Pulled is a bundle fetched into a directory.
type Pulled struct {
	// ManifestDigest is the registry manifest's digest.
	ManifestDigest string
	// ManifestJSON is the registry manifest as fetched.
	ManifestJSON []byte
	// Bundle is the bundle's canonical manifest, rebuilt from the layers.
	Bundle *bundle.Manifest
	// Signatures are the signature files attached to the manifest,
	// undecoded signatures skipped (their errors in SignatureErrors).
	Signatures      []*bundle.SignatureFile
	SignatureErrors []string
}

// Pull fetches the bundle with the given manifest digest into dir (which
// must exist and be empty), checking every byte against its digest, and
// lists its signatures. Nothing in dir is trustworthy until the caller
// has checked the bundle and its signatures (bundle.Open, Verify, Trust).
func (c *Client) Pull(ctx context.Context, ref Reference, manifestDigest, dir string) (*Pulled, error) {
	repo, err := c.repo(ref)
	if err != nil {
		return nil, err
	}
	md, err := digest.Parse(manifestDigest)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrReference, manifestDigest)
	}
	body, err := fetchManifest(ctx, repo, md)
	if err != nil {
		return nil, wrap(ref, "fetch manifest", err)
	}
	bm, layers, err := DecodeManifest(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	for _, l := range layers {
		rc, err := repo.Fetch(ctx, l)
		if err != nil {
			return nil, wrap(ref, "fetch "+l.Annotations[ocispec.AnnotationTitle], err)
		}
		data, err := content.ReadAll(io.LimitReader(rc, l.Size+1), l)
		rc.Close()
		if err != nil {
			return nil, wrap(ref, "layer "+l.Annotations[ocispec.AnnotationTitle]+" ("+l.Digest.String()+")", err)
		}
		p := filepath.FromSlash(l.Annotations[ocispec.AnnotationTitle])
		if d := filepath.Dir(p); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return nil, err
			}
		}
		if err := root.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
	}
	out := &Pulled{ManifestDigest: md.String(), ManifestJSON: body, Bundle: bm}
	subject := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: md, Size: int64(len(body))}
	var refs []ocispec.Descriptor
	err = repo.Referrers(ctx, subject, SignatureArtifactType, func(rs []ocispec.Descriptor) error {
		refs = append(refs, rs...)
		if len(refs) > 64 {
			return errors.New("more than 64 signatures")
		}
		return nil
	})
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return nil, wrap(ref, "list signatures", err)
	}
	for _, r := range refs {
		sf, err := fetchSignature(ctx, repo, r, md)
		if err != nil {
			out.SignatureErrors = append(out.SignatureErrors, fmt.Sprintf("%s: %v", r.Digest, err))
			continue
		}
		out.Signatures = append(out.Signatures, sf)
	}
	return out, nil
}

func fetchManifest(ctx context.Context, repo *remote.Repository, d digest.Digest) ([]byte, error) {
	desc, rc, err := repo.FetchReference(ctx, d.String())
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if desc.Size > MaxManifestSize {
		return nil, fmt.Errorf("manifest of %d bytes is over %d", desc.Size, MaxManifestSize)
	}
	desc.Digest = d
	return content.ReadAll(rc, desc)
}

func fetchSignature(ctx context.Context, repo *remote.Repository, r ocispec.Descriptor, subject digest.Digest) (*bundle.SignatureFile, error) {
	if r.Size > MaxManifestSize {
		return nil, errors.New("signature manifest too large")
	}
	body, err := fetchManifest(ctx, repo, r.Digest)
	if err != nil {
		return nil, err
	}
	layer, err := DecodeSignatureManifest(body, subject.String())
	if err != nil {
		return nil, err
	}
	rc, err := repo.Fetch(ctx, layer)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := content.ReadAll(io.LimitReader(rc, layer.Size+1), layer)
	if err != nil {
		return nil, err
	}
	return bundle.ParseSignatureFile(data)
}

// manifestDoc is the part of an OCI manifest DecodeManifest reads; other
// fields are refused.
type manifestDoc struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType"`
	Config        ocispec.Descriptor   `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Subject       *ocispec.Descriptor  `json:"subject,omitempty"`
	Annotations   map[string]string    `json:"annotations,omitempty"`
}

func decodeDoc(body []byte) (*manifestDoc, error) {
	if len(body) > MaxManifestSize {
		return nil, fmt.Errorf("%w: %d bytes is over %d", ErrManifest, len(body), MaxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var m manifestDoc
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the JSON object", ErrManifest)
	}
	if m.SchemaVersion != 2 || m.MediaType != ocispec.MediaTypeImageManifest {
		return nil, fmt.Errorf("%w: want an OCI image manifest (schemaVersion 2, mediaType %s)", ErrManifest, ocispec.MediaTypeImageManifest)
	}
	if m.Config.MediaType != ocispec.MediaTypeEmptyJSON || m.Config.Digest != emptyDescriptor().Digest || m.Config.Size != 2 {
		return nil, fmt.Errorf("%w: the config must be the empty descriptor", ErrManifest)
	}
	return &m, nil
}

// DecodeManifest checks that a registry manifest is a bundle's (see the
// package documentation) and returns the bundle's canonical manifest and
// the layers to fetch.
func DecodeManifest(body []byte) (*bundle.Manifest, []ocispec.Descriptor, error) {
	m, err := decodeDoc(body)
	if err != nil {
		return nil, nil, err
	}
	if m.ArtifactType != ArtifactType {
		return nil, nil, fmt.Errorf("%w: artifactType %q, want %q", ErrManifest, m.ArtifactType, ArtifactType)
	}
	if m.Subject != nil {
		return nil, nil, fmt.Errorf("%w: a bundle has no subject", ErrManifest)
	}
	if len(m.Layers) == 0 || len(m.Layers) > bundle.MaxFiles {
		return nil, nil, fmt.Errorf("%w: %d layers (a bundle has 1 to %d)", ErrManifest, len(m.Layers), bundle.MaxFiles)
	}
	var (
		capability string
		entries    []bundle.Entry
	)
	for i, l := range m.Layers {
		title := l.Annotations[ocispec.AnnotationTitle]
		if err := bundle.CheckPath(title); err != nil {
			return nil, nil, fmt.Errorf("%w: layer %d: %v", ErrManifest, i, err)
		}
		if l.Digest.Validate() != nil || l.Digest.Algorithm() != digest.SHA256 {
			return nil, nil, fmt.Errorf("%w: layer %s: digest must be sha256", ErrManifest, title)
		}
		if l.Size < 0 || l.Size > bundle.MaxFileSize {
			return nil, nil, fmt.Errorf("%w: layer %s: size %d is outside 0 to %d", ErrManifest, title, l.Size, bundle.MaxFileSize)
		}
		switch l.MediaType {
		case CapabilityMediaType:
			if capability != "" {
				return nil, nil, fmt.Errorf("%w: two capability layers (%s and %s)", ErrManifest, capability, title)
			}
			capability = title
		case WasmMediaType:
		default:
			return nil, nil, fmt.Errorf("%w: layer %s: media type %q (want %s or %s)", ErrManifest, title, l.MediaType, CapabilityMediaType, WasmMediaType)
		}
		if len(l.URLs) > 0 {
			return nil, nil, fmt.Errorf("%w: layer %s: foreign layers (urls) are not fetched", ErrManifest, title)
		}
		entries = append(entries, bundle.Entry{Path: title, SHA256: l.Digest.Encoded(), Size: l.Size})
	}
	if capability == "" {
		return nil, nil, fmt.Errorf("%w: no layer of media type %s", ErrManifest, CapabilityMediaType)
	}
	bm, err := bundle.NewManifest(capability, entries)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if want, ok := m.Annotations[AnnotationBundleDigest]; ok && want != bm.Digest() {
		return nil, nil, fmt.Errorf("%w: the manifest says bundle %s, its layers make bundle %s", ErrManifest, want, bm.Digest())
	}
	return bm, m.Layers, nil
}

// DecodeSignatureManifest checks that a registry manifest is a signature
// of the bundle manifest with digest subject, and returns its one layer.
func DecodeSignatureManifest(body []byte, subject string) (ocispec.Descriptor, error) {
	m, err := decodeDoc(body)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	switch {
	case m.ArtifactType != SignatureArtifactType:
		return ocispec.Descriptor{}, fmt.Errorf("%w: artifactType %q, want %q", ErrManifest, m.ArtifactType, SignatureArtifactType)
	case m.Subject == nil || m.Subject.Digest.String() != subject:
		return ocispec.Descriptor{}, fmt.Errorf("%w: the signature's subject is not %s", ErrManifest, subject)
	case len(m.Layers) != 1 || m.Layers[0].MediaType != SignatureMediaType:
		return ocispec.Descriptor{}, fmt.Errorf("%w: a signature has one layer of media type %s", ErrManifest, SignatureMediaType)
	case m.Layers[0].Size < 0 || m.Layers[0].Size > bundle.MaxSignatureFileSize || m.Layers[0].Digest.Validate() != nil:
		return ocispec.Descriptor{}, fmt.Errorf("%w: the signature layer's size or digest is invalid", ErrManifest)
	}
	return m.Layers[0], nil
}
