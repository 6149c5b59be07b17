package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/enact-run/enact/plugins/bundle"
	"github.com/enact-run/enact/plugins/registry"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// bundleFlags are the flags of the commands that reach registries.
type bundleFlags struct {
	lock      string // --lock
	plainHTTP bool   // --plain-http
	update    bool   // --update (pull)
	hash      bool   // read and hash every file of a cached bundle (verify)
	offline   bool   // never contact a registry (verify)
}

// pullRecord is what the cache keeps beside a pulled bundle's files
// (enact-pull.json): where it came from and which file is the capability.
type pullRecord struct {
	Ref        string    `json:"ref"`
	Manifest   string    `json:"manifest"`
	Bundle     string    `json:"bundle"`
	Capability string    `json:"capability"`
	Pulled     time.Time `json:"pulled"`
}

const pullRecordName = "enact-pull.json"

// bundleError is a bundle that may not run: its stable code for the
// receipt and the reason.
type bundleError struct {
	code string
	err  error
}

func (e *bundleError) Error() string { return e.err.Error() }
func (e *bundleError) Unwrap() error { return e.err }

// classify gives a bundle failure its stable code.
func classify(err error) error {
	var be *bundleError
	if errors.As(err, &be) {
		return err
	}
	var le *bundle.LockError
	code := "bundle_invalid"
	switch {
	case errors.As(err, &le):
		code = "bundle_lock_mismatch"
	case errors.Is(err, bundle.ErrUnsigned):
		code = "bundle_unsigned"
	case errors.Is(err, bundle.ErrUntrusted):
		code = "bundle_untrusted"
	case errors.Is(err, bundle.ErrBadSignature):
		code = "bundle_bad_signature"
	case errors.Is(err, bundle.ErrDigestMismatch), errors.Is(err, registry.ErrTampered):
		code = "bundle_digest_mismatch"
	case errors.Is(err, registry.ErrUnreachable), errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrUnauthorized):
		code = "bundle_unavailable"
	}
	return &bundleError{code: code, err: err}
}

// lockPath is --lock, else $ENACT_LOCK, else $ENACT_HOME/enact.lock.
func (c *cli) lockPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if p := c.getenv("ENACT_LOCK"); p != "" {
		return p, nil
	}
	home, err := c.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "enact.lock"), nil
}

// registryClient is a registry client with the credentials of the
// environment or the Docker config file.
func (c *cli) registryClient(plainHTTP bool) *registry.Client {
	return &registry.Client{PlainHTTP: plainHTTP, Credential: c.credential}
}

// credential finds registry credentials, read only and never written
// anywhere: $ENACT_REGISTRY_USERNAME and $ENACT_REGISTRY_PASSWORD (for the
// hosts in $ENACT_REGISTRY_HOST, comma separated, or for every host when
// it is unset), else the Docker config file ($DOCKER_CONFIG/config.json,
// else ~/.docker/config.json, with its credential helpers).
func (c *cli) credential(ctx context.Context, host string) (string, string, error) {
	if u, p := c.getenv("ENACT_REGISTRY_USERNAME"), c.getenv("ENACT_REGISTRY_PASSWORD"); u != "" || p != "" {
		hosts := c.getenv("ENACT_REGISTRY_HOST")
		if hosts == "" || containsHost(hosts, host) {
			return u, p, nil
		}
	}
	dir := c.getenv("DOCKER_CONFIG")
	if dir == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", "", nil
		}
		dir = filepath.Join(h, ".docker")
	}
	path := filepath.Join(dir, "config.json")
	if _, err := os.Stat(path); err != nil {
		return "", "", nil
	}
	store, err := credentials.NewStore(path, credentials.StoreOptions{})
	if err != nil {
		return "", "", fmt.Errorf("docker config %s: %w", path, err)
	}
	cred, err := store.Get(ctx, credentials.ServerAddressFromHostname(host))
	if err != nil {
		return "", "", fmt.Errorf("docker config %s: %w", path, err)
	}
	if cred.RefreshToken != "" {
		return "<token>", cred.RefreshToken, nil
	}
	return cred.Username, cred.Password, nil
}

func containsHost(list, host string) bool {
	for _, h := range strings.Split(list, ",") {
		if strings.TrimSpace(h) == host {
			return true
		}
	}
	return false
}

