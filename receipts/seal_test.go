package receipts

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sealed returns the envelope bytes of r sealed as seq 1 with signers.
func sealed(t testing.TB, r *Receipt, signers []Signer) []byte {
	t.Helper()
	r.Seq, r.Prev = 1, ""
	env, err := Seal(r, signers)
	if err != nil {
		t.Fatal(err)
	}
	b, err := env.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	signers, verifiers := testKeys(t, 1)
	in := sampleReceipt(1)
	in.Seq = 1
	in.Started = in.Started.In(time.FixedZone("CET", 3600)) // stored in UTC
	data := sealed(t, in, signers)

	got, err := Open(data, verifiers)
	if err != nil {
		t.Fatal(err)
	}
	want := *in
	want.Version = FormatVersion
	want.Actions = append([]Action(nil), in.Actions...)
	want.Actions[0].Result = json.RawMessage(`{"n":1000,"ok":true}`) // canonical form
	if diff := cmp.Diff(&want, got, cmpopts.EquateEmpty(), cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("Open(Seal(r)) mismatch (-want +got):\n%s", diff)
	}
	if got.Started.Location() != time.UTC {
		t.Errorf("started in %v, want UTC", got.Started.Location())
	}
	if in.Version != "" {
		t.Errorf("Seal modified its argument: version %q", in.Version)
	}
}

