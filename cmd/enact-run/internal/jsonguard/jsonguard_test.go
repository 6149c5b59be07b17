package jsonguard_test

import (
	"strings"
	"testing"

	"github.com/enact-run/enact/cmd/enact-run/internal/jsonguard"
)

func TestScan(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	cases := []struct {
		name  string
		in    string
		check func(r jsonguard.Report) bool
	}{
		{"flat", `{"jsonrpc":"2.0","id":7,"method":"ping"}`, func(r jsonguard.Report) bool {
			return r.First == '{' && r.Depth == 1 && !r.TooDeep && string(r.ID) == "7" && r.HasID && r.HasMethod && !r.HasResult && r.Duplicate == ""
		}},
		{"string id with escapes", `{"id":"a\"b","method":"x"}`, func(r jsonguard.Report) bool {
			return string(r.ID) == `"a\"b"` && string(r.IDValue()) == `"a\"b"`
		}},
		{"id null", `{"id":null,"result":{}}`, func(r jsonguard.Report) bool {
			return r.IDNull && r.ID == nil && r.HasResult && string(r.IDValue()) == "null"
		}},
		{"id an object", `{"id":{"id":1},"method":"x"}`, func(r jsonguard.Report) bool { return r.HasID && r.ID == nil }},
		{"nested id is not the id", `{"params":{"id":5},"method":"x"}`, func(r jsonguard.Report) bool { return !r.HasID && r.ID == nil }},
		{"10,001 deep, id after", `{"params":` + deep + `,"id":"late"}`, func(r jsonguard.Report) bool {
			return r.TooDeep && r.DeepUnder == "params" && r.Depth == 10002 && string(r.ID) == `"late"`
		}},
		{"at the limit", strings.Repeat("[", 64) + strings.Repeat("]", 64), func(r jsonguard.Report) bool { return !r.TooDeep && r.Depth == 64 && r.First == '[' }},
		{"past the limit", strings.Repeat("[", 65) + strings.Repeat("]", 65), func(r jsonguard.Report) bool { return r.TooDeep && r.DeepUnder == "" }},
		{"brackets in strings do not count", `{"s":"` + deep + `"}`, func(r jsonguard.Report) bool { return !r.TooDeep && r.Depth == 1 }},
		{"duplicate at the top", `{"id":1,"id":2}`, func(r jsonguard.Report) bool {
			return r.Duplicate == "id" && r.DuplicateUnder == "" && string(r.ID) == "2"
		}},
		{"duplicate spelled differently", `{"params":{"a":{"k":1,"\u006b":2}}}`, func(r jsonguard.Report) bool {
			return r.Duplicate == "k" && r.DuplicateUnder == "params"
		}},
		{"same key in sibling objects", `{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":1}]}`, func(r jsonguard.Report) bool { return r.Duplicate == "" }},
		{"a value equal to a key", `{"k":"k","j":"k"}`, func(r jsonguard.Report) bool { return r.Duplicate == "" }},
		{"cut short", `{"jsonrpc":"2.0","id":"x","params":{"a":[1,2`, func(r jsonguard.Report) bool { return string(r.ID) == `"x"` && r.Depth == 3 }},
		{"garbage", "\x00]]}}\"\\", func(r jsonguard.Report) bool { return r.Depth == 0 && r.ID == nil }},
		{"empty", "  \n", func(r jsonguard.Report) bool { return r.First == 0 }},
	}
	for _, c := range cases {
		if r := jsonguard.Scan([]byte(c.in), 0); !c.check(r) {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
}

func TestIDValueReencodes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"id":1e400}`:     "1e400",
		`{"id":-0}`:        "-0",
		`{"id":"\u00e9"}`:  `"é"`,
		`{"id":"\x"}`:      "null",
		`{"id":01}`:        "null",
		`{"id":tru}`:       "null",
		`{"id":"unclosed}`: "null",
	} {
		if got := string(jsonguard.Scan([]byte(in), 0).IDValue()); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
