package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/policy"
	"github.com/google/go-cmp/cmp"
)

func TestVarsSection(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, "version: 1\nvars:\n  Notify:\n    API_KEY: s3cr3t-value\n    RETRIES: 5\n    ENABLED: true\n")
	if diff := cmp.Diff(map[string]any{"API_KEY": "s3cr3t-value", "RETRIES": int64(5), "ENABLED": true}, p.Vars("Notify")); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
	if p.Vars("Other") != nil {
		t.Error("vars of a capability the file does not name")
	}
	for src, want := range map[string]string{
		"version: 1\nvars:\n  Notify:\n    BAD-NAME: x\n": `vars.Notify: "BAD-NAME" is not an environment variable name`,
		"version: 1\nvars:\n  Notify: [a]\n":              "vars.Notify must be a mapping",
		"version: 1\nvars: [a]\n":                         "vars must be a mapping",
	} {
		_, err := policy.Load([]byte(src), "test.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

// TestNoSecretInArgs checks the built-in that is on by default: an action
// whose arguments carry a variable's value is denied, without the value in
// the reason, unless the policy allows that variable for that action.
func TestNoSecretInArgs(t *testing.T) {
	t.Parallel()
	secret := "canary-5d1e-value"
	input := func(action string, args map[string]any) policy.Input {
		return policy.Input{
			Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Actor: policy.Actor{Email: "a@b.c"},
			Action:     &policy.Action{ID: action, Args: args},
			SecretVars: map[string]string{"API_KEY": secret, "REGION": "eu"},
		}
	}
	implicit := mustLoad(t, "version: 1\nallow: [kv.*, http.post]\n")
	for _, tc := range []struct {
		name    string
		p       *policy.Policy
		in      policy.Input
		allowed bool
		reason  string
	}{
		{"clean args", implicit, input("kv.put", map[string]any{"key": "k", "value": "v"}), true, ""},
		{"whole value", implicit, input("kv.put", map[string]any{"key": "k", "value": secret}), false, "API_KEY (at /value)"},
		{"inside text", implicit, input("kv.put", map[string]any{"key": "k", "value": map[string]any{"list": []any{"x", "Bearer " + secret}}}), false, "API_KEY (at /value/list/1)"},
		{"in a key", implicit, input("kv.put", map[string]any{"key": "k", "value": map[string]any{secret: 1}}), false, "API_KEY (at /value (a member's name))"},
		{"short value must be whole", implicit, input("kv.put", map[string]any{"key": "europe", "value": "eu"}), false, "REGION (at /value)"},
		{"short value inside text", implicit, input("kv.put", map[string]any{"key": "europe", "value": "neutral"}), true, ""},
		{"allowed for the action", mustLoad(t, "version: 1\nallow: [kv.*, http.post]\npolicies:\n  - use: no_secret_in_args\n    with:\n      allow: {API_KEY: [http.*]}\n"),
			input("http.post", map[string]any{"url": "https://hooks.example/" + secret}), true, ""},
		{"allowed elsewhere only", mustLoad(t, "version: 1\nallow: [kv.*, http.post]\npolicies:\n  - use: no_secret_in_args\n    with:\n      allow: {API_KEY: [http.*]}\n"),
			input("kv.put", map[string]any{"key": "k", "value": secret}), false, "API_KEY (at /value)"},
	} {
		dec := policy.Decide(tc.p, tc.in)
		if dec.Allowed != tc.allowed {
			t.Errorf("%s: allowed %v, want %v (%v)", tc.name, dec.Allowed, tc.allowed, dec.Results)
			continue
		}
		var guard *policy.Result
		for i, r := range dec.Results {
			if r.Policy == "no_secret_in_args" {
				guard = &dec.Results[i]
			}
		}
		if guard == nil {
			t.Errorf("%s: no no_secret_in_args result in %v", tc.name, dec.Results)
			continue
		}
		if !strings.Contains(guard.Reason, tc.reason) {
			t.Errorf("%s: reason %q lacks %q", tc.name, guard.Reason, tc.reason)
		}
		if !tc.allowed && strings.Contains(guard.Reason, secret) {
			t.Errorf("%s: the reason shows the value: %q", tc.name, guard.Reason)
		}
	}
	// Runs without variables get no result from it: existing decisions are unchanged.
	dec := policy.Decide(implicit, policy.Input{Action: &policy.Action{ID: "kv.put", Args: map[string]any{"key": "k"}}})
	if len(dec.Results) != 1 || dec.Results[0].Policy != "allowlist" {
		t.Errorf("without variables: %v", dec.Results)
	}
}
