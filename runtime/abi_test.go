package runtime_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/enact-run/enact/hostfns"
)

// recorder is a hostfns.Handler for tests: it records every request and
// answers kv.put with a result and anything else with a denial.
type recorder struct {
	mu       sync.Mutex
	requests []hostfns.Request
}

func (r *recorder) Handle(_ context.Context, b []byte) []byte {
	req, err := hostfns.DecodeRequest(b)
	if err != nil {
		return hostfns.ErrorReply(hostfns.CodeInvalidRequest, err.Error())
	}
	r.mu.Lock()
	r.requests = append(r.requests, req)
	r.mu.Unlock()
	if req.Action == "kv.put" {
		return hostfns.ResultReply(json.RawMessage(`{"stored":true,"version":1,"echo":`+string(req.Args)+`}`), false)
	}
	return hostfns.ErrorReply(hostfns.CodeDenied, "no", hostfns.PolicyReason{Policy: "test_policy", Passed: false, Reason: "tests say no"})
}

func TestGuestABIFromScripts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ lang, code string }{
		{"python", `
r = enact.call("kv.put", {"key": "a", "value": 1})
r2 = enact.kv.put(key="b", value=[1, 2])
try:
    enact.kv.get({"key": "a"})
    denied = None
except enact.ActionError as e:
    denied = [e.code, e.policy_results[0]["policy"]]
raw = enact.request("kv.get", {"key": "a"})
return {"stored": r["stored"], "echo": r2["echo"], "denied": denied, "raw_ok": raw["ok"]}
`},
		{"javascript", `
const r = enact.call("kv.put", { key: "a", value: 1 });
const r2 = enact.kv.put({ key: "b", value: [1, 2] });
let denied = null;
try { enact.kv.get({ key: "a" }); } catch (e) { if (e instanceof enact.ActionError) denied = [e.code, e.policyResults[0].policy]; }
const raw = enact.request("kv.get", { key: "a" });
return { stored: r.stored, echo: r2.echo, denied, raw_ok: raw.ok };
`},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			res, err := engine(t).RunWith(context.Background(), load(t, scriptDoc(tc.lang, tc.code, "")), nil, rec)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			want := `{"denied":["denied","test_policy"],"echo":{"key":"b","value":[1,2]},"raw_ok":false,"stored":true}`
			if got := jsonOf(t, res.Outputs); got != want {
				t.Errorf("outputs = %s, want %s", got, want)
			}
			var actions []string
			for _, r := range rec.requests {
				actions = append(actions, r.Action+" "+string(r.Args))
			}
			got := strings.Join(actions, "\n")
			if !strings.Contains(got, `kv.put {"key":"b","value":[1,2]}`) && !strings.Contains(got, `kv.put {"key": "b", "value": [1, 2]}`) {
				t.Errorf("requests:\n%s", got)
			}
			if len(rec.requests) != 4 {
				t.Errorf("%d requests, want 4", len(rec.requests))
			}
		})
	}
}

func TestWithoutAHostNothingIsGranted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ lang, code string }{
		{"python", "try:\n    enact.kv.put(key='a')\nexcept enact.ActionError as e:\n    return {'code': e.code}"},
		{"javascript", "try { enact.kv.put({ key: 'a' }); } catch (e) { return { code: e.code }; }"},
	} {
		res := mustRun(t, load(t, scriptDoc(tc.lang, tc.code, "")), nil)
		if got := jsonOf(t, res.Outputs); got != `{"code":"not_granted"}` {
			t.Errorf("%s: outputs = %s", tc.lang, got)
		}
	}
}

func TestMalformedRequestsFromScripts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ lang, code string }{
		{"python", "import _enact, json\nreturn json.loads(_enact.call('{not json'))['error']"},
		{"javascript", "return JSON.parse(globalThis.__enact_host === undefined ? '{}' : 'x').error ?? { code: 'hidden' };"},
	} {
		res := mustRun(t, load(t, scriptDoc(tc.lang, tc.code, "")), nil)
		got := jsonOf(t, res.Outputs)
		if !strings.Contains(got, "invalid_request") && !strings.Contains(got, "hidden") {
			t.Errorf("%s: outputs = %s", tc.lang, got)
		}
	}
}

func TestGuestABIFromAGoPlugin(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := loadFile(t, writePluginCapability(t, hostile(t), "act", ""))
	for _, tc := range []struct {
		in   map[string]any
		want string
	}{
		{map[string]any{"action": "kv.put", "args": map[string]any{"key": "k", "value": "v"}}, `{"reply":{"ok":true,"result":{"echo":{"key":"k","value":"v"},"stored":true,"version":1}}}`},
		{map[string]any{"action": "kv.get", "args": map[string]any{"key": "k"}}, `{"reply":{"error":{"code":"denied","message":"no","policy_results":[{"passed":false,"policy":"test_policy","reason":"tests say no"}]},"ok":false}}`},
		{map[string]any{"action": "Not An Action"}, `"invalid_request"`},
	} {
		res, err := engine(t).RunWith(context.Background(), c, tc.in, rec)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if got := jsonOf(t, res.Outputs); !strings.Contains(got, tc.want) {
			t.Errorf("outputs = %s, want %s", got, tc.want)
		}
	}
	if len(rec.requests) != 2 {
		t.Errorf("the handler saw %d valid requests, want 2", len(rec.requests))
	}
}

func TestExamplePluginActsThroughTheABI(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := loadFile(t, "../plugins/examples/textstats/textstats.yaml")
	res, err := engine(t).RunWith(context.Background(), c, map[string]any{"text": "a b a", "save_as": "stats/1"}, rec)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got := jsonOf(t, res.Outputs["saved"]); got != `{"already_existed":false,"key":"stats/1","version":1}` {
		t.Errorf("saved = %s", got)
	}
	if len(rec.requests) != 1 || rec.requests[0].Action != "kv.put" || !strings.Contains(string(rec.requests[0].Args), `"key":"stats/1"`) {
		t.Errorf("requests = %+v", rec.requests)
	}
}
