package policy_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/policy"
)

func TestKVShared(t *testing.T) {
	t.Parallel()
	p, err := policy.Load([]byte(`version: 1
kv:
  shared:
    - namespace: team
      capabilities: [acme/a, acme/b]
    - {namespace: cursors.v2, capabilities: [acme/c]}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []policy.KVShare{{Namespace: "team", Capabilities: []string{"acme/a", "acme/b"}}, {Namespace: "cursors.v2", Capabilities: []string{"acme/c"}}}
	got := p.KVShared()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("KVShared (-want +got):\n%s", diff)
	}
	got[0].Capabilities[0] = "evil/x" // a copy: the policy is immutable
	if p.KVShared()[0].Capabilities[0] != "acme/a" {
		t.Error("KVShared returned the policy's own slice")
	}
	if (*policy.Policy)(nil).KVShared() != nil {
		t.Error("a nil policy shares")
	}
}

func TestKVSharedErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, src, want string }{
		{"unknown field", "version: 1\nkv:\n  share: []\n", `test.yaml:3: kv: unknown field "share" (known fields: shared)`},
		{"bad namespace", "version: 1\nkv:\n  shared:\n    - {namespace: a/b, capabilities: [x]}\n",
			`test.yaml:4: kv.shared[0].namespace: "a/b" is not a kv namespace (1 to 64 letters, digits, _ . -)`},
		{"no capabilities", "version: 1\nkv:\n  shared:\n    - {namespace: a, capabilities: []}\n", `test.yaml:4: kv.shared[0].capabilities: list the capability ids that share "a"`},
		{"glob", "version: 1\nkv:\n  shared:\n    - {namespace: a, capabilities: [\"*\"]}\n",
			`test.yaml:4: kv.shared[0].capabilities[0]: "*" is not a capability id (no globs: name each capability)`},
		{"twice", "version: 1\nkv:\n  shared:\n    - {namespace: a, capabilities: [x]}\n    - {namespace: a, capabilities: [y]}\n",
			`test.yaml:5: kv.shared[1].namespace: "a" is already shared above; list every capability in one entry`},
		{"missing namespace", "version: 1\nkv:\n  shared:\n    - {capabilities: [x]}\n", `test.yaml:4: kv.shared[0]: namespace and capabilities are required`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := policy.Load([]byte(tt.src), "test.yaml")
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuditor(t *testing.T) {
	t.Parallel()
	p, err := policy.Load([]byte(`version: 1
actors:
  - {email: audit@acme.com, roles: [auditor]}
  - {email: "*@ops.acme.com", roles: [auditor, admin]}
  - {email: dev@acme.com, roles: [admin]}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for email, want := range map[string]bool{
		"audit@acme.com": true, " AUDIT@acme.com": true, "sre@ops.acme.com": true,
		"dev@acme.com": false, "audit@acme.com.evil": false, "": false,
	} {
		if got := p.Auditor(email); got != want {
			t.Errorf("Auditor(%q) = %v", email, got)
		}
	}
	if (*policy.Policy)(nil).Auditor("audit@acme.com") {
		t.Error("a nil policy makes auditors")
	}
}
