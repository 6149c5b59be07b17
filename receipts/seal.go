package receipts

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gowebpki/jcs"
)

// Signature algorithms.
const (
	AlgHMACSHA256 = "hmac-sha256"
	AlgEd25519    = "ed25519"
)

var (
	// ErrMalformed reports bytes that are not an envelope or a receipt in the
	// format of the package documentation.
	ErrMalformed = errors.New("receipts: malformed")
	// ErrHashMismatch reports an envelope whose hash is not the sha256 of its
	// body bytes.
	ErrHashMismatch = errors.New("receipts: hash mismatch")
	// ErrNotFound reports a run id with no receipt.
	ErrNotFound = errors.New("receipts: not found")
	// ErrDuplicate reports an Append of a run id that already has a receipt.
	ErrDuplicate = errors.New("receipts: run id already has a receipt")
)

// UnknownKeyError reports a signature by a key the verifiers do not hold.
type UnknownKeyError struct {
	KeyID string
}

// Error returns "receipts: unknown key <id>".
func (e *UnknownKeyError) Error() string { return "receipts: unknown key " + e.KeyID }

// InvalidSignatureError reports a signature that does not verify with the
// key its key id names.
type InvalidSignatureError struct {
	KeyID string
}

// Error returns "receipts: invalid signature by key <id>".
func (e *InvalidSignatureError) Error() string {
	return "receipts: invalid signature by key " + e.KeyID
}

// ChainError reports the first broken link of a chain: the position Seq
// where the chain stops verifying (receipts 1 to Seq-1 verified), the run id
// stored there (empty when nothing is), what is wrong, and the underlying
// error if any (ErrHashMismatch, *InvalidSignatureError, …).
type ChainError struct {
	Seq    int64
	ID     string
	Reason string
	Err    error
}

// Error describes the broken link.
func (e *ChainError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("receipts: chain broken at seq %d: %s", e.Seq, e.Reason)
	}
	return fmt.Sprintf("receipts: chain broken at seq %d (run %s): %s", e.Seq, e.ID, e.Reason)
}

// Unwrap returns the underlying error.
func (e *ChainError) Unwrap() error { return e.Err }

// Signer signs the exact bytes of a receipt body. Implementations must be
// safe for concurrent use.
type Signer interface {
	KeyID() string
	Alg() string
	Sign(msg []byte) ([]byte, error)
}

// Verifier checks a signature made by the Signer with the same key id.
// Implementations must be safe for concurrent use.
type Verifier interface {
	KeyID() string
	Alg() string
	Verify(msg, sig []byte) bool
}

// Envelope is a sealed receipt: the body bytes exactly as signed, their
// hash and the signatures. Envelope values are not verified: use Verify.
type Envelope struct {
	Body       json.RawMessage `json:"body"`
	Hash       string          `json:"hash"`
	Signatures []Signature     `json:"signatures"`
}

// Signature is one signature of an envelope's body.
type Signature struct {
	Alg   string `json:"alg"`
	KeyID string `json:"key_id"`
	Sig   string `json:"sig"`
}

// Seal encodes r as canonical JSON (HTML-safe, see the package
// documentation), hashes the bytes and signs them with every signer. It does not modify r: the body holds r normalized (times in
// UTC, absent lists and maps empty, version set; see the package
// documentation), and Seal fails if r breaks a rule of the format.
func Seal(r *Receipt, signers []Signer) (*Envelope, error) {
	if len(signers) == 0 {
		return nil, errors.New("receipts: seal: no signers")
	}
	n := r.normalized()
	if err := n.validate(); err != nil {
		return nil, fmt.Errorf("receipts: seal: %w", err)
	}
	body, err := canonical(&n)
	if err != nil {
		return nil, fmt.Errorf("receipts: seal run %s: %w", n.RunID, err)
	}
	body = []byte(htmlSafe.Replace(string(body)))
	env := &Envelope{Body: body, Hash: hashOf(body)}
	for _, s := range signers {
		if !knownAlg(s.Alg()) {
			return nil, fmt.Errorf("receipts: seal: signer %s: unknown alg %q", s.KeyID(), s.Alg())
		}
		sig, err := s.Sign(body)
		if err != nil {
			return nil, fmt.Errorf("receipts: seal: signer %s: %w", s.KeyID(), err)
		}
		env.Signatures = append(env.Signatures, Signature{Alg: s.Alg(), KeyID: s.KeyID(), Sig: b64.EncodeToString(sig)})
	}
	return env, nil
}

// MarshalJSON returns the envelope in its one valid encoding (see the
// package documentation), with the body bytes unchanged. encoding/json
// embeds it in a larger value unchanged too, escaping HTML or not; an
// indenting encoder reformats it, and the copy no longer verifies.
func (e Envelope) MarshalJSON() ([]byte, error) {
	return e.encode(true)
}

