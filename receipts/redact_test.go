package receipts

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const canary = "canary-5f3b9c0e-secret"

func TestRedactorString(t *testing.T) {
	t.Parallel()
	r := NewRedactor(map[string]any{
		"API_Key": canary,
		"nested":  map[string]any{"password": []any{"hunter2-long", map[string]any{"deep": "xyz"}}},
		"pin":     json.Number("123456"),
		"plain":   "not-secret-at-all",
		"quote":   nil,
	}, []string{"api_key", "Password", "PIN"})
	for _, tc := range []struct{ in, want string }{
		{canary, Redacted},
		{"key=" + canary + ";", "key=" + Redacted + ";"},
		{canary + canary, Redacted + Redacted},
		{"pw hunter2-long and " + canary, "pw " + Redacted + " and " + Redacted},
		{"xyz", Redacted},                // short: exactly equal
		{"the xyz axis", "the xyz axis"}, // short: not inside text
		{"pin 123456!", "pin " + Redacted + "!"},
		{"not-secret-at-all", "not-secret-at-all"},
		{"", ""},
	} {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactorEscapedForms(t *testing.T) {
	t.Parallel()
	secret := `a"b\c<d>`
	r := NewRedactor(map[string]any{"token": secret}, []string{"token"})
	for _, in := range []string{
		secret,
		`{"x":"a\"b\\c<d>"}`,
		`{"x":"a\"b\\c\u003cd\u003e"}`,
	} {
		if got := r.String(in); strings.Contains(got, `b\c`) || strings.Contains(got, `b\\c`) {
			t.Errorf("String(%s) = %s: the secret shows", in, got)
		}
	}
}

func TestRedactorValueAndJSON(t *testing.T) {
	t.Parallel()
	r := NewRedactor(map[string]any{"token": canary, "port": 8443.0}, []string{"token", "port"})
	got := r.Value(map[string]any{
		"echo":       "got " + canary,
		"token":      "something else",
		"n":          json.Number("8443"),
		"f":          8443.0,
		"other":      8444.0,
		canary:       true,
		"list":       []any{canary, 1.0, "x"},
		"struct-ish": struct{ A string }{A: canary},
	})
	want := map[string]any{
		"echo":       "got " + Redacted,
		"token":      Redacted,
		"n":          Redacted,
		"f":          Redacted,
		"other":      8444.0,
		Redacted:     true,
		"list":       []any{Redacted, 1.0, "x"},
		"struct-ish": map[string]any{"A": Redacted},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Value (-want +got):\n%s", d)
	}
	same := json.RawMessage(`{ "a" : [1, 2.50, "b"] }`)
	if out := r.JSON(same); string(out) != string(same) {
		t.Errorf("JSON changed a document without secrets: %s", out)
	}
	if out := r.JSON(json.RawMessage(`{"a":"` + canary + `"}`)); string(out) != `{"a":"[redacted]"}` {
		t.Errorf("JSON = %s", out)
	}
	if out := r.JSON(json.RawMessage(`not json ` + canary)); strings.Contains(string(out), canary) || !json.Valid(out) {
		t.Errorf("JSON of text = %s", out)
	}
	var nilR *Redactor
	if nilR.String(canary) != canary || nilR.Map(nil) != nil {
		t.Error("a nil redactor changed something")
	}
}

func TestRedactorReceipt(t *testing.T) {
	t.Parallel()
	r := NewRedactor(map[string]any{"token": canary}, []string{"token"})
	rc := &Receipt{
		RunID:         "run-1",
		Inputs:        map[string]any{"token": canary, "note": "uses " + canary},
		PolicyResults: []PolicyResult{{Policy: "p", Passed: true, Reason: "saw " + canary}},
		Decision:      DecisionFailed,
		Actions: []Action{{Seq: 1, Action: "kv.put", Decision: ActionAllowed, ArgsDigest: "sha256:x",
			Facts: map[string]any{"f": canary}, Result: json.RawMessage(`{"v":"` + canary + `"}`)},
			{Seq: 2, Action: "kv.put", Decision: ActionFailed, Error: &Error{Code: "connector_error", Message: canary}}},
		Outputs: map[string]any{"out": canary},
		Error:   &Error{Code: "guest_error", Message: "raised " + canary},
	}
	r.Receipt(rc)
	b, err := json.Marshal(rc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), canary) {
		t.Fatalf("the receipt still shows the secret: %s", b)
	}
	if rc.Actions[0].ArgsDigest != "sha256:x" || rc.Error.Code != "guest_error" {
		t.Errorf("identifiers changed: %+v", rc)
	}
}

func TestRedactorWithoutSecretNamesIsNil(t *testing.T) {
	t.Parallel()
	r := NewRedactor(map[string]any{"token": canary}, nil)
	if r != nil || r.String(canary) != canary || r.JSON(json.RawMessage(`"`+canary+`"`)) == nil {
		t.Errorf("a redactor without secret names redacts: %v", r)
	}
}

// FuzzRedactorString checks that no text keeps a secret of MinRedactLen
// bytes or more once redacted (a secret with the marker's brackets in it
// could be rebuilt around the marker, and is left out).
func FuzzRedactorString(f *testing.F) {
	f.Add(canary, "key="+canary+canary[:5])
	f.Add("abab", "aababbabab")
	f.Add(`q"\x`, `{"s":"q\"\\x"}`)
	f.Fuzz(func(t *testing.T, secret, text string) {
		if len(secret) < MinRedactLen || strings.ContainsAny(secret, "[]") {
			return
		}
		r := NewRedactor(map[string]any{"token": secret}, []string{"token"})
		if got := r.String(text); strings.Contains(got, secret) {
			t.Errorf("String(%q) = %q keeps the secret %q", text, got, secret)
		}
		out := r.JSON(json.RawMessage(text))
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("JSON(%q) = %q keeps the secret %q", text, out, secret)
		}
	})
}

func TestRedactorJSONSecretAcrossSyntax(t *testing.T) {
	t.Parallel()
	secret := `ab":"cd`
	r := NewRedactor(map[string]any{"token": secret}, []string{"token"})
	out := r.JSON(json.RawMessage(`{"ab":"cd"}`))
	if bytes.Contains(out, []byte(secret)) || !json.Valid(out) {
		t.Errorf("JSON = %s", out)
	}
}

// BenchmarkRedactorString redacts 1 MiB of printed output (the default
// bound of captured output) holding the secret every 4 KiB.
func BenchmarkRedactorString(b *testing.B) {
	r := NewRedactor(map[string]any{"token": canary, "creds": map[string]any{"a": "hunter2-long", "b": json.Number("98765432")}}, []string{"token", "creds"})
	text := strings.Repeat(strings.Repeat("x", 4096-len(canary))+canary, 256)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		r.String(text)
	}
}

// BenchmarkRedactorStringClean redacts 1 MiB of output without a secret.
func BenchmarkRedactorStringClean(b *testing.B) {
	r := NewRedactor(map[string]any{"token": canary, "creds": map[string]any{"a": "hunter2-long", "b": json.Number("98765432")}}, []string{"token", "creds"})
	text := strings.Repeat("x", 1<<20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		r.String(text)
	}
}
