package kv_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"

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
		},
		Reads: []connectortest.Call{
			{Action: "get", Args: `{"key": "a"}`},
			{Action: "list", Args: `{"prefix": "a"}`},
		},
	})
}

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
