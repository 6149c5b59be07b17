package kv_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/connectortest"
	"github.com/enact-run/enact/hostfns/kv"
)

func open(t *testing.T) *kv.Store {
	t.Helper()
	s, err := kv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	connectortest.Run(t, func(t *testing.T) hostfns.Connector { return open(t) }, connectortest.Contract{
		Mutations: []connectortest.Call{
			{Action: "put", Args: `{"key": "a", "value": {"n": 1, "list": [1, 2]}}`},
			{Action: "put", Args: `{"namespace": "other", "key": "a", "value": "x", "if_version": 0}`},
			{Action: "put", Args: `{"key": "gone", "value": [1]}`},
			{Action: "delete", Args: `{"key": "gone"}`},
		},
		Reads: []connectortest.Call{
			{Action: "get", Args: `{"key": "a"}`},
			{Action: "list", Args: `{"prefix": "a"}`},
		},
	})
}

// The store must answer recovery's question; the contract then holds it
// to Check's rules.
var _ hostfns.Checker = (*kv.Store)(nil)

func call(t *testing.T, s *kv.Store, action, args string) (map[string]any, bool, error) {
	t.Helper()
	out, err := s.Call(context.Background(), action, json.RawMessage(args), hostfns.CallOptions{})
	if err != nil {
		return nil, false, err
	}
	var m map[string]any
	if err := json.Unmarshal(out.Result, &m); err != nil {
		t.Fatal(err)
	}
	return m, out.AlreadyExisted, nil
}

func TestPutGetDeleteList(t *testing.T) {
	t.Parallel()
	s := open(t)
	if m, existed, err := call(t, s, "put", `{"key": "k", "value": {"b": 2, "a": 1}}`); err != nil || existed || m["version"] != 1.0 {
		t.Fatalf("put: %v %v %v", m, existed, err)
	}
	// The same value with other key order is the same value.
	if m, existed, err := call(t, s, "put", `{"key": "k", "value": {"a": 1, "b": 2}}`); err != nil || !existed || m["version"] != 1.0 {
		t.Fatalf("same put: %v %v %v", m, existed, err)
	}
	if m, _, err := call(t, s, "put", `{"key": "k", "value": 3}`); err != nil || m["version"] != 2.0 {
		t.Fatalf("new value: %v %v", m, err)
	}
	if m, _, err := call(t, s, "get", `{"key": "k"}`); err != nil || m["value"] != 3.0 || m["found"] != true {
		t.Fatalf("get: %v %v", m, err)
	}
	if _, _, err := call(t, s, "put", `{"key": "k", "value": 4, "if_version": 1}`); err == nil {
		t.Fatal("stale if_version accepted")
	} else {
		var ce *hostfns.ConnectorError
		if !errors.As(err, &ce) || ce.Code != hostfns.CodeConflict {
			t.Fatalf("err = %v, want conflict", err)
		}
	}
	for _, k := range []string{"kb", "ka", "z", "k%"} {
		if _, _, err := call(t, s, "put", `{"key": "`+k+`", "value": true}`); err != nil {
			t.Fatal(err)
		}
	}
	m, _, err := call(t, s, "list", `{"prefix": "k", "limit": 2}`)
	if err != nil {
		t.Fatal(err)
	}
	items := m["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["key"] != "k" || items[1].(map[string]any)["key"] != "k%" || m["truncated"] != true {
		t.Fatalf("list = %v", m)
	}
	if m, existed, err := call(t, s, "delete", `{"key": "k"}`); err != nil || existed || m["deleted"] != true {
		t.Fatalf("delete: %v %v %v", m, existed, err)
	}
	if _, existed, err := call(t, s, "delete", `{"key": "k"}`); err != nil || !existed {
		t.Fatalf("second delete: %v %v", existed, err)
	}
	if m, _, _ := call(t, s, "get", `{"key": "k"}`); m["found"] != false {
		t.Fatalf("deleted key found: %v", m)
	}
}

func TestConcurrentPutsBumpOncePerChange(t *testing.T) {
	t.Parallel()
	s := open(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := call(t, s, "put", `{"key": "shared", "value": "same"}`); err != nil {
				t.Error(err)
			}
			_ = i
		}()
	}
	wg.Wait()
	if m, _, _ := call(t, s, "get", `{"key": "shared"}`); m["version"] != 1.0 {
		t.Errorf("20 identical puts left version %v, want 1", m["version"])
	}
}

func check(t *testing.T, s *kv.Store, action, args string) hostfns.CheckResult {
	t.Helper()
	res, err := s.Check(t.Context(), action, json.RawMessage(args), hostfns.CallOptions{IdempotencyKey: "run-1:1"})
	if err != nil {
		t.Fatalf("check %s %s: %v", action, args, err)
	}
	return res
}

