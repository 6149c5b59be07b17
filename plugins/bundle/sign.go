package bundle

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// SignatureFormat is the "format" of a signature file.
const SignatureFormat = "enact-bundle-signature/1"

// MaxSignatureFileSize bounds a signature file.
const MaxSignatureFileSize = 256 << 10

// maxSignatures bounds the signatures of one file.
const maxSignatures = 32

// KeyIDPrefix starts every key id.
const KeyIDPrefix = "ecdsa-p256:"

// PrivateKey is a signing key.
type PrivateKey struct {
	key *ecdsa.PrivateKey
	id  string
}

// PublicKey is a verification key.
type PublicKey struct {
	key *ecdsa.PublicKey
	der []byte
	id  string
}

// GenerateKey makes a new P-256 signing key.
func GenerateKey() (*PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, err := newPublicKey(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{key: k, id: pub.id}, nil
}

// KeyID is the key's id.
func (k *PrivateKey) KeyID() string { return k.id }

// Public returns the key's public half.
func (k *PrivateKey) Public() *PublicKey {
	p, _ := newPublicKey(&k.key.PublicKey)
	return p
}

// MarshalPEM encodes the private key as PKCS #8 PEM ("PRIVATE KEY").
func (k *PrivateKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey decodes a PKCS #8 (or SEC 1 "EC PRIVATE KEY") PEM
// P-256 key, as keygen and `openssl ecparam -genkey` write.
func ParsePrivateKey(data []byte) (*PrivateKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil {
		return nil, errors.New("bundle: no PEM block in the private key file")
	}
	var (
		k   any
		err error
	)
	switch blk.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("bundle: PEM block %q is not a private key", blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("bundle: private key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("bundle: the private key is not an ECDSA P-256 key")
	}
	pub, err := newPublicKey(&ek.PublicKey)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{key: ek, id: pub.id}, nil
}

func newPublicKey(k *ecdsa.PublicKey) (*PublicKey, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, err
	}
	return &PublicKey{key: k, der: der, id: keyIDOf(der)}, nil
}

func keyIDOf(der []byte) string {
	sum := sha256.Sum256(der)
	return KeyIDPrefix + hex.EncodeToString(sum[:])[:16]
}

// KeyID is the key's id: "ecdsa-p256:" and the first 16 hex digits of the
// SHA-256 of its PKIX DER encoding.
func (k *PublicKey) KeyID() string { return k.id }

// Equal reports whether two public keys are the same key.
func (k *PublicKey) Equal(o *PublicKey) bool { return o != nil && bytes.Equal(k.der, o.der) }

// MarshalPEM encodes the key as PKIX PEM ("PUBLIC KEY"), the form
// `openssl dgst -verify` and `cosign verify-blob --key` read.
func (k *PublicKey) MarshalPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.der})
}

// ParsePublicKey decodes a PKIX PEM P-256 public key.
func ParsePublicKey(data []byte) (*PublicKey, error) {
	blk, rest := pem.Decode(data)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("bundle: want a PEM \"PUBLIC KEY\" block")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("bundle: text after the public key's PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("bundle: public key: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("bundle: the public key is not an ECDSA P-256 key")
	}
	return newPublicKey(ek)
}

// ValidKeyID reports whether s has the form of a key id.
func ValidKeyID(s string) bool {
	hexPart, ok := strings.CutPrefix(s, KeyIDPrefix)
	if !ok || len(hexPart) != 16 {
		return false
	}
	for i := 0; i < len(hexPart); i++ {
		if c := hexPart[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// SignatureFile holds a bundle's manifest and signatures over it (see the
// package documentation for its JSON form).
type SignatureFile struct {
	Format     string      `json:"format"`
	Digest     string      `json:"digest"`
	Manifest   string      `json:"manifest"`
	Signatures []Signature `json:"signatures"`
}

// Signature is one key's signature of a manifest.
type Signature struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
	// Signature is the base64 of the ASN.1 DER ECDSA signature.
	Signature string `json:"signature"`
}

// Sign adds k's signature of m to f (a nil f starts a new file; a file of
// another digest is started over) and returns the file.
func Sign(f *SignatureFile, m *Manifest, k *PrivateKey) (*SignatureFile, error) {
	if f == nil || f.Digest != m.Digest() {
		f = &SignatureFile{Format: SignatureFormat, Digest: m.Digest(), Manifest: string(m.text)}
	}
	sum := sha256.Sum256(m.text)
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, sum[:])
	if err != nil {
		return nil, err
	}
	s := Signature{KeyID: k.id, PublicKey: string(k.Public().MarshalPEM()), Signature: base64.StdEncoding.EncodeToString(sig)}
	f.Signatures = slices.DeleteFunc(f.Signatures, func(x Signature) bool { return x.KeyID == k.id })
	f.Signatures = append(f.Signatures, s)
	return f, nil
}

// Marshal encodes the file as indented JSON.
func (f *SignatureFile) Marshal() []byte {
	b, _ := json.MarshalIndent(f, "", "  ")
	return append(b, '\n')
}

// ParseSignatureFile decodes a signature file strictly (unknown fields are
// errors) and checks its form; it does not verify the signatures.
func ParseSignatureFile(data []byte) (*SignatureFile, error) {
	if len(data) > MaxSignatureFileSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrSignatureFormat, MaxSignatureFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f SignatureFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignatureFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the JSON object", ErrSignatureFormat)
	}
	if f.Format != SignatureFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrSignatureFormat, f.Format, SignatureFormat)
	}
	if len(f.Signatures) > maxSignatures {
		return nil, fmt.Errorf("%w: more than %d signatures", ErrSignatureFormat, maxSignatures)
	}
	return &f, nil
}

// Verified is a signature that verified: its key and id.
type Verified struct {
	KeyID string
	Key   *PublicKey
}

// Verify checks f against the bundle digest: the manifest it carries parses
// and has that digest, and every signature verifies. It returns the keys
// of the valid signatures. A file with no signature is ErrUnsigned; one
// whose signatures are all invalid is ErrBadSignature (invalid ones beside
// a valid one are skipped, so a stale signature does not hide a good one).
func (f *SignatureFile) Verify(digest string) ([]Verified, error) {
	m, err := Parse([]byte(f.Manifest))
	if err != nil {
		return nil, fmt.Errorf("signature file: %w", err)
	}
	if m.Digest() != f.Digest || f.Digest != digest {
		return nil, fmt.Errorf("%w: the signature file is for bundle %s (its manifest hashes to %s), not %s", ErrDigestMismatch, f.Digest, m.Digest(), digest)
	}
	if len(f.Signatures) == 0 {
		return nil, fmt.Errorf("%w: the signature file holds no signature", ErrUnsigned)
	}
	sum := sha256.Sum256(m.text)
	var (
		out  []Verified
		errs []string
	)
	for _, s := range f.Signatures {
		pub, err := ParsePublicKey([]byte(s.PublicKey))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", s.KeyID, err))
			continue
		}
		if pub.id != s.KeyID {
			errs = append(errs, fmt.Sprintf("%s: the public key's id is %s", s.KeyID, pub.id))
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(s.Signature)
		if err != nil || !ecdsa.VerifyASN1(pub.key, sum[:], sig) {
			errs = append(errs, fmt.Sprintf("%s: the signature does not verify", s.KeyID))
			continue
		}
		out = append(out, Verified{KeyID: pub.id, Key: pub})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrBadSignature, strings.Join(errs, "; "))
	}
	return out, nil
}