// trustOf turns the policy's trust section into the bundle package's.
func trustOf(p *policy.Policy) (bundle.Trust, error) {
	if p == nil {
		return bundle.Trust{}, nil
	}
	pt := p.Trust()
	t := bundle.Trust{RequireSignatures: pt.RequireSignatures}
	for i, s := range pt.Signers {
		bs := bundle.Signer{KeyID: s.KeyID, Repositories: s.Repositories, Capabilities: s.Capabilities}
		if s.Key != "" {
			k, err := bundle.ParsePublicKey([]byte(s.Key))
			if err != nil {
				return bundle.Trust{}, fmt.Errorf("policy trust.signers[%d].key: %w", i, err)
			}
			bs.Key, bs.KeyID = k, k.KeyID()
		}
		t.Signers = append(t.Signers, bs)
	}
	return t, nil
}

// verifyReport is what verify checked, and what `verify --json` prints.
type verifyReport struct {
	Target     string            `json:"target"`
	Dir        string            `json:"dir"`
	Capability string            `json:"capability,omitempty"`
	Bundle     string            `json:"bundle_digest,omitempty"`
	Manifest   string            `json:"manifest_digest,omitempty"`
	Files      []bundle.Entry    `json:"files"`
	Signatures []signatureReport `json:"signatures"`
	Signer     string            `json:"signer,omitempty"`
	Lock       *lockReport       `json:"lock,omitempty"`
	OK         bool              `json:"ok"`
	Code       string            `json:"code,omitempty"`
	Error      string            `json:"error,omitempty"`
}

type signatureReport struct {
	KeyID   string `json:"key_id"`
	Valid   bool   `json:"valid"`
	Trusted bool   `json:"trusted"`
}

type lockReport struct {
	Path    string `json:"path"`
	Pinned  bool   `json:"pinned"`
	Matches bool   `json:"matches"`
}

// verifyFile checks the bundle of the capability file at path: its
// digest (hashing every file when hash is set, else the pins), its
// signature file path+".sig", and trust for repo ("" for a local file).
// With require false, a missing, invalid or untrusted signature is not an
// error: the bundle is then unsigned (signer ""). The report says what
// was checked.
func verifyFile(path string, hash bool, trust bundle.Trust, repo string, require bool, rep *verifyReport) (*bundle.Bundle, string, error) {
	b, err := bundle.Open(path, hash)
	if err != nil {
		return nil, "", err
	}
	rep.Capability, rep.Bundle, rep.Files = b.Capability.ID, b.Digest(), b.Manifest.Entries()
	if rep.Files == nil {
		rep.Files = []bundle.Entry{}
	}
	data, err := os.ReadFile(path + ".sig")
	if errors.Is(err, fs.ErrNotExist) {
		if require {
			return nil, "", fmt.Errorf("%w: %s has no signature file %s.sig (sign it with `enact-run sign %s --key KEY`)", bundle.ErrUnsigned, b.Capability.ID, filepath.Base(path), path)
		}
		return b, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	unsignedOr := func(err error) (*bundle.Bundle, string, error) {
		if require {
			return nil, "", err
		}
		rep.Error = err.Error() // not required: said, not refused
		return b, "", nil
	}
	sf, err := bundle.ParseSignatureFile(data)
	if err != nil {
		return unsignedOr(err)
	}
	verified, err := sf.Verify(b.Digest())
	for _, s := range sf.Signatures {
		rep.Signatures = append(rep.Signatures, signatureReport{KeyID: s.KeyID})
	}
	if err != nil {
		return unsignedOr(err)
	}
	for _, v := range verified {
		for i := range rep.Signatures {
			if rep.Signatures[i].KeyID == v.KeyID {
				rep.Signatures[i].Valid = true
			}
		}
	}
	signer, err := trust.Trusted(verified, bundle.Subject{Repository: repo, Capability: b.Capability.ID})
	if err != nil {
		return unsignedOr(err)
	}
	for i := range rep.Signatures {
		if rep.Signatures[i].KeyID == signer {
			rep.Signatures[i].Trusted = true
		}
	}
	rep.Signer = signer
	return b, signer, nil
}

// resolved is a capability to run with the bundle record for its receipt.
type resolved struct {
	b   *bundle.Bundle
	rec *receipts.Bundle
}

// cacheDir is where a pulled bundle lives: $ENACT_HOME/bundles/sha256/<hex
// of the registry manifest digest>.
func (c *cli) bundleCache(manifest string) (string, error) {
	home, err := c.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "bundles", "sha256", strings.TrimPrefix(manifest, "sha256:")), nil
}

