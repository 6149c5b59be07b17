package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Limits of a manifest.
const (
	// MaxFiles is the most files a bundle may hold.
	MaxFiles = 256
	// MaxPathLen is the longest path of a file, in bytes.
	MaxPathLen = 255
	// MaxManifestSize bounds a manifest's text.
	MaxManifestSize = 64 << 10
)

const (
	formatLine       = "enact-bundle/1"
	capabilityPrefix = "capability "
)

// Sentinel errors.
var (
	ErrManifest        = errors.New("bundle: malformed manifest")
	ErrPath            = errors.New("bundle: invalid file path")
	ErrDigestMismatch  = errors.New("bundle: digest mismatch")
	ErrUnsigned        = errors.New("bundle: not signed")
	ErrBadSignature    = errors.New("bundle: invalid signature")
	ErrUntrusted       = errors.New("bundle: signed by no trusted key")
	ErrSignatureFormat = errors.New("bundle: malformed signature file")
)

// Entry is one file of a bundle.
type Entry struct {
	// Path is relative to the capability's directory, "/" separated.
	Path string
	// SHA256 is the lowercase hex SHA-256 of the file's bytes.
	SHA256 string
	// Size is the file's length in bytes.
	Size int64
}

// Manifest lists a bundle's files. Its zero value is not a valid manifest;
// build one with NewManifest or Parse.
type Manifest struct {
	capability string
	entries    []Entry
	text       []byte
	digest     string
}

// NewManifest builds the manifest of a capability file and the other
// files, checking every path, digest and size and that the capability file
// is among the entries.
func NewManifest(capability string, entries []Entry) (*Manifest, error) {
	if len(entries) == 0 || len(entries) > MaxFiles {
		return nil, fmt.Errorf("%w: %d files (a bundle has 1 to %d)", ErrManifest, len(entries), MaxFiles)
	}
	es := slices.Clone(entries)
	slices.SortFunc(es, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	found := false
	for i, e := range es {
		if err := CheckPath(e.Path); err != nil {
			return nil, err
		}
		if i > 0 && es[i-1].Path == e.Path {
			return nil, fmt.Errorf("%w: %q appears twice", ErrManifest, e.Path)
		}
		if !isHex64(e.SHA256) {
			return nil, fmt.Errorf("%w: %q: sha256 must be 64 lowercase hex digits", ErrManifest, e.Path)
		}
		if e.Size < 0 {
			return nil, fmt.Errorf("%w: %q: negative size", ErrManifest, e.Path)
		}
		found = found || e.Path == capability
	}
	if !found {
		return nil, fmt.Errorf("%w: the capability file %q is not among the files", ErrManifest, capability)
	}
	var b bytes.Buffer
	b.WriteString(formatLine + "\n" + capabilityPrefix + capability + "\n")
	for _, e := range es {
		fmt.Fprintf(&b, "%s %d %s\n", e.SHA256, e.Size, e.Path)
	}
	if b.Len() > MaxManifestSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrManifest, MaxManifestSize)
	}
	sum := sha256.Sum256(b.Bytes())
	return &Manifest{capability: capability, entries: es, text: b.Bytes(), digest: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

// Parse decodes a manifest's text. Only the canonical form is accepted:
// Parse(m.Text()) gives m back, and any other text is an error.
func Parse(text []byte) (*Manifest, error) {
	if len(text) > MaxManifestSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrManifest, MaxManifestSize)
	}
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return nil, fmt.Errorf("%w: the last line does not end in a newline", ErrManifest)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("%w: want a format line, a capability line and at least one file", ErrManifest)
	}
	if lines[0] != formatLine {
		return nil, fmt.Errorf("%w: line 1 must be %q", ErrManifest, formatLine)
	}
	capability, ok := strings.CutPrefix(lines[1], capabilityPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: line 2 must be \"capability <path>\"", ErrManifest)
	}
	if len(lines)-2 > MaxFiles {
		return nil, fmt.Errorf("%w: more than %d files", ErrManifest, MaxFiles)
	}
	entries := make([]Entry, 0, len(lines)-2)
	for i, l := range lines[2:] {
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: line %d: want \"<sha256> <size> <path>\"", ErrManifest, i+3)
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 || strconv.FormatInt(size, 10) != f[1] {
			return nil, fmt.Errorf("%w: line %d: size %q is not a decimal count of bytes", ErrManifest, i+3, f[1])
		}
		entries = append(entries, Entry{SHA256: f[0], Size: size, Path: f[2]})
	}
	m, err := NewManifest(capability, entries)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(m.text, text) {
		return nil, fmt.Errorf("%w: not in canonical form (files must be sorted by path)", ErrManifest)
	}
	return m, nil
}

// Capability is the path of the capability file.
func (m *Manifest) Capability() string { return m.capability }

// Entries returns the files, sorted by path.
func (m *Manifest) Entries() []Entry { return slices.Clone(m.entries) }

// Entry returns the file at path.
func (m *Manifest) Entry(path string) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(m.entries, path, func(e Entry, p string) int { return strings.Compare(e.Path, p) })
	if !ok {
		return Entry{}, false
	}
	return m.entries[i], true
}

// Text returns a copy of the canonical text: the bytes that are hashed and
// signed.
func (m *Manifest) Text() []byte { return bytes.Clone(m.text) }

// Digest is "sha256:" and the hex SHA-256 of Text: the bundle digest.
func (m *Manifest) Digest() string { return m.digest }

// CheckPath reports whether p may name a file in a bundle.
func CheckPath(p string) error {
	if p == "" || len(p) > MaxPathLen {
		return fmt.Errorf("%w: %q must have 1 to %d bytes", ErrPath, p, MaxPathLen)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, \".\" or \"..\" segment", ErrPath, p)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '+') {
				return fmt.Errorf("%w: %q may only use A-Z a-z 0-9 . _ + - and /", ErrPath, p)
			}
		}
	}
	return nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