func TestCheck(t *testing.T) {
	t.Parallel()
	s := open(t)
	if _, _, err := call(t, s, "put", `{"key": "runs/7", "value": {"b": 2, "a": 1}}`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		action, args string
		performed    bool
		result       string
	}{
		// Another key order is the same value; put's comparison keeps a
		// number's spelling, so 2.0e0 is not 2, and Check agrees.
		{"put", `{"key": "runs/7", "value": {"a": 1, "b": 2}}`, true, `{"key": "runs/7", "version": 1}`},
		{"put", `{"key": "runs/7", "value": {"a": 1, "b": 2.0e0}}`, false, ""},
		// The key holds another value: not performed.
		{"put", `{"key": "runs/7", "value": {"a": 1}}`, false, ""},
		{"put", `{"key": "runs/8", "value": 1}`, false, ""},
		{"put", `{"namespace": "other", "key": "runs/7", "value": {"a": 1, "b": 2}}`, false, ""},
		// A conditional put is judged by the value, whatever the version.
		{"put", `{"key": "runs/7", "value": {"b": 2, "a": 1}, "if_version": 0}`, true, `{"key": "runs/7", "version": 1}`},
		{"delete", `{"key": "runs/7"}`, false, ""},
		{"delete", `{"key": "runs/8"}`, true, `{"deleted": false, "key": "runs/8"}`},
	} {
		res := check(t, s, tc.action, tc.args)
		if res.Performed != tc.performed || !sameJSON(res.Result, tc.result) {
			t.Errorf("check %s %s = %+v (%s), want performed %v result %s", tc.action, tc.args, res, res.Result, tc.performed, tc.result)
		}
		if res.Evidence == "" {
			t.Errorf("check %s %s: no evidence", tc.action, tc.args)
		}
	}
	// put agrees that 2.0e0 is another value.
	if _, existed, err := call(t, s, "put", `{"key": "runs/7", "value": {"a": 1, "b": 2.0e0}}`); err != nil || existed {
		t.Fatalf("put of 2.0e0 over 2: existed=%v %v", existed, err)
	}
	if res := check(t, s, "put", `{"key": "runs/7", "value": {"a": 1, "b": 2.0e0}}`); !res.Performed || res.Evidence != `kv key "runs/7" in namespace "default" holds the value (version 2)` {
		t.Errorf("check after the put = %+v", res)
	}
	// Nothing the checks did changed a version.
	if m, _, _ := call(t, s, "get", `{"key": "runs/7"}`); m["version"] != 2.0 {
		t.Errorf("version %v after checks, want 2", m["version"])
	}
	for _, args := range []string{`{"key": "k"}`, `{"key": "k", "value": "` + strings.Repeat("x", kv.MaxValueBytes) + `"}`} {
		_, err := s.Check(t.Context(), "put", json.RawMessage(args), hostfns.CallOptions{})
		var ce *hostfns.ConnectorError
		if !errors.As(err, &ce) || ce.Code != hostfns.CodeInvalidArgs {
			t.Errorf("check put %.40s: %v, want invalid_args", args, err)
		}
	}
}

// A store that cannot answer is an error, never "not performed".
func TestCheckOnAClosedStoreIsAnError(t *testing.T) {
	t.Parallel()
	s := open(t)
	s.Close()
	for _, args := range []string{`{"key": "k", "value": 1}`, `{"key": "k"}`} {
		action := map[bool]string{true: "put", false: "delete"}[strings.Contains(args, "value")]
		res, err := s.Check(t.Context(), action, json.RawMessage(args), hostfns.CallOptions{})
		var ce *hostfns.ConnectorError
		if !errors.As(err, &ce) || ce.Code != hostfns.CodeUnavailable {
			t.Errorf("check %s on a closed store = %+v, %v; want an unavailable error", action, res, err)
		}
	}
}

func sameJSON(got json.RawMessage, want string) bool {
	if want == "" {
		return got == nil
	}
	var x, y any
	if json.Unmarshal(got, &x) != nil || json.Unmarshal([]byte(want), &y) != nil {
		return false
	}
	return cmp.Equal(x, y)
}

// TestOpenConcurrentlyOnANewFile: runs sharing a home open one new kv.db
// at the same moment; every open succeeds and sees the others' writes.
func TestOpenConcurrentlyOnANewFile(t *testing.T) {
	t.Parallel()
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "kv.db")
		const n = 8
		var wg sync.WaitGroup
		stores := make([]*kv.Store, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stores[i], errs[i] = kv.Open(path)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: open %d: %v", round, i, err)
			}
		}
		ctx := context.Background()
		for i, s := range stores {
			if _, err := s.Call(ctx, "put", []byte(fmt.Sprintf(`{"key": "k%d", "value": %d}`, i, i)), hostfns.CallOptions{Capability: "c"}); err != nil {
				t.Fatalf("round %d: put through store %d: %v", round, i, err)
			}
		}
		out, err := stores[0].Call(ctx, "get", []byte(fmt.Sprintf(`{"key": "k%d"}`, n-1)), hostfns.CallOptions{Capability: "c"})
		if err != nil || !strings.Contains(string(out.Result), `"found":true`) {
			t.Errorf("round %d: store 0 does not see store %d's write: %s %v", round, n-1, out.Result, err)
		}
		for _, s := range stores {
			s.Close()
		}
	}
}
