package policy_test

import (
	"testing"
	"time"

	"github.com/enact-run/enact/policy"
)

const benchPolicy = `version: 1
actors:
  - {email: "*@bots.acme.com", roles: [agent]}
allow: [github.*]
policies:
  - use: require_actor_role
    with: {allowed_roles: [agent]}
    run: false
  - use: no_push_to_main
  - use: require_branch_prefix
    with: {prefix: agent/}
  - use: max_files_per_commit
    with: {n: 20}
  - use: no_push_during_deploy_freeze
    with: {start_utc: "2026-12-20T00:00:00Z", end_utc: "2027-01-04T00:00:00Z"}
  - use: contractor_cannot_write_pii
`

const benchRules = `rules:
  - name: small_commits_from_agents
    deny_if: size(action.args.files) > 10 && "agent" in actor.roles
    reason: agents commit at most 10 files
  - name: office_hours
    when: action.id == "github.push_commit"
    allow_if: time.getHours() >= 6 && time.getHours() < 22
    reason: pushes happen between 06:00 and 22:00 UTC
`

const benchThirdRule = `  - name: repo_allowlist
    allow_if: action.args.repo in ["acme/app", "acme/web"]
    reason: only acme/app and acme/web
`

func benchInput() policy.Input {
	return policy.Input{
		Time:       time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Actor:      policy.Actor{Email: "pr-bot@bots.acme.com"},
		Capability: policy.CapabilityRef{ID: "acme/pr", Version: "1.0.0", Digest: "sha256:00"},
		Inputs:     map[string]any{"repo": "acme/app", "title": "Fix login"},
		Action: &policy.Action{ID: "github.push_commit", Args: map[string]any{
			"repo": "acme/app", "branch": "agent/fix-login", "message": "Fix login",
			"files": []any{map[string]any{"path": "login.go", "content": "package login"}, map[string]any{"path": "login_test.go", "content": "package login"}},
		}},
		// What the gate measures before deciding (max_files_per_commit
		// counts the files the commit really changes).
		Facts: map[string]any{"github.commit_changes": map[string]any{"count": 2}},
	}
}

// BenchmarkDecide measures an action-level decision: the allowlist, six
// built-ins and, in the sub-benchmarks, two or three CEL rules.
func BenchmarkDecide(b *testing.B) {
	for _, bc := range []struct{ name, src string }{
		{"builtins", benchPolicy},
		{"builtins+2rules", benchPolicy + benchRules},
		{"builtins+3rules", benchPolicy + benchRules + benchThirdRule},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := mustLoad(b, bc.src)
			in := benchInput()
			if dec := policy.Decide(p, in); !dec.Allowed {
				b.Fatalf("benchmark input denied: %+v", dec.Failed())
			}
			b.ReportAllocs()
			for b.Loop() {
				policy.Decide(p, in)
			}
		})
	}
}

// BenchmarkLoad measures loading and compiling a policy file with rules.
func BenchmarkLoad(b *testing.B) {
	src := []byte(benchPolicy + benchRules + benchThirdRule)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := policy.Load(src, "bench.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNoSecretInArgs measures the action-level decision of a run with
// environment variables: the default no_secret_in_args walks the
// arguments for each variable's value.
func BenchmarkNoSecretInArgs(b *testing.B) {
	p, err := policy.Load([]byte("version: 1\nallow: [kv.*]\n"), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	args := map[string]any{"key": "reports/2026/12", "value": map[string]any{"rows": []any{"a", "b", "c", "d"}, "note": "nothing to see here, a longer text of some length"}}
	in := policy.Input{
		Time: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), Actor: policy.Actor{Email: "a@acme.com"},
		Action:     &policy.Action{ID: "kv.put", Args: args},
		SecretVars: map[string]string{"API_KEY": "sk-0123456789abcdef", "REGION": "eu", "WEBHOOK": "https://hooks.example/T0/B0/XYZ"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if !policy.Decide(p, in).Allowed {
			b.Fatal("denied")
		}
	}
}
