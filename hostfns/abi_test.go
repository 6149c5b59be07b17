package hostfns_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/enact-run/enact/hostfns"
)

func TestDecodeRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, action, args, err string
	}{
		{`{"action": "kv.put", "args": {"key": "a"}}`, "kv.put", `{"key": "a"}`, ""},
		{`{"action": "kv.get"}`, "kv.get", `{}`, ""},
		{`{"action": "kv.get", "args": null}`, "kv.get", `{}`, ""},
		{`{"action": "kv.get", "args": [1]}`, "", "", "must be a JSON object"},
		{`{"action": "KV.get"}`, "", "", "connector.action"},
		{`{"action": "kv"}`, "", "", "connector.action"},
		{`{"action": "kv.get", "extra": true}`, "", "", "unknown field"},
		{`{"action": "kv.get"} {}`, "", "", "trailing"},
		{`not json`, "", "", "invalid"},
		{`{"action": "kv.get", "args": {"v": "` + strings.Repeat("x", hostfns.MaxRequestBytes) + `"}}`, "", "", "limit"},
	} {
		req, err := hostfns.DecodeRequest([]byte(tc.in))
		if tc.err != "" {
			if !errors.Is(err, hostfns.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%.60s: err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || req.Action != tc.action || string(req.Args) != tc.args {
			t.Errorf("%s: %+v %v", tc.in, req, err)
		}
	}
}

func TestReplies(t *testing.T) {
	t.Parallel()
	var r hostfns.Reply
	if err := json.Unmarshal(hostfns.ResultReply(json.RawMessage(`{"a":1}`), true), &r); err != nil || !r.OK || !r.AlreadyExisted || r.Error != nil {
		t.Errorf("result reply: %+v %v", r, err)
	}
	big := json.RawMessage(`"` + strings.Repeat("x", hostfns.MaxReplyBytes) + `"`)
	if err := json.Unmarshal(hostfns.ResultReply(big, false), &r); err != nil || r.OK || r.Error.Code != hostfns.CodeConnectorError {
		t.Errorf("oversized result: %+v %v", r, err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"action": "kv.put", "args": {"key": "a", "value": [1, {"b": null}]}}`))
	f.Add([]byte(`{"action": "github.create_pr", "args": null}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := hostfns.DecodeRequest(b)
		if err != nil {
			if !errors.Is(err, hostfns.ErrInvalidRequest) {
				t.Fatalf("error %v does not wrap ErrInvalidRequest", err)
			}
			return
		}
		if !strings.Contains(req.Action, ".") || len(req.Args) == 0 || req.Args[0] != '{' && req.Args[0] != ' ' && req.Args[0] != '\t' && req.Args[0] != '\n' && req.Args[0] != '\r' {
			t.Fatalf("accepted %q as %+v", b, req)
		}
	})
}
