package receipts

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to Open: it never panics, every error is
// one it documents, and whatever it accepts is exactly an envelope's one
// valid encoding with a valid receipt inside.
func FuzzOpen(f *testing.F) {
	signers, verifiers := testKeys(f, 1)
	for _, r := range []*Receipt{sampleReceipt(1), smallReceipt(1)} {
		good := sealed(f, r, signers)
		f.Add(good)
		f.Add(bytes.Replace(good, []byte(`"seq":1`), []byte(`"seq":2`), 1))
		f.Add(good[:len(good)/2])
	}
	f.Add([]byte(`{"body":{},"hash":"sha256:","signatures":[]}`))
	f.Add([]byte(`{"body":null,"hash":"","signatures":[{"alg":"ed25519","key_id":"","sig":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(data, verifiers)
		if err != nil {
			if !typedOpenError(err) {
				t.Fatalf("Open: untyped error %v (%T)", err, err)
			}
			return
		}
		env, err := ParseEnvelope(data)
		if err != nil {
			t.Fatalf("Open accepted what ParseEnvelope rejects: %v", err)
		}
		again, _ := env.MarshalJSON()
		if !bytes.Equal(again, bytes.TrimSpace(data)) {
			t.Fatalf("accepted a non-canonical envelope:\n%s\n%s", data, again)
		}
		if err := r.validate(); err != nil {
			t.Fatalf("accepted an invalid receipt: %v", err)
		}
	})
}

// FuzzDigest feeds arbitrary JSON arguments (guest-controlled in the gate)
// to Digest: it never panics, and reformatting the JSON never changes the
// digest.
func FuzzDigest(f *testing.F) {
	for _, s := range []string{`{"b":[1,2],"a":"<x>"}`, `[1e400]`, `"\ud800"`, `{"a":1,"a":2}`, `1.0000000000000002`, `{"€":0,"\u00e9":-0}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Digest(json.RawMessage(data))
		if err != nil {
			return
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, data, "", "\t"); err != nil {
			t.Fatalf("Digest accepted what json.Indent rejects: %v", err)
		}
		if again, err := Digest(json.RawMessage(indented.Bytes())); err != nil || again != d {
			t.Fatalf("reformatted JSON digests to %s, %v; want %s", again, err, d)
		}
	})
}
