package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/policy"
	"github.com/google/go-cmp/cmp"
)

// TestApprovalLoadErrors covers the load errors of require_approval, of
// rules with require_approval_if and approval:, and of the notify section:
// each names the line and the field.
func TestApprovalLoadErrors(t *testing.T) {
	t.Parallel()
	const ra = "version: 1\npolicies:\n  - use: require_approval\n"
	const rule = "version: 1\nrules:\n  - name: r\n"
	tests := []struct {
		name, src, want string
	}{
		{"unknown with key", ra + "    with: {approvals: 1, approver: [x]}\n",
			"test.yaml:4: policies[0] (require_approval).with: unknown field \"approver\" (known fields: when, approver_roles, approvals, expires_after, allow_self_approval)"},
		{"approvals zero", ra + "    with: {approvals: 0}\n",
			"test.yaml:4: policies[0] (require_approval).with.approvals must be between 1 and 10, not 0"},
		{"approvals eleven", ra + "    with:\n      approvals: 11\n",
			"test.yaml:5: policies[0] (require_approval).with.approvals must be between 1 and 10, not 11"},
		{"approvals type", ra + "    with: {approvals: two}\n",
			"test.yaml:4: policies[0] (require_approval).with.approvals must be an integer, not a string"},
		{"expiry too short", ra + "    with: {expires_after: 30s}\n",
			"test.yaml:4: policies[0] (require_approval).with.expires_after must be between 1m and 720h, not 30s"},
		{"expiry too long", ra + "    with: {expires_after: 721h}\n",
			"test.yaml:4: policies[0] (require_approval).with.expires_after must be between 1m and 720h, not 721h"},
		{"expiry number", ra + "    with: {expires_after: 3600}\n",
			"test.yaml:4: policies[0] (require_approval).with.expires_after must be a duration such as 90m or 24h, not an integer"},
		{"expiry text", ra + "    with: {expires_after: tomorrow}\n",
			"test.yaml:4: policies[0] (require_approval).with.expires_after: \"tomorrow\" is not a duration such as 90m or 24h"},
		{"self approval type", ra + "    with: {allow_self_approval: \"yes\"}\n",
			"test.yaml:4: policies[0] (require_approval).with.allow_self_approval must be true or false, not a string"},
		{"roles type", ra + "    with: {approver_roles: maintainer}\n",
			"test.yaml:4: policies[0] (require_approval).with.approver_roles must be a list, not a string"},
		{"when syntax", ra + "    with:\n      when: action.args.base ==\n",
			"test.yaml:5: policies[0] (require_approval).with.when: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER} (expression column 20)"},
		{"when misspelt", ra + "    with:\n      when: actor.emial == \"a@b.c\"\n",
			"test.yaml:5: policies[0] (require_approval).with.when: undefined field 'emial' (expression column 6)"},
		{"when not boolean", ra + "    with: {when: size(action.args)}\n",
			"test.yaml:4: policies[0] (require_approval).with.when must be a boolean expression, not int"},
		{"when empty", ra + "    with: {when: \"\"}\n",
			"test.yaml:4: policies[0] (require_approval).with.when must not be empty"},
		{"run level", ra + "    run: true\n",
			"test.yaml:4: policies[0] (require_approval): run: true is not supported; an approval is bound to one action and its arguments, so require_approval applies at action level only"},
		{"rule two outcomes", rule + "    require_approval_if: \"true\"\n    deny_if: \"false\"\n    reason: x\n",
			"test.yaml:5: rule \"r\": give one of deny_if, allow_if and require_approval_if, not both require_approval_if and deny_if"},
		{"rule no outcome", rule + "    reason: x\n",
			"test.yaml:3: rule \"r\": deny_if, allow_if or require_approval_if is required"},
		{"rule run level", rule + "    require_approval_if: \"true\"\n    run: true\n",
			"test.yaml:5: rule \"r\": require_approval_if applies at action level only (an approval is bound to one action and its arguments); remove run: true"},
		{"approval with deny_if", rule + "    deny_if: \"true\"\n    reason: x\n    approval: {approvals: 2}\n",
			"test.yaml:6: rule \"r\": approval goes with require_approval_if, not deny_if"},
		{"approval unknown key", rule + "    require_approval_if: \"true\"\n    approval: {when: \"true\"}\n",
			"test.yaml:5: rule \"r\".approval: unknown field \"when\" (known fields: approver_roles, approvals, expires_after, allow_self_approval)"},
		{"approval range", rule + "    require_approval_if: \"true\"\n    approval:\n      approvals: 11\n",
			"test.yaml:6: rule \"r\".approval.approvals must be between 1 and 10, not 11"},
		{"approval expiry", rule + "    require_approval_if: \"true\"\n    approval: {expires_after: 1h1x}\n",
			"test.yaml:5: rule \"r\".approval.expires_after: \"1h1x\" is not a duration such as 90m or 24h"},
		{"approval not a mapping", rule + "    require_approval_if: \"true\"\n    approval: [finance]\n",
			"test.yaml:5: rule \"r\".approval must be a mapping, not a list"},
		{"require_approval_if misspelt", rule + "    require_approval_if: action.argz.amount > 3\n",
			"test.yaml:4: rule \"r\": require_approval_if: undefined field 'argz' (expression column 7)"},
		{"deny rule still needs a reason", rule + "    deny_if: \"true\"\n",
			"test.yaml:3: rule \"r\": reason is required (the message of a denial)"},
		{"notify unknown key", "version: 1\nnotify:\n  webhook_url_env: HOOK\n  channel: '#ops'\n",
			"test.yaml:4: notify: unknown field \"channel\" (known fields: webhook_url_env, console_url)"},
		{"notify without env", "version: 1\nnotify:\n  console_url: https://enact.example.com\n",
			"test.yaml:3: notify: webhook_url_env is required (the environment variable that holds the webhook's URL)"},
		{"notify url as env", "version: 1\nnotify:\n  webhook_url_env: https://hooks.slack.com/services/T0/B0/SECRET\n",
			"test.yaml:3: notify.webhook_url_env must name an environment variable (letters, digits and _, not starting with a digit, at most 128); the URL itself is a secret and stays in that variable"},
		{"notify env digit", "version: 1\nnotify: {webhook_url_env: 1HOOK}\n",
			"test.yaml:2: notify.webhook_url_env must name an environment variable (letters, digits and _, not starting with a digit, at most 128); the URL itself is a secret and stays in that variable"},
		{"notify not a mapping", "version: 1\nnotify: HOOK\n", "test.yaml:2: notify must be a mapping, not a string"},
		{"console relative", "version: 1\nnotify:\n  webhook_url_env: HOOK\n  console_url: enact.example.com\n",
			"test.yaml:4: notify.console_url: \"enact.example.com\" is not an absolute http or https URL (https://enact.example.com)"},
		{"console scheme", "version: 1\nnotify:\n  webhook_url_env: HOOK\n  console_url: ftp://enact.example.com\n",
			"test.yaml:4: notify.console_url: \"ftp://enact.example.com\" is not an absolute http or https URL (https://enact.example.com)"},
		{"console query", "version: 1\nnotify:\n  webhook_url_env: HOOK\n  console_url: https://enact.example.com/?a=1\n",
			"test.yaml:4: notify.console_url: \"https://enact.example.com/?a=1\" has a query or fragment; give the console's base URL (links are <console_url>/ui/approvals/<id>)"},
		{"console fragment", "version: 1\nnotify:\n  webhook_url_env: HOOK\n  console_url: \"https://enact.example.com/#x\"\n",
			"test.yaml:4: notify.console_url: \"https://enact.example.com/#x\" has a query or fragment; give the console's base URL (links are <console_url>/ui/approvals/<id>)"},
		{"console user", "version: 1\nnotify:\n  webhook_url_env: HOOK\n  console_url: https://me:pw@enact.example.com\n",
			"test.yaml:4: notify.console_url: the URL must not carry a user name or password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := policy.Load([]byte(tt.src), "test.yaml")
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error quotes the webhook URL: %v", err)
			}
		})
	}
}

