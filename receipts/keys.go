package receipts

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// hmacKeyIDDomain separates the HMAC key id derivation from every other use
// of the secret.
const hmacKeyIDDomain = "enact.receipt hmac-sha256 key id"

// minHMACSecret is the shortest HMAC secret accepted, in bytes.
const minHMACSecret = 32

// NewEd25519Signer returns a Signer for an Ed25519 private key. Its key id
// is "ed25519:" followed by the first 16 hex digits of the sha256 of the
// public key.
func NewEd25519Signer(key ed25519.PrivateKey) (Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("receipts: ed25519 private key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	key = slices.Clone(key)
	pub := key.Public().(ed25519.PublicKey)
	return &ed25519Key{id: ed25519KeyID(pub), pub: pub, priv: key}, nil
}

// NewEd25519Verifier returns a Verifier for an Ed25519 public key alone: what
// a third party needs to check receipts (see Keyring.PublicKeys).
func NewEd25519Verifier(key ed25519.PublicKey) (Verifier, error) {
	if len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("receipts: ed25519 public key of %d bytes, want %d", len(key), ed25519.PublicKeySize)
	}
	key = slices.Clone(key)
	return &ed25519Key{id: ed25519KeyID(key), pub: key}, nil
}

// NewHMACSigner returns a Signer for an HMAC-SHA256 secret of at least 32
// bytes. Its key id is "hmac:" followed by the first 16 hex digits of the
// sha256 of HMAC-SHA256(secret, "enact.receipt hmac-sha256 key id"); it
// reveals nothing about the secret.
func NewHMACSigner(secret []byte) (Signer, error) { return newHMACKey(secret) }

// NewHMACVerifier returns the Verifier of NewHMACSigner(secret).
func NewHMACVerifier(secret []byte) (Verifier, error) { return newHMACKey(secret) }

func newHMACKey(secret []byte) (*hmacKey, error) {
	if len(secret) < minHMACSecret {
		return nil, fmt.Errorf("receipts: hmac secret of %d bytes, want at least %d", len(secret), minHMACSecret)
	}
	secret = slices.Clone(secret)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(hmacKeyIDDomain))
	sum := sha256.Sum256(m.Sum(nil))
	return &hmacKey{id: "hmac:" + hex.EncodeToString(sum[:8]), secret: secret}, nil
}

func ed25519KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:8])
}

type ed25519Key struct {
	id   string
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey // nil for a verifier
}

func (k *ed25519Key) KeyID() string { return k.id }
func (k *ed25519Key) Alg() string   { return AlgEd25519 }
func (k *ed25519Key) Sign(msg []byte) ([]byte, error) {
	if k.priv == nil {
		return nil, errors.New("receipts: ed25519 verifier cannot sign")
	}
	return ed25519.Sign(k.priv, msg), nil
}
func (k *ed25519Key) Verify(msg, sig []byte) bool {
	return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.pub, msg, sig)
}

type hmacKey struct {
	id     string
	secret []byte
}

func (k *hmacKey) KeyID() string { return k.id }
func (k *hmacKey) Alg() string   { return AlgHMACSHA256 }
func (k *hmacKey) Sign(msg []byte) ([]byte, error) {
	m := hmac.New(sha256.New, k.secret)
	m.Write(msg)
	return m.Sum(nil), nil
}
func (k *hmacKey) Verify(msg, sig []byte) bool {
	want, _ := k.Sign(msg)
	return hmac.Equal(want, sig)
}

// keyringFile is the name of the keyring inside its directory.
const keyringFile = "keyring.json"

// Keyring is the set of signing keys in a directory: one current HMAC-SHA256
// secret and one current Ed25519 key that sign new receipts, and every key
// retired by Rotate, kept to verify older receipts. A Keyring is safe for
// concurrent use. It is a snapshot of the directory taken by OpenKeyring
// (and updated by its own Rotate): open the directory again to see another
// process's rotation.
type Keyring struct {
	dir string

	mu      sync.RWMutex
	signers []Signer   // current: hmac, ed25519
	all     []Verifier // every key, oldest first
	public  map[string]string
}

// keyringDoc is the file format: keys oldest first; the last key of each
// algorithm is current.
type keyringDoc struct {
	Version int         `json:"version"`
	Keys    []storedKey `json:"keys"`
}

type storedKey struct {
	Alg     string    `json:"alg"`
	Key     []byte    `json:"key"` // hmac: the secret; ed25519: the 32-byte seed
	Created time.Time `json:"created"`
}

