package receipts

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	type creds struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	tests := []struct {
		name    string
		inputs  map[string]any
		secrets []string
		want    map[string]any
	}{
		{"nil", nil, []string{"token"}, nil},
		{"no secrets", map[string]any{"token": "t"}, nil, map[string]any{"token": "t"}},
		{"top level, any type", map[string]any{"token": map[string]any{"a": 1.0}, "n": 1.0},
			[]string{"token"}, map[string]any{"token": Redacted, "n": 1.0}},
		{"case-insensitive", map[string]any{"API_Key": "k"}, []string{"api_key"}, map[string]any{"API_Key": Redacted}},
		{"nested in objects and arrays",
			map[string]any{"conn": map[string]any{"password": "p", "host": "h"}, "list": []any{map[string]any{"password": "q"}, "password"}},
			[]string{"password"},
			map[string]any{"conn": map[string]any{"password": Redacted, "host": "h"}, "list": []any{map[string]any{"password": Redacted}, "password"}}},
		{"inside Go types", map[string]any{"c": creds{User: "u", Password: "p"}, "m": map[string]string{"password": "p"}},
			[]string{"password"},
			map[string]any{"c": map[string]any{"user": "u", "password": Redacted}, "m": map[string]any{"password": Redacted}}},
		{"raw JSON", map[string]any{"raw": json.RawMessage(`{"password":"p"}`)}, []string{"password"},
			map[string]any{"raw": map[string]any{"password": Redacted}}},
		{"unencodable", map[string]any{"f": func() {}}, []string{"x"}, map[string]any{"f": Redacted}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tc.inputs, tc.secrets)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Redact mismatch (-want +got):\n%s", diff)
			}
		})
	}

	in := map[string]any{"conn": map[string]any{"password": "p"}}
	Redact(in, []string{"password"})
	if in["conn"].(map[string]any)["password"] != "p" {
		t.Error("Redact modified its argument")
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	base, err := Digest(json.RawMessage(`{"b":[1,2],"a":"<x>"}`))
	if err != nil {
		t.Fatal(err)
	}
	same := []any{
		json.RawMessage(" {\"a\" : \"\\u003cx>\", \"b\": [1.0, 2e0]}\n"),
		map[string]any{"b": []int{1, 2}, "a": "<x>"},
		struct {
			A string `json:"a"`
			B []any  `json:"b"`
		}{"<x>", []any{1, 2.0}},
	}
	for _, v := range same {
		if got, err := Digest(v); err != nil || got != base {
			t.Errorf("Digest(%#v) = %s, %v; want %s", v, got, err, base)
		}
	}
	for _, v := range []any{
		json.RawMessage(`{"b":[2,1],"a":"<x>"}`),
		json.RawMessage(`{"b":[1,2],"a":"<x> "}`),
		json.RawMessage(`{"b":[1,2],"a":"<x>","c":null}`),
	} {
		if got, _ := Digest(v); got == base {
			t.Errorf("Digest(%s) equals the digest of a different value", v)
		}
	}
	// sha256 of the RFC 8785 form {"a":"<x>","b":[1,2]}.
	if want := "sha256:8dde4bd9a83dd9b1a57cc7dd835c478516a6595bf6837b121dd688180b4ea989"; base != want {
		t.Errorf("Digest = %s, want %s", base, want)
	}
	if _, err := Digest(json.RawMessage(`{`)); err == nil {
		t.Error("Digest of invalid JSON succeeded")
	}
}

func TestMillis(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]float64{
		0:                         0,
		1500 * time.Microsecond:   1.5,
		1234567 * time.Nanosecond: 1.234,
		2 * time.Second:           2000,
	} {
		if got := Millis(d); got != want {
			t.Errorf("Millis(%v) = %v, want %v", d, got, want)
		}
	}
}