// openRef makes a registry reference runnable: from the cache when the
// lock pins it (or it names a digest) and it was pulled before, else by
// pulling it. Every use checks the bundle digest, the signature and
// trust under the current policy, and the lock.
func (c *cli) openRef(ctx context.Context, s string, trust bundle.Trust, f bundleFlags, rep *verifyReport) (*resolved, error) {
	ref, err := registry.ParseReference(s)
	if err != nil {
		return nil, err
	}
	lockPath, err := c.lockPath(f.lock)
	if err != nil {
		return nil, err
	}
	lock, err := bundle.ReadLock(lockPath)
	if err != nil {
		return nil, err
	}
	manifest := ref.Digest
	pin, pinned := lock.Get(ref.Key())
	if manifest == "" && pinned {
		manifest = pin.Manifest
	}
	if manifest != "" && !f.update {
		dir, err := c.bundleCache(manifest)
		if err != nil {
			return nil, err
		}
		if rec, err := readPullRecord(dir); err == nil {
			return c.useCached(ref, dir, rec, trust, lock, f.hash, false, rep)
		}
	}
	if f.offline {
		return nil, fmt.Errorf("%w: %s is not in the cache (pull it first: `enact-run pull %s`)", registry.ErrNotFound, ref, ref)
	}
	return c.pull(ctx, ref, trust, lock, f, rep)
}

func readPullRecord(dir string) (*pullRecord, error) {
	data, err := os.ReadFile(filepath.Join(dir, pullRecordName))
	if err != nil {
		return nil, err
	}
	var r pullRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, pullRecordName), err)
	}
	return &r, nil
}

// useCached checks a cached bundle and its lock entry; hash makes it read
// every file (verify, pull), else the capability's pins stand for the
// plugins (run: plugins.Build checks them before anything runs). With
// update the lock is rewritten to what the cache holds.
func (c *cli) useCached(ref registry.Reference, dir string, rec *pullRecord, trust bundle.Trust, lock *bundle.Lock, hash, update bool, rep *verifyReport) (*resolved, error) {
	rep.Dir, rep.Manifest = dir, rec.Manifest
	if err := bundle.CheckPath(rec.Capability); err != nil {
		return nil, err
	}
	b, signer, err := verifyFile(filepath.Join(dir, filepath.FromSlash(rec.Capability)), hash, trust, ref.Name(), true, rep)
	if err != nil {
		return nil, err
	}
	if b.Digest() != rec.Bundle {
		return nil, fmt.Errorf("%w: the cached bundle %s now makes %s; remove %s and pull again", bundle.ErrDigestMismatch, rec.Bundle, b.Digest(), dir)
	}
	now := bundle.Pin{Manifest: rec.Manifest, Bundle: b.Digest(), Signer: signer, Capability: b.Capability.ID}
	rep.Lock = &lockReport{Path: lock.Path()}
	if _, ok := lock.Get(ref.Key()); ok {
		rep.Lock.Pinned = true
		if !update {
			if err := lock.Check(ref.Key(), now); err != nil {
				return nil, err
			}
		}
	}
	if !rep.Lock.Pinned || update {
		if err := lock.Set(ref.Key(), now); err != nil {
			return nil, err
		}
		rep.Lock.Pinned = true
	}
	rep.Lock.Matches = true
	return &resolved{b: b, rec: &receipts.Bundle{Digest: b.Digest(), Signer: signer, Ref: ref.String(), Manifest: rec.Manifest}}, nil
}