func TestSealBodyIsCanonical(t *testing.T) {
	t.Parallel()
	signers, _ := testKeys(t, 1)
	r := sampleReceipt(2)
	r.Seq = 1
	env, err := Seal(r, signers)
	if err != nil {
		t.Fatal(err)
	}
	body := string(env.Body)
	for _, want := range []string{
		`"note":"\u003cb\u003eMüller \u0026 Søn\u003c/b\u003e"`, // HTML-safe, UTF-8 as is
		`"result":{"n":1000,"ok":true}`,                         // raw JSON canonicalised
		`"roles":["sales"]`,
		`"duration_ms":0,"error":{"code":"denied","message"`, // keys sorted
		`"prev":""`,
		`"started":"2026-03-14T15:11:26.535897Z"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s:\n%s", want, body)
		}
	}
	again, err := Seal(r, signers)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := env.MarshalJSON()
	b, _ := again.MarshalJSON()
	if !bytes.Equal(a, b) {
		t.Error("sealing the same receipt twice gave different envelopes")
	}
}

func TestSealRejects(t *testing.T) {
	t.Parallel()
	signers, _ := testKeys(t, 1)
	tests := []struct {
		name   string
		edit   func(r *Receipt)
		errHas string
	}{
		{"empty run id", func(r *Receipt) { r.RunID = "" }, "run_id"},
		{"run id with slash", func(r *Receipt) { r.RunID = "../etc" }, "run_id"},
		{"run id starting with a dot", func(r *Receipt) { r.RunID = ".hidden" }, "run_id"},
		{"seq zero", func(r *Receipt) { r.Seq = 0 }, "seq 0"},
		{"prev on the first receipt", func(r *Receipt) { r.Prev = "sha256:" + strings.Repeat("0", 64) }, "prev"},
		{"no prev on a later receipt", func(r *Receipt) { r.Seq = 2 }, "prev"},
		{"malformed prev", func(r *Receipt) { r.Seq, r.Prev = 2, "sha256:ABC" }, "prev"},
		{"unknown decision", func(r *Receipt) { r.Decision = "pass" }, "decision"},
		{"unknown action decision", func(r *Receipt) { r.Actions[0].Decision = "ok" }, "actions[0].decision"},
		{"result and error", func(r *Receipt) { r.Actions[1].Result = json.RawMessage(`1`) }, "actions[1]"},
		{"other version", func(r *Receipt) { r.Version = "enact.receipt/v2" }, "version"},
		{"invalid raw result", func(r *Receipt) { r.Actions[0].Result = json.RawMessage(`{`) }, "run-0001"},
		{"unencodable input", func(r *Receipt) { r.Inputs["f"] = func() {} }, "run-0001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := sampleReceipt(1)
			r.Seq = 1
			tc.edit(r)
			_, err := Seal(r, signers)
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("Seal: got %v, want an error mentioning %q", err, tc.errHas)
			}
		})
	}
	if _, err := Seal(&Receipt{RunID: "r", Seq: 1, Decision: DecisionPass}, nil); err == nil {
		t.Error("Seal with no signers succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	signers, verifiers := testKeys(t, 1)
	otherSigners, otherVerifiers := testKeys(t, 2)
	good := sealed(t, sampleReceipt(1), signers)
	env, err := ParseEnvelope(good)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(e Envelope) []byte { b, _ := e.MarshalJSON(); return b }
	withSigs := func(sigs ...Signature) []byte { e := *env; e.Signatures = sigs; return encode(e) }
	hmacSig, edSig := env.Signatures[0], env.Signatures[1]
	foreign, err := ParseEnvelope(sealed(t, sampleReceipt(1), otherSigners))
	if err != nil {
		t.Fatal(err)
	}
	flippedSig := edSig
	flippedSig.Sig = "A" + edSig.Sig[1:]
	if flippedSig.Sig == edSig.Sig {
		flippedSig.Sig = "B" + edSig.Sig[1:]
	}
	edOnly := []Verifier{verifiers[1]}

	tests := []struct {
		name      string
		data      []byte
		verifiers []Verifier
		check     func(error) bool
	}{
		{"valid", good, verifiers, func(err error) bool { return err == nil }},
		{"valid with public key only", good, edOnly, func(err error) bool { return err == nil }},
		{"valid with surrounding whitespace", append(append([]byte("\n "), good...), '\n'), verifiers, func(err error) bool { return err == nil }},
		{"not json", []byte("receipt"), verifiers, isErr(ErrMalformed)},
		{"empty", nil, verifiers, isErr(ErrMalformed)},
		{"trailing data", append(bytes.Clone(good), "{}"...), verifiers, isErr(ErrMalformed)},
		{"unknown field", bytes.Replace(good, []byte(`{"body":`), []byte(`{"x":1,"body":`), 1), verifiers, isErr(ErrMalformed)},
		{"capitalised field", bytes.Replace(good, []byte(`"hash":`), []byte(`"Hash":`), 1), verifiers, isErr(ErrMalformed)},
		{"escaped key", bytes.Replace(good, []byte(`"hash":`), []byte(`"h\u0061sh":`), 1), verifiers, isErr(ErrMalformed)},
		{"indented", indent(t, good), verifiers, isErr(ErrMalformed)},
		{"body changed", bytes.Replace(good, []byte("jane@acme.test"), []byte("jane@acme.tesT"), 1), verifiers, isErr(ErrHashMismatch)},
		{"body and hash changed", rehash(t, env, "jane@acme.test", "joan@acme.test"), verifiers, isTyped[*InvalidSignatureError]},
		{"no signatures", withSigs(), verifiers, isErr(ErrMalformed)},
		{"unknown alg", withSigs(Signature{Alg: "rsa", KeyID: edSig.KeyID, Sig: edSig.Sig}), verifiers, isErr(ErrMalformed)},
		{"bad base64", withSigs(hmacSig, Signature{Alg: edSig.Alg, KeyID: edSig.KeyID, Sig: "%%"}), verifiers, isErr(ErrMalformed)},
		{"non-canonical base64", withSigs(hmacSig, Signature{Alg: edSig.Alg, KeyID: edSig.KeyID, Sig: edSig.Sig[:85] + "B=="}), verifiers, isErr(ErrMalformed)},
		{"flipped signature", withSigs(hmacSig, flippedSig), verifiers, isTyped[*InvalidSignatureError]},
		{"signature under the other alg", withSigs(Signature{Alg: AlgHMACSHA256, KeyID: edSig.KeyID, Sig: hmacSig.Sig}), verifiers, isTyped[*InvalidSignatureError]},
		{"hmac stripped: the ed25519 one suffices", withSigs(edSig), verifiers, func(err error) bool { return err == nil }},
		{"signed by other keys", encode(*foreign), verifiers, isTyped[*UnknownKeyError]},
		{"a foreign signature added", withSigs(hmacSig, edSig, foreign.Signatures[1]), verifiers, isTyped[*UnknownKeyError]},
		{"only the hmac signature, public key only", withSigs(hmacSig), edOnly, isTyped[*UnknownKeyError]},
		{"no verifiers", good, nil, isTyped[*UnknownKeyError]},
		{"other verifiers", good, otherVerifiers, isTyped[*UnknownKeyError]},
		{"body not a receipt", resealBody(t, `{"version":"enact.receipt/v1","run_id":"x","seq":1,"decision":"PASS","extra":1}`, signers), verifiers, isErr(ErrMalformed)},
		{"body of another version", resealBody(t, `{"version":"enact.receipt/v9","run_id":"x","seq":1,"decision":"PASS"}`, signers), verifiers, isErr(ErrMalformed)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Open(tc.data, tc.verifiers)
			if !tc.check(err) {
				t.Errorf("Open: unexpected error %v (%T)", err, err)
			}
		})
	}
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func isTyped[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func indent(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// rehash replaces old with new in the body and recomputes the hash, keeping
// the old signatures.
func rehash(t *testing.T, env *Envelope, old, new string) []byte {
	e := *env
	e.Body = bytes.Replace(e.Body, []byte(old), []byte(new), 1)
	e.Hash = hashOf(e.Body)
	b, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resealBody signs an arbitrary body, bypassing Seal's checks.
func resealBody(t *testing.T, body string, signers []Signer) []byte {
	e := Envelope{Body: json.RawMessage(body), Hash: hashOf([]byte(body))}
	for _, s := range signers {
		sig, err := s.Sign(e.Body)
		if err != nil {
			t.Fatal(err)
		}
		e.Signatures = append(e.Signatures, Signature{Alg: s.Alg(), KeyID: s.KeyID(), Sig: b64.EncodeToString(sig)})
	}
	b, _ := e.MarshalJSON()
	return b
}

// An envelope embedded in other JSON by encoding/json, HTML-escaping or
// not, keeps verifying: the body holds no character such an encoder
// rewrites. Reformatting it does not.
func TestEnvelopeEmbedding(t *testing.T) {
	t.Parallel()
	signers, verifiers := testKeys(t, 1)
	r := sampleReceipt(1)
	r.Inputs["separators"] = "\u2028\u2029"
	data := sealed(t, r, signers)
	env, err := ParseEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	type output struct {
		Receipt *Envelope `json:"receipt"`
	}
	extract := func(b []byte) []byte {
		var o struct {
			Receipt json.RawMessage `json:"receipt"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			t.Fatal(err)
		}
		return o.Receipt
	}
	encode := func(escapeHTML bool, indent string) []byte {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(escapeHTML)
		enc.SetIndent("", indent)
		if err := enc.Encode(output{env}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	marshalled, err := json.Marshal(output{env})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		data  []byte
		check func(error) bool
	}{
		{"json.Marshal", marshalled, func(err error) bool { return err == nil }},
		{"Encoder escaping HTML", encode(true, ""), func(err error) bool { return err == nil }},
		{"Encoder not escaping HTML", encode(false, ""), func(err error) bool { return err == nil }},
		{"indented", encode(false, "  "), isErr(ErrMalformed)},
	}
	for _, tc := range tests {
		got := extract(tc.data)
		if _, err := Open(got, verifiers); !tc.check(err) {
			t.Errorf("%s: Open = %v", tc.name, err)
		}
		if tc.check(nil) && !bytes.Equal(got, data) {
			t.Errorf("%s: the embedded envelope differs from the sealed bytes", tc.name)
		}
	}
}