// encode returns the envelope's encoding; check validates the body.
func (e Envelope) encode(check bool) ([]byte, error) {
	if check && !json.Valid(e.Body) {
		return nil, fmt.Errorf("%w: body is not JSON", ErrMalformed)
	}
	var b bytes.Buffer
	b.Grow(len(e.Body) + 100 + 160*len(e.Signatures))
	b.WriteString(`{"body":`)
	b.Write(e.Body)
	b.WriteString(`,"hash":`)
	b.Write(quote(e.Hash))
	b.WriteString(`,"signatures":[`)
	for i, s := range e.Signatures {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"alg":`)
		b.Write(quote(s.Alg))
		b.WriteString(`,"key_id":`)
		b.Write(quote(s.KeyID))
		b.WriteString(`,"sig":`)
		b.Write(quote(s.Sig))
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// quote encodes s as a JSON string.
func quote(s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

// ParseEnvelope decodes an envelope without verifying it. Surrounding
// whitespace is ignored; anything else that is not the envelope's one valid
// encoding (MarshalJSON) is ErrMalformed.
func ParseEnvelope(data []byte) (*Envelope, error) {
	data = bytes.TrimSpace(data)
	// The body is everything between the fixed prefix and the last
	// `,"hash":`, which cannot occur in the valid tail: inside a JSON
	// string a quote is always escaped.
	const prefix = `{"body":`
	i := bytes.LastIndex(data, []byte(`,"hash":`))
	if !bytes.HasPrefix(data, []byte(prefix)) || i < len(prefix) {
		return nil, fmt.Errorf("%w: not an envelope", ErrMalformed)
	}
	body := data[len(prefix):i]
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: body is not JSON", ErrMalformed)
	}
	tail := append([]byte{'{'}, data[i+1:]...)
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(tail))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&struct {
		Hash       *string      `json:"hash"`
		Signatures *[]Signature `json:"signatures"`
	}{&e.Hash, &e.Signatures}); err != nil {
		return nil, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	e.Body = bytes.Clone(body)
	// The valid encoding is unique, so comparing with it rejects every
	// variation encoding/json tolerates: trailing data, duplicate or
	// differently cased keys, escapes, reordering, missing fields.
	if again, _ := e.encode(false); !bytes.Equal(again, data) {
		return nil, fmt.Errorf("%w: envelope is not in its canonical encoding", ErrMalformed)
	}
	return &e, nil
}

// Verify checks the envelope, then decodes its body: the hash must be the
// sha256 of the body bytes; every signature must use a known algorithm;
// a signature whose key id one of verifiers has must verify with it; a
// signature by any other key is an *UnknownKeyError unless verifiers hold no key
// of its algorithm at all (a holder of the public keys only skips the HMAC
// signature); and at least one signature must verify.
func (e *Envelope) Verify(verifiers []Verifier) (*Receipt, error) {
	if e.Hash != hashOf(e.Body) {
		return nil, ErrHashMismatch
	}
	if len(e.Signatures) == 0 {
		return nil, fmt.Errorf("%w: no signatures", ErrMalformed)
	}
	verified := 0
	for _, s := range e.Signatures {
		if !knownAlg(s.Alg) {
			return nil, fmt.Errorf("%w: signature alg %q", ErrMalformed, s.Alg)
		}
		sig, err := b64.DecodeString(s.Sig)
		if err != nil {
			return nil, fmt.Errorf("%w: signature by %s: %v", ErrMalformed, s.KeyID, err)
		}
		var v Verifier
		haveAlg := false
		for _, c := range verifiers {
			haveAlg = haveAlg || c.Alg() == s.Alg
			if c.KeyID() == s.KeyID {
				v = c
				break
			}
		}
		switch {
		case v == nil && haveAlg:
			return nil, &UnknownKeyError{KeyID: s.KeyID}
		case v == nil:
			continue
		case v.Alg() != s.Alg || !v.Verify(e.Body, sig):
			return nil, &InvalidSignatureError{KeyID: s.KeyID}
		}
		verified++
	}
	if verified == 0 {
		return nil, &UnknownKeyError{KeyID: e.Signatures[0].KeyID}
	}
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(e.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrMalformed, err)
	}
	return &r, nil
}

// Open parses and verifies an envelope, then decodes its body: ParseEnvelope
// followed by Envelope.Verify.
func Open(data []byte, verifiers []Verifier) (*Receipt, error) {
	e, err := ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	return e.Verify(verifiers)
}

var b64 = base64.StdEncoding.Strict()

func knownAlg(alg string) bool { return alg == AlgHMACSHA256 || alg == AlgEd25519 }

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// htmlSafe escapes the characters an HTML-escaping JSON encoder would
// rewrite. They occur only inside strings, so the replacement is exact.
var htmlSafe = strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "\u2028", `\u2028`, "\u2029", `\u2029`)

// canonical encodes v with encoding/json and transforms the result to
// RFC 8785 canonical JSON.
func canonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	c, err := jcs.Transform(b)
	if err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	return c, nil
}
