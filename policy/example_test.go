package policy_test

import (
	"fmt"
	"time"

	"github.com/enact-run/enact/policy"
)

func Example() {
	p, err := policy.Load([]byte(`version: 1
allow: [github.*]
policies:
  - use: no_push_to_main
  - use: require_branch_prefix
    with: {prefix: agent/}
rules:
  - name: office_hours
    allow_if: time.getHours() >= 6 && time.getHours() < 22
    reason: Agents push between 06:00 and 22:00 UTC
`), "policy.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	dec := policy.Decide(p, policy.Input{
		Time:   time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC),
		Actor:  policy.Actor{Email: "pr-bot@acme.com"},
		Action: &policy.Action{ID: "github.push_commit", Args: map[string]any{"branch": "main", "files": []any{"README.md"}}},
	})
	fmt.Println("allowed:", dec.Allowed)
	for _, r := range dec.Results {
		fmt.Printf("%-22s %-5t %s\n", r.Policy, r.Passed, r.Reason)
	}
	// Output:
	// allowed: false
	// allowlist              true  github.push_commit is allowed by "github.*"
	// no_push_to_main        false github.push_commit writes to protected branch main (args.branch = "main")
	// require_branch_prefix  false Branch main does not start with agent/
	// office_hours           false Agents push between 06:00 and 22:00 UTC
}

func ExampleRequirements() {
	p, _ := policy.Load([]byte("version: 1\nallow: [hubspot.*]\npolicies:\n  - use: no_duplicate_contacts\n"), "policy.yaml")
	in := policy.Input{Action: &policy.Action{ID: "hubspot.create_contact", Args: map[string]any{"email": "Jane@Acme.com"}}}
	for _, req := range policy.Requirements(p, in) {
		fmt.Printf("%s <- %s %v\n", req.Name, req.Action, req.Args)
	}
	// The gate performs the lookup; HubSpot found nothing.
	in.Facts = map[string]any{"hubspot.contact": nil}
	fmt.Println(policy.Decide(p, in).Results[1].Reason)
	// Output:
	// hubspot.contact <- hubspot.get_contact map[email:jane@acme.com]
	// No contact with email jane@acme.com exists
}

func ExampleRunCases() {
	p, _ := policy.Load([]byte("version: 1\nallow: [github.*]\npolicies:\n  - use: no_push_to_main\n"), "policy.yaml")
	report, err := policy.RunCases(p, []byte(`
- name: pushing to main is blocked
  input:
    action: {id: github.push_commit, args: {branch: main}}
  expect:
    allowed: false
    results: [{policy: no_push_to_main, passed: false}]
`), "cases.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(report)
	fmt.Println("ok:", report.OK())
	// Output:
	// PASS cases.yaml:2: pushing to main is blocked
	// 1 cases: 1 passed, 0 failed
	// ok: true
}

func ExampleDecision_Held() {
	p, _ := policy.Load([]byte(`version: 1
allow: [github.*]
policies:
  - use: require_approval
    actions: [github.merge_pr]
    with:
      when: 'action.args.base == "main"'
      approver_roles: [maintainer]
`), "policy.yaml")
	for _, base := range []string{"main", "release"} {
		dec := policy.Decide(p, policy.Input{Actor: policy.Actor{Email: "pr-bot@acme.com"},
			Action: &policy.Action{ID: "github.merge_pr", Args: map[string]any{"number": 7, "base": base}}})
		fmt.Printf("into %s: allowed %t, held %t: %s\n", base, dec.Allowed, dec.Held(), dec.Results[1].Reason)
		for _, r := range dec.Approvals() {
			fmt.Printf("  %s asks for %d of %v within %s\n", r.Policy, r.Approval.Count, r.Approval.Roles, r.Approval.Expiry)
		}
	}
	// Output:
	// into main: allowed false, held true: needs 1 approval from role maintainer (expires after 24h)
	//   require_approval asks for 1 of [maintainer] within 24h0m0s
	// into release: allowed true, held false: no approval needed: when is false: action.args.base == "main"
}