const approvalPolicy = `version: 1
actors:
  - {email: "*@acme.com", roles: [employee]}
  - {email: mia@acme.com, roles: [maintainer]}
allow: [github.*, postgres.*]
policies:
  - use: require_approval
    name: maintainer_merges
    actions: [github.merge_pr]
    with:
      when: 'action.args.base == "main"'
      approver_roles: [maintainer]
  - use: require_approval
    name: two_for_deletes
    actions: [postgres.delete_rows]
    with:
      approver_roles: [dba, maintainer, dba]
      approvals: 2
      expires_after: 90m
      allow_self_approval: true
  - use: require_approval
    name: anyone_for_drops
    actions: [postgres.drop_*]
rules:
  - name: no_wip
    actions: [github.merge_pr]
    deny_if: action.args.?title.orValue("").startsWith("WIP")
    reason: Work in progress is not merged
`

func TestRequireApprovalDecide(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, approvalPolicy)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	decide := func(id string, args map[string]any) policy.Decision {
		return policy.Decide(p, policy.Input{Time: now, Actor: policy.Actor{Email: "bot@acme.com"}, Action: &policy.Action{ID: id, Args: args}})
	}
	allow := func(id string) policy.Result {
		return policy.Result{Policy: "allowlist", Passed: true, Reason: id + " is allowed by \"" + id[:strings.IndexByte(id, '.')] + ".*\""}
	}
	wipPass := policy.Result{Policy: "no_wip", Passed: true, Reason: `deny_if is false: action.args.?title.orValue("").startsWith("WIP")`}
	maintainer := &policy.Approval{Roles: []string{"maintainer"}, Count: 1, Expiry: 24 * time.Hour}
	tests := []struct {
		name string
		id   string
		args map[string]any
		want policy.Decision
		held bool
	}{
		{"held: merge into main", "github.merge_pr", map[string]any{"number": 7, "base": "main"}, policy.Decision{Results: []policy.Result{
			allow("github.merge_pr"),
			{Policy: "maintainer_merges", Reason: "needs 1 approval from role maintainer (expires after 24h)", Approval: maintainer},
			wipPass,
		}}, true},
		{"not held: when is false", "github.merge_pr", map[string]any{"number": 7, "base": "release"}, policy.Decision{Allowed: true, Results: []policy.Result{
			allow("github.merge_pr"),
			{Policy: "maintainer_merges", Passed: true, Reason: `no approval needed: when is false: action.args.base == "main"`},
			wipPass,
		}}, false},
		{"denied: another policy fails too", "github.merge_pr", map[string]any{"base": "main", "title": "WIP: x"}, policy.Decision{Results: []policy.Result{
			allow("github.merge_pr"),
			{Policy: "maintainer_merges", Reason: "needs 1 approval from role maintainer (expires after 24h)", Approval: maintainer},
			{Policy: "no_wip", Reason: "Work in progress is not merged"},
		}}, false},
		{"when cannot be evaluated: a plain denial", "github.merge_pr", map[string]any{"number": 7}, policy.Decision{Results: []policy.Result{
			allow("github.merge_pr"),
			{Policy: "maintainer_merges", Reason: "when could not be evaluated (no such key: base); failing closed"},
			wipPass,
		}}, false},
		{"out of scope", "github.create_branch", map[string]any{"branch": "agent/x"}, policy.Decision{Allowed: true, Results: []policy.Result{
			allow("github.create_branch"),
		}}, false},
		{"two approvals, self-approval allowed", "postgres.delete_rows", map[string]any{"table": "t", "where": map[string]any{"id": 1}}, policy.Decision{Results: []policy.Result{
			allow("postgres.delete_rows"),
			{Policy: "two_for_deletes", Reason: "needs 2 approvals from roles dba, maintainer (expires after 1h30m; self-approval allowed)",
				Approval: &policy.Approval{Roles: []string{"dba", "maintainer"}, Count: 2, AllowSelfApproval: true, Expiry: 90 * time.Minute}},
		}}, true},
		{"any role, reads held too", "postgres.drop_table", nil, policy.Decision{Results: []policy.Result{
			allow("postgres.drop_table"),
			{Policy: "anyone_for_drops", Reason: "needs 1 approval from any actor the policy file gives a role (expires after 24h)",
				Approval: &policy.Approval{Count: 1, Expiry: 24 * time.Hour}},
		}}, true},
		{"not allowed: not held", "hubspot.create_contact", nil, policy.Decision{Results: []policy.Result{
			{Policy: "allowlist", Reason: "hubspot.create_contact is not in the policy file's allow list"},
		}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := decide(tt.id, tt.args)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			if got.Held() != tt.held {
				t.Errorf("Held() = %t, want %t", got.Held(), tt.held)
			}
			var wantApprovals []policy.Result
			for _, r := range tt.want.Results {
				if !r.Passed && r.Approval != nil {
					wantApprovals = append(wantApprovals, r)
				}
			}
			if diff := cmp.Diff(wantApprovals, got.Approvals()); diff != "" {
				t.Errorf("Approvals (-want +got):\n%s", diff)
			}
		})
	}

	// Approvals are action level only: a run-level decision lists none.
	run := policy.Decide(p, policy.Input{Time: now, Actor: policy.Actor{Email: "bot@acme.com"}})
	if !run.Allowed || len(run.Results) != 0 {
		t.Errorf("run-level decision = %+v, want allowed with no results", run)
	}

	// Each decision gets its own Approval: changing one changes no other.
	first := decide("postgres.delete_rows", nil)
	first.Results[1].Approval.Roles[0] = "changed"
	first.Results[1].Approval.Count = 9
	second := decide("postgres.delete_rows", nil)
	if a := second.Results[1].Approval; a.Roles[0] != "dba" || a.Count != 2 {
		t.Errorf("a caller's change reached the policy: %+v", a)
	}
}