// pull fetches a reference into the cache, checks it and pins it.
func (c *cli) pull(ctx context.Context, ref registry.Reference, trust bundle.Trust, lock *bundle.Lock, f bundleFlags, rep *verifyReport) (*resolved, error) {
	client := c.registryClient(f.plainHTTP)
	manifest, err := client.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !f.update {
		if err := lock.Check(ref.Key(), bundle.Pin{Manifest: manifest}); err != nil {
			return nil, err
		}
	}
	dir, err := c.bundleCache(manifest)
	if err != nil {
		return nil, err
	}
	// A bundle already cached is fetched again all the same: this is
	// where signatures added since reach the cache (a new signer).
	tmpRoot := filepath.Join(filepath.Dir(dir), "..", "tmp")
	if err := os.MkdirAll(tmpRoot, 0o700); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(tmpRoot, "pull-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	p, err := client.Pull(ctx, ref, manifest, stage)
	if err != nil {
		return nil, err
	}
	// One signature file holds every signature of this bundle digest.
	var sf *bundle.SignatureFile
	for _, s := range p.Signatures {
		if s.Digest != p.Bundle.Digest() {
			continue
		}
		if sf == nil {
			cp := *s
			sf = &cp
			continue
		}
		sf.Signatures = append(sf.Signatures, s.Signatures...)
	}
	if sf == nil {
		why := ""
		if len(p.SignatureErrors) > 0 {
			why = " (unreadable signatures: " + strings.Join(p.SignatureErrors, "; ") + ")"
		}
		return nil, fmt.Errorf("%w: %s (bundle %s) has no signature in the registry%s; the publisher signs with `enact-run sign` and pushes the .sig with the bundle", bundle.ErrUnsigned, ref, p.Bundle.Digest(), why)
	}
	capPath := filepath.Join(stage, filepath.FromSlash(p.Bundle.Capability()))
	if err := os.WriteFile(capPath+".sig", sf.Marshal(), 0o644); err != nil {
		return nil, err
	}
	// Every layer's bytes matched its digest; now the files must make the
	// same bundle as the layers (no file the capability does not
	// reference, none missing), and the signature must be trusted.
	b, signer, err := verifyFile(capPath, true, trust, ref.Name(), true, rep)
	if err != nil {
		return nil, err
	}
	if b.Digest() != p.Bundle.Digest() {
		return nil, fmt.Errorf("%w: the registry's layers make bundle %s, the capability references files that make %s (a layer the capability does not reference, or one missing)", bundle.ErrDigestMismatch, p.Bundle.Digest(), b.Digest())
	}
	now := bundle.Pin{Manifest: manifest, Bundle: b.Digest(), Signer: signer, Capability: b.Capability.ID}
	if !f.update {
		if err := lock.Check(ref.Key(), now); err != nil {
			return nil, err
		}
	}
	rec, _ := json.MarshalIndent(pullRecord{Ref: ref.String(), Manifest: manifest, Bundle: b.Digest(), Capability: p.Bundle.Capability(), Pulled: time.Now().UTC()}, "", "  ")
	if err := os.WriteFile(filepath.Join(stage, "oci-manifest.json"), p.ManifestJSON, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(stage, pullRecordName), append(rec, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	if err := os.Rename(stage, dir); err != nil {
		r, rerr := readPullRecord(dir)
		if rerr != nil {
			return nil, fmt.Errorf("bundle cache: %w", err)
		}
		// Cached before (or by another process just now): the same files
		// by their digests; take the signatures just fetched, then use it,
		// checked again.
		if err := os.Rename(capPath+".sig", filepath.Join(dir, filepath.FromSlash(r.Capability))+".sig"); err != nil {
			return nil, fmt.Errorf("bundle cache: %w", err)
		}
		return c.useCached(ref, dir, r, trust, lock, true, f.update, rep)
	}
	rep.Dir, rep.Manifest = dir, manifest
	if err := lock.Set(ref.Key(), now); err != nil {
		return nil, err
	}
	rep.Lock = &lockReport{Path: lock.Path(), Pinned: true, Matches: true}
	b, err = bundle.Open(filepath.Join(dir, filepath.FromSlash(p.Bundle.Capability())), false)
	if err != nil {
		return nil, err
	}
	return &resolved{b: b, rec: &receipts.Bundle{Digest: b.Digest(), Signer: signer, Ref: ref.String(), Manifest: manifest}}, nil
}

// openLocal opens a local capability file as a bundle: signed or not,
// unless the policy requires signatures. note is why a signature file
// beside it did not count ("" when none or when it did).
func (c *cli) openLocal(path string, trust bundle.Trust) (r *resolved, note string, err error) {
	var rep verifyReport
	b, signer, err := verifyFile(path, false, trust, "", trust.RequireSignatures, &rep)
	if err != nil {
		return nil, "", err
	}
	return &resolved{b: b, rec: &receipts.Bundle{Digest: b.Digest(), Signer: signer}}, rep.Error, nil
}
