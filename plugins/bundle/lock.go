package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockVersion is the "version" of a lock file.
const LockVersion = 1

// maxLockSize bounds a lock file.
const maxLockSize = 8 << 20

// Pin is what a lock file remembers of one reference.
type Pin struct {
	// Manifest is the digest of the registry manifest the reference
	// resolved to.
	Manifest string `json:"manifest"`
	// Bundle is the bundle digest.
	Bundle string `json:"bundle"`
	// Signer is the key id of the trusted signature.
	Signer string `json:"signer"`
	// Capability is the capability's id, for people reading the file.
	Capability string `json:"capability,omitempty"`
	// Pinned is when the pin was first written.
	Pinned time.Time `json:"pinned"`
}

// Lock is a lock file: references (HOST/REPO:TAG or HOST/REPO@DIGEST) to
// pins. It is not safe for concurrent use; the file is written whole and
// renamed into place.
type Lock struct {
	path string
	pins map[string]Pin
}

type lockDoc struct {
	Version int            `json:"version"`
	Bundles map[string]Pin `json:"bundles"`
}

// ReadLock reads the lock file at path; a missing file is an empty lock.
func ReadLock(path string) (*Lock, error) {
	l := &Lock{path: path, pins: map[string]Pin{}}
	data, err := readBounded(path, maxLockSize)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc lockDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	if doc.Version != LockVersion {
		return nil, fmt.Errorf("lock file %s: version %d, this runner reads version %d", path, doc.Version, LockVersion)
	}
	for ref, p := range doc.Bundles {
		if !strings.HasPrefix(p.Manifest, "sha256:") || !strings.HasPrefix(p.Bundle, "sha256:") || !ValidKeyID(p.Signer) {
			return nil, fmt.Errorf("lock file %s: the entry for %s needs manifest and bundle sha256 digests and a signer key id", path, ref)
		}
		l.pins[ref] = p
	}
	return l, nil
}

// Path is the lock file's path.
func (l *Lock) Path() string { return l.path }

// Get returns the pin of a reference.
func (l *Lock) Get(ref string) (Pin, bool) {
	p, ok := l.pins[ref]
	return p, ok
}

// Check compares what a reference gives now with its pin. It returns nil
// when there is no pin or the pin matches, else a *LockError. Empty
// fields of now (a bundle digest or signer not known yet) are not
// compared.
func (l *Lock) Check(ref string, now Pin) error {
	p, ok := l.pins[ref]
	if !ok {
		return nil
	}
	e := &LockError{Ref: ref, Lock: l.path, Pinned: p, Now: now}
	switch {
	case p.Manifest != now.Manifest || now.Bundle != "" && p.Bundle != now.Bundle:
		e.What = "digest"
	case now.Signer != "" && p.Signer != now.Signer:
		e.What = "signer"
	default:
		return nil
	}
	return e
}

// Set pins a reference (keeping the first pin time of an unchanged pin)
// and writes the file.
func (l *Lock) Set(ref string, p Pin) error {
	if old, ok := l.pins[ref]; ok && old.Manifest == p.Manifest && old.Bundle == p.Bundle && old.Signer == p.Signer {
		return nil
	}
	if p.Pinned.IsZero() {
		p.Pinned = time.Now().UTC().Truncate(time.Second)
	}
	l.pins[ref] = p
	return l.write()
}

func (l *Lock) write() error {
	data, err := json.MarshalIndent(lockDoc{Version: LockVersion, Bundles: l.pins}, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(l.path), ".enact.lock-*")
	if err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("lock file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("lock file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	if err := os.Rename(tmp.Name(), l.path); err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	return nil
}

// LockError refuses a reference whose digest or signer is not the one the
// lock file pinned.
type LockError struct {
	Ref    string
	Lock   string
	Pinned Pin
	Now    Pin
	// What changed: "digest" or "signer".
	What string
}

func (e *LockError) Error() string {
	accept := fmt.Sprintf("if you expect this change, accept it with `enact-run pull --update oci://%s`", e.Ref)
	if e.What == "signer" {
		return fmt.Sprintf("%s: the signer changed: %s pins %s (pinned %s), the bundle is now signed by %s; %s",
			e.Ref, e.Lock, e.Pinned.Signer, e.Pinned.Pinned.Format(time.RFC3339), e.Now.Signer, accept)
	}
	return fmt.Sprintf("%s moved: %s pins manifest %s (bundle %s, pinned %s), the registry now has manifest %s (bundle %s); %s",
		e.Ref, e.Lock, e.Pinned.Manifest, e.Pinned.Bundle, e.Pinned.Pinned.Format(time.RFC3339), e.Now.Manifest, orUnknown(e.Now.Bundle), accept)
}

func orUnknown(s string) string {
	if s == "" {
		return "not yet known"
	}
	return s
}