func TestRequireApprovalIfRules(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, `version: 1
allow: [postgres.*]
rules:
  - name: big_refunds
    actions: [postgres.insert_row]
    when: action.args.table == "refunds"
    require_approval_if: action.args.row.amount > 1000
    reason: Refunds over 1,000 need finance
    approval: {approver_roles: [finance], approvals: 2, expires_after: 2h, allow_self_approval: false}
  - name: any_delete
    actions: [postgres.delete_*]
    require_approval_if: "true"
  - name: small_updates
    actions: [postgres.update_rows]
    require_approval_if: size(action.args.set) > 3
    pass_reason: Three columns or fewer change
    approval:
      allow_self_approval: true
`)
	decide := func(id string, args map[string]any) policy.Decision {
		return policy.Decide(p, policy.Input{Actor: policy.Actor{Email: "bot@acme.com"}, Action: &policy.Action{ID: id, Args: args}})
	}
	allow := func(id string) policy.Result {
		return policy.Result{Policy: "allowlist", Passed: true, Reason: id + " is allowed by \"postgres.*\""}
	}
	tests := []struct {
		name string
		id   string
		args map[string]any
		want policy.Decision
	}{
		{"held with the rule's reason", "postgres.insert_row", map[string]any{"table": "refunds", "row": map[string]any{"amount": 1500}},
			policy.Decision{Results: []policy.Result{allow("postgres.insert_row"), {Policy: "big_refunds",
				Reason:   "Refunds over 1,000 need finance: needs 2 approvals from role finance (expires after 2h)",
				Approval: &policy.Approval{Roles: []string{"finance"}, Count: 2, Expiry: 2 * time.Hour}}}}},
		{"condition false", "postgres.insert_row", map[string]any{"table": "refunds", "row": map[string]any{"amount": 10}},
			policy.Decision{Allowed: true, Results: []policy.Result{allow("postgres.insert_row"), {Policy: "big_refunds", Passed: true,
				Reason: "no approval needed: require_approval_if is false: action.args.row.amount > 1000"}}}},
		{"when false: not listed", "postgres.insert_row", map[string]any{"table": "orders", "row": map[string]any{"amount": 5000}},
			policy.Decision{Allowed: true, Results: []policy.Result{allow("postgres.insert_row")}}},
		{"evaluation error: plain denial", "postgres.insert_row", map[string]any{"table": "refunds"},
			policy.Decision{Results: []policy.Result{allow("postgres.insert_row"), {Policy: "big_refunds",
				Reason: "require_approval_if could not be evaluated (no such key: row); failing closed"}}}},
		{"no reason, no approval: the defaults", "postgres.delete_rows", map[string]any{"table": "t"},
			policy.Decision{Results: []policy.Result{allow("postgres.delete_rows"), {Policy: "any_delete",
				Reason:   "needs 1 approval from any actor the policy file gives a role (expires after 24h)",
				Approval: &policy.Approval{Count: 1, Expiry: policy.DefaultApprovalExpiry}}}}},
		{"pass_reason", "postgres.update_rows", map[string]any{"set": map[string]any{"a": 1}},
			policy.Decision{Allowed: true, Results: []policy.Result{allow("postgres.update_rows"), {Policy: "small_updates", Passed: true,
				Reason: "Three columns or fewer change"}}}},
		{"self-approval mentioned", "postgres.update_rows", map[string]any{"set": map[string]any{"a": 1, "b": 2, "c": 3, "d": 4}},
			policy.Decision{Results: []policy.Result{allow("postgres.update_rows"), {Policy: "small_updates",
				Reason:   "needs 1 approval from any actor the policy file gives a role (expires after 24h; self-approval allowed)",
				Approval: &policy.Approval{Count: 1, AllowSelfApproval: true, Expiry: 24 * time.Hour}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := decide(tt.id, tt.args)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			wantHeld := !got.Allowed && got.Results[len(got.Results)-1].Approval != nil
			if got.Held() != wantHeld {
				t.Errorf("Held() = %t, want %t", got.Held(), wantHeld)
			}
		})
	}
	if diff := cmp.Diff([]string{"big_refunds", "any_delete", "small_updates"}, p.Policies()); diff != "" {
		t.Errorf("Policies (-want +got):\n%s", diff)
	}
}

func TestNotify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      policy.Notify
	}{
		{"absent", "version: 1\n", policy.Notify{}},
		{"webhook only", "version: 1\nnotify:\n  webhook_url_env: ENACT_APPROVAL_WEBHOOK\n", policy.Notify{WebhookURLEnv: "ENACT_APPROVAL_WEBHOOK"}},
		{"with console", "version: 1\nnotify:\n  webhook_url_env: _hook_2\n  console_url: https://enact.example.com\n",
			policy.Notify{WebhookURLEnv: "_hook_2", ConsoleURL: "https://enact.example.com"}},
		{"console with a path, trailing slash dropped", "version: 1\nnotify: {webhook_url_env: HOOK, console_url: \"http://localhost:8080/enact/\"}\n",
			policy.Notify{WebhookURLEnv: "HOOK", ConsoleURL: "http://localhost:8080/enact"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, mustLoad(t, tt.src).Notify()); diff != "" {
				t.Errorf("Notify (-want +got):\n%s", diff)
			}
		})
	}
	var nilPolicy *policy.Policy
	if got := nilPolicy.Notify(); got != (policy.Notify{}) {
		t.Errorf("nil policy: Notify = %+v", got)
	}
}

// TestRequireApprovalBuiltin checks what Builtins says about it.
func TestRequireApprovalBuiltin(t *testing.T) {
	t.Parallel()
	for _, b := range policy.Builtins() {
		if b.Name != "require_approval" {
			continue
		}
		if b.Run || b.CanRun || b.WritesOnly || len(b.Actions) != 1 || b.Actions[0] != "*" {
			t.Errorf("require_approval: %+v, want action level, every action", b)
		}
		var got []string
		for _, p := range b.Params {
			got = append(got, p.Name+" "+p.Type+" = "+p.Default)
		}
		want := []string{"when CEL expression = true", "approver_roles list of strings = []", "approvals integer = 1",
			"expires_after duration = 24h", "allow_self_approval boolean = false"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("params (-want +got):\n%s", diff)
		}
		return
	}
	t.Fatal("require_approval is not listed")
}
