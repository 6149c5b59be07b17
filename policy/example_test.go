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
