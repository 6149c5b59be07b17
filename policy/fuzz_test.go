package policy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enact-run/enact/policy"
	"github.com/google/go-cmp/cmp"
)

// FuzzDecide decodes an Input from JSON (as the gate does) and decides it
// against one of the conformance policies: Decide must not panic, must be
// deterministic, and must agree with itself on Allowed. The corpus is
// seeded with every conformance case. which selects the policy (low bits)
// and whether numbers decode as json.Number (high bit).
func FuzzDecide(f *testing.F) {
	conf := loadConformance(f)
	for i, c := range conf {
		for _, in := range caseInputs(f, c.cases) {
			data, err := json.Marshal(in)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), data)
			f.Add(uint8(i)|0x80, data)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		p := conf[int(which&0x7f)%len(conf)].policy
		var in policy.Input
		dec := json.NewDecoder(bytes.NewReader(data))
		if which&0x80 != 0 {
			dec.UseNumber()
		}
		if err := dec.Decode(&in); err != nil {
			return
		}
		first := policy.Decide(p, in)
		second := policy.Decide(p, in)
		if diff := cmp.Diff(first, second); diff != "" {
			t.Fatalf("Decide is not deterministic (-first +second):\n%s", diff)
		}
		allowed := true
		for _, r := range first.Results {
			if r.Policy == "" || r.Reason == "" {
				t.Errorf("result without policy or reason: %+v", r)
			}
			if strings.HasPrefix(r.Reason, "Internal error") {
				t.Errorf("Decide panicked: %s", r.Reason)
			}
			allowed = allowed && r.Passed
		}
		if first.Allowed != allowed {
			t.Errorf("Allowed = %t, but the results say %t", first.Allowed, allowed)
		}
		if in.Action != nil && (len(first.Results) == 0 || first.Results[0].Policy != "allowlist") {
			t.Errorf("action-level decision without the allowlist first: %+v", first.Results)
		}
		if diff := cmp.Diff(policy.Requirements(p, in), policy.Requirements(p, in)); diff != "" {
			t.Fatalf("Requirements is not deterministic:\n%s", diff)
		}
	})
}

// FuzzLoad checks that the policy file decoder never panics, fails the
// same way twice, and that whatever it accepts can decide.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/cases/*.policy.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "version: 1\n", "version: 1\nallow: [\"*\"]\n", "- a\n", "version: 1\nrules:\n  - name: r\n    deny_if: x\n    reason: y\n",
		"version: 1\nallow: &a [x.y]\nsecrets: *a\n", "version: 1\npolicies:\n  - use: within_maintenance_window\n    with: {start_utc: \"23:59\", end_utc: \"00:00\"}\n",
		"a: &a [*a, *a]\n", "version: 1\nrules:\n  - name: r\n    deny_if: '[1,2,3].map(x, [x, x].map(y, y)) == []'\n    reason: y\n",
		"version: 1\nallow: [\"*\"]\npolicies:\n  - use: require_approval\n    with: {when: 'action.args.branch == \"main\"', approvals: 2, expires_after: 1h30m}\n",
		"version: 1\npolicies:\n  - use: require_approval\n    run: true\n",
		"version: 1\nrules:\n  - name: r\n    require_approval_if: \"true\"\n    approval: {approver_roles: [a], allow_self_approval: true}\n",
		"version: 1\nnotify: {webhook_url_env: HOOK, console_url: \"https://x.example/\"}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Load(data, "fuzz.yaml")
		_, err2 := policy.Load(data, "fuzz.yaml")
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("Load is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if !strings.HasPrefix(p.Digest(), "sha256:") {
			t.Errorf("Digest = %q", p.Digest())
		}
		for _, in := range []policy.Input{{}, {Action: &policy.Action{ID: "github.push_commit", Args: map[string]any{"branch": "main"}}}} {
			for _, r := range policy.Decide(p, in).Results {
				if strings.HasPrefix(r.Reason, "Internal error") {
					t.Errorf("Decide panicked: %s", r.Reason)
				}
			}
		}
	})
}
