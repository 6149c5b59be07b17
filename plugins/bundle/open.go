package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
)

// MaxCapabilitySize bounds the capability file read by Open.
const MaxCapabilitySize = 4 << 20

// Bundle is a capability loaded from a file together with its manifest.
type Bundle struct {
	// Capability is the loaded capability; its Dir is the bundle's
	// directory.
	Capability *capabilities.Capability
	// Manifest lists the files and gives the digest.
	Manifest *Manifest
	// Path is the capability file's path as given to Open.
	Path string
}

// Digest is the bundle digest (Manifest.Digest).
func (b *Bundle) Digest() string { return b.Manifest.Digest() }

// Dir is the directory the bundle's paths are relative to.
func (b *Bundle) Dir() string { return b.Capability.Dir }

// File is a file a capability references: its path relative to the
// capability's directory and the sha256 the capability pins for it.
type File struct {
	Path   string
	SHA256 string
	// Task is the task that references it.
	Task string
}

// Files lists the files a capability references besides itself, as the
// capability names them: the module of every prebuilt task, once each.
// This is the one place that says what a bundle holds: the imported
// capabilities of composites join here, with the digest the importing
// document pins, once package capabilities resolves imports.
func Files(c *capabilities.Capability) []File {
	var out []File
	for _, t := range c.Tasks {
		if t.Type != "wasm" || t.Plugin == nil || slices.ContainsFunc(out, func(f File) bool { return f.Path == t.Plugin.Path }) {
			continue
		}
		out = append(out, File{Path: t.Plugin.Path, SHA256: strings.ToLower(t.Plugin.SHA256), Task: t.ID})
	}
	return out
}

// Open loads the capability file at path and builds its bundle. With hash
// false the manifest takes each plugin's sha256 from the capability's pin
// and its size from the file system: cheap, and sound where the pins are
// enforced before anything runs (plugins.Build refuses a module whose bytes
// do not match its pin). With hash true every file is read and hashed, and
// a file that does not match its pin is an ErrDigestMismatch.
func Open(path string, hash bool) (*Bundle, error) {
	data, err := readBounded(path, MaxCapabilitySize)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	c, err := capabilities.LoadFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if c.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("%w: %s changed while it was read", ErrDigestMismatch, path)
	}
	name := filepath.Base(path)
	entries := []Entry{{Path: name, SHA256: strings.TrimPrefix(c.Digest, "sha256:"), Size: int64(len(data))}}
	if err := CheckPath(name); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer root.Close()
	for _, f := range Files(c) {
		rel, want := f.Path, f.SHA256
		if err := CheckPath(rel); err != nil {
			return nil, fmt.Errorf("task %q: %w", f.Task, err)
		}
		e := Entry{Path: rel, SHA256: want}
		if hash {
			got, size, err := hashFile(root, rel)
			if err != nil {
				return nil, fmt.Errorf("bundle: task %q: %w", f.Task, err)
			}
			if got != want {
				return nil, fmt.Errorf("%w: %s has sha256 %s, the capability pins %s", ErrDigestMismatch, rel, got, want)
			}
			e.Size = size
		} else {
			st, err := root.Stat(filepath.FromSlash(rel))
			if err != nil {
				return nil, fmt.Errorf("bundle: task %q: %w", f.Task, err)
			}
			if !st.Mode().IsRegular() {
				return nil, fmt.Errorf("bundle: task %q: %s is not a regular file", f.Task, rel)
			}
			e.Size = st.Size()
		}
		entries = append(entries, e)
	}
	m, err := NewManifest(name, entries)
	if err != nil {
		return nil, err
	}
	return &Bundle{Capability: c, Manifest: m, Path: path}, nil
}

// ReadFile reads one file of the bundle and checks it against the
// manifest, so what is read is what was digested.
func (b *Bundle) ReadFile(rel string) ([]byte, error) {
	e, ok := b.Manifest.Entry(rel)
	if !ok {
		return nil, fmt.Errorf("bundle: %q is not in the bundle", rel)
	}
	root, err := os.OpenRoot(b.Dir())
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, e.Size+1))
	if err != nil {
		return nil, fmt.Errorf("bundle: read %s: %w", rel, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != e.Size || hex.EncodeToString(sum[:]) != e.SHA256 {
		return nil, fmt.Errorf("%w: %s no longer matches the bundle's manifest", ErrDigestMismatch, rel)
	}
	return data, nil
}

// MaxFileSize bounds any file of a bundle: the larger of a plugin's limit
// and a capability file's.
const MaxFileSize = plugins.MaxPluginSize

func hashFile(root *os.Root, rel string) (string, int64, error) {
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", 0, err
	} else if !st.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", rel)
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return "", 0, err
	}
	if n > MaxFileSize {
		return "", 0, fmt.Errorf("%s is over %d MiB", rel, MaxFileSize>>20)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over %d MiB", path, limit>>20)
	}
	return data, nil
}
