package kv_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/kv"
)

// callAs calls the store as a run of capability would.
func callAs(t *testing.T, s *kv.Store, capability, action, args string) map[string]any {
	t.Helper()
	out, err := s.Call(context.Background(), action, json.RawMessage(args), hostfns.CallOptions{Capability: capability, IdempotencyKey: "k:1"})
	if err != nil {
		t.Fatalf("%s %s %s: %v", capability, action, args, err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Result, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// One capability's keys are out of another's reach, whatever the action
// and however the namespace is spelt.
func TestHostileKVAcrossCapabilities(t *testing.T) {
	t.Parallel()
	s := open(t)
	// "" and "default" are one namespace: each round uses a key of its
	// own.
	for i, ns := range []string{"", `"namespace": "default", `, `"namespace": "team", `} {
		key := fmt.Sprintf("secret-%d", i)
		list := `{` + ns + `"prefix": "` + key + `"}`
		ns := ns + `"key": "` + key + `", `
		callAs(t, s, "acme/owner", "put", `{`+ns+`"value": "v1"}`)

		if got := callAs(t, s, "acme/thief", "get", `{`+strings.TrimSuffix(ns, ", ")+`}`); got["found"] != false {
			t.Errorf("ns %q: another capability reads the key: %v", ns, got)
		}
		if got := callAs(t, s, "acme/thief", "list", list); fmt.Sprint(got["items"]) != "[]" {
			t.Errorf("ns %q: another capability lists the keys: %v", ns, got)
		}
		if got := callAs(t, s, "acme/thief", "delete", `{`+strings.TrimSuffix(ns, ", ")+`}`); got["deleted"] != false {
			t.Errorf("ns %q: another capability deletes the key: %v", ns, got)
		}
		// A write of its own lands in its own namespace, at version 1.
		if got := callAs(t, s, "acme/thief", "put", `{`+ns+`"value": "forged"}`); fmt.Sprint(got["version"]) != "1" {
			t.Errorf("ns %q: another capability's put: %v", ns, got)
		}
		if got := callAs(t, s, "acme/owner", "get", `{`+strings.TrimSuffix(ns, ", ")+`}`); got["value"] != "v1" || fmt.Sprint(got["version"]) != "1" {
			t.Errorf("ns %q: the owner's key changed: %v", ns, got)
		}
		// Check (recovery) looks in the capability's own namespace too.
		res, err := s.Check(context.Background(), "put", json.RawMessage(`{`+ns+`"value": "v1"}`), hostfns.CallOptions{Capability: "acme/thief"})
		if err != nil || res.Performed {
			t.Errorf("ns %q: Check as another capability finds the owner's value: %+v %v", ns, res, err)
		}
	}
	// A capability id spelt to look like another's namespace does not
	// reach it: "acme/owner/default" is no namespace of "acme/owner".
	if got := callAs(t, s, "acme/owner/default", "get", `{"key": "secret"}`); got["found"] != false {
		t.Errorf("a capability id with the owner's id as prefix reads the key: %v", got)
	}
	// A namespace with '/' is refused when the gate's schema is bypassed.
	var ce *hostfns.ConnectorError
	if _, err := s.Call(context.Background(), "get", json.RawMessage(`{"namespace": "x/default", "key": "secret"}`), hostfns.CallOptions{Capability: "acme"}); !errors.As(err, &ce) || ce.Code != hostfns.CodeInvalidArgs {
		t.Errorf("namespace with a slash: %v", err)
	}
}

// A shared namespace is shared by the capabilities the operator lists,
// and by no other; the capabilities' other namespaces stay their own.
func TestHostileKVSharedNamespace(t *testing.T) {
	t.Parallel()
	base := open(t)
	s := base.WithShared([]kv.Share{{Namespace: "team", Capabilities: []string{"acme/a", "acme/b"}}})
	callAs(t, s, "acme/a", "put", `{"namespace": "team", "key": "cursor", "value": 7}`)
	if got := callAs(t, s, "acme/b", "get", `{"namespace": "team", "key": "cursor"}`); got["found"] != true || fmt.Sprint(got["value"]) != "7" {
		t.Errorf("acme/b does not see the shared key: %v", got)
	}
	if got := callAs(t, s, "acme/b", "put", `{"namespace": "team", "key": "cursor", "value": 8}`); fmt.Sprint(got["version"]) != "2" {
		t.Errorf("acme/b's write to the shared key: %v", got)
	}
	if got := callAs(t, s, "acme/c", "get", `{"namespace": "team", "key": "cursor"}`); got["found"] != false {
		t.Errorf("an unlisted capability reads the shared namespace: %v", got)
	}
	callAs(t, s, "acme/a", "put", `{"key": "private", "value": 1}`)
	if got := callAs(t, s, "acme/b", "get", `{"key": "private"}`); got["found"] != false {
		t.Errorf("sharing team shares default too: %v", got)
	}
	// The store without the share: team is each capability's own again.
	if got := callAs(t, base, "acme/b", "get", `{"namespace": "team", "key": "cursor"}`); got["found"] != false {
		t.Errorf("without a share, acme/b reads the shared key: %v", got)
	}
}