// OpenKeyring loads the keyring in dir, creating dir (mode 0700) and a new
// keyring (mode 0600, keys from crypto/rand) on first use. Processes that
// open the same new directory at once all end up with the same keys.
func OpenKeyring(dir string) (*Keyring, error) {
	k := &Keyring{dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("receipts: keyring: %w", err)
	}
	doc, err := k.read()
	if errors.Is(err, os.ErrNotExist) {
		err = withLock(filepath.Join(dir, ".lock"), func() error {
			doc, err = k.read()
			if !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if doc, err = addKeys(keyringDoc{Version: 1}); err != nil {
				return err
			}
			return k.write(doc)
		})
	}
	if err != nil {
		return nil, fmt.Errorf("receipts: keyring %s: %w", dir, err)
	}
	if err := k.load(doc); err != nil {
		return nil, fmt.Errorf("receipts: keyring %s: %w", dir, err)
	}
	return k, nil
}

// Rotate makes new current keys and keeps the old ones for verification.
func (k *Keyring) Rotate() error {
	var doc keyringDoc
	err := withLock(filepath.Join(k.dir, ".lock"), func() error {
		var err error
		if doc, err = k.read(); err != nil {
			return err
		}
		if doc, err = addKeys(doc); err != nil {
			return err
		}
		return k.write(doc)
	})
	if err == nil {
		err = k.load(doc)
	}
	if err != nil {
		return fmt.Errorf("receipts: rotate keyring %s: %w", k.dir, err)
	}
	return nil
}

// Signers returns the current HMAC-SHA256 and Ed25519 signers.
func (k *Keyring) Signers() []Signer {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return slices.Clone(k.signers)
}

// Verifiers returns a verifier for every key, current and retired.
func (k *Keyring) Verifiers() []Verifier {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return slices.Clone(k.all)
}

// PublicKeys returns every Ed25519 public key, current and retired, by key
// id, base64-encoded (standard encoding): what third parties need to verify
// receipts with NewEd25519Verifier.
func (k *Keyring) PublicKeys() map[string]string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make(map[string]string, len(k.public))
	for id, pub := range k.public {
		out[id] = pub
	}
	return out
}

func addKeys(doc keyringDoc) (keyringDoc, error) {
	now := time.Now().UTC()
	secret := make([]byte, minHMACSecret)
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(secret); err != nil {
		return doc, err
	}
	if _, err := rand.Read(seed); err != nil {
		return doc, err
	}
	doc.Keys = append(doc.Keys,
		storedKey{Alg: AlgHMACSHA256, Key: secret, Created: now},
		storedKey{Alg: AlgEd25519, Key: seed, Created: now})
	return doc, nil
}

func (k *Keyring) read() (keyringDoc, error) {
	var doc keyringDoc
	b, err := os.ReadFile(filepath.Join(k.dir, keyringFile))
	if err != nil {
		return doc, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return doc, fmt.Errorf("%s: %w", keyringFile, err)
	}
	if doc.Version != 1 {
		return doc, fmt.Errorf("%s: version %d, want 1", keyringFile, doc.Version)
	}
	return doc, nil
}

func (k *Keyring) write(doc keyringDoc) error {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(k.dir, keyringFile), append(b, '\n'))
}

// load derives the signers and verifiers of doc and makes them current.
func (k *Keyring) load(doc keyringDoc) error {
	var (
		all     []Verifier
		signers = map[string]Signer{}
		public  = map[string]string{}
	)
	for i, sk := range doc.Keys {
		var s Signer
		var err error
		switch sk.Alg {
		case AlgHMACSHA256:
			s, err = NewHMACSigner(sk.Key)
		case AlgEd25519:
			if len(sk.Key) != ed25519.SeedSize {
				err = fmt.Errorf("ed25519 seed of %d bytes", len(sk.Key))
				break
			}
			priv := ed25519.NewKeyFromSeed(sk.Key)
			pub := priv.Public().(ed25519.PublicKey)
			s = &ed25519Key{id: ed25519KeyID(pub), pub: pub, priv: priv}
			public[s.KeyID()] = b64.EncodeToString(pub)
		default:
			err = fmt.Errorf("unknown alg %q", sk.Alg)
		}
		if err != nil {
			return fmt.Errorf("%s: key %d: %w", keyringFile, i, err)
		}
		all = append(all, s.(Verifier))
		signers[sk.Alg] = s
	}
	if signers[AlgHMACSHA256] == nil || signers[AlgEd25519] == nil {
		return fmt.Errorf("%s: want an hmac-sha256 and an ed25519 key", keyringFile)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.signers = []Signer{signers[AlgHMACSHA256], signers[AlgEd25519]}
	k.all, k.public = all, public
	return nil
}

// writeFileAtomic writes data to a temporary file in the same directory
// (mode 0600), syncs it and renames it to name, then syncs the directory.
func writeFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
