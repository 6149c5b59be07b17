package policy_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/enact-run/enact/policy"
	"github.com/google/go-cmp/cmp"
)

var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// only loads a policy that allows everything and applies one built-in.
func only(t testing.TB, use, with string) *policy.Policy {
	t.Helper()
	src := "version: 1\nallow: [\"*\"]\npolicies:\n  - use: " + use + "\n"
	if with != "" {
		src += "    with: " + with + "\n"
	}
	return mustLoad(t, src)
}

func act(id string, args map[string]any) *policy.Action { return &policy.Action{ID: id, Args: args} }

// TestBuiltinEdges pins the exact result of each built-in on inputs the
// conformance files do not cover: Go number types, json.Number, odd shapes.
func TestBuiltinEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		use, with string
		in        policy.Input
		want      policy.Result // zero Policy: the built-in must not be evaluated
	}{
		{"contact fact true", "no_duplicate_contacts", "",
			policy.Input{Action: act("hubspot.create_contact", map[string]any{"email": " X@Y.com "}), Facts: map[string]any{"hubspot.contact": true}},
			policy.Result{Policy: "no_duplicate_contacts", Reason: "Contact x@y.com already exists"}},
		{"contact fact empty object", "no_duplicate_contacts", "",
			policy.Input{Action: act("hubspot.create_contact", map[string]any{"email": "x@y.com"}), Facts: map[string]any{"hubspot.contact": map[string]any{}}},
			policy.Result{Policy: "no_duplicate_contacts", Passed: true, Reason: "No contact with email x@y.com exists"}},
		{"contact fact malformed", "no_duplicate_contacts", "",
			policy.Input{Action: act("hubspot.create_contact", map[string]any{"email": "x@y.com"}), Facts: map[string]any{"hubspot.contact": "yes"}},
			policy.Result{Policy: "no_duplicate_contacts", Reason: `Fact hubspot.contact is a string, not a contact object, null, or {"found": bool}; failing closed`}},
		{"contact found flag not bool", "no_duplicate_contacts", "",
			policy.Input{Action: act("hubspot.create_contact", map[string]any{"email": "x@y.com"}), Facts: map[string]any{"hubspot.contact": map[string]any{"found": "no"}}},
			policy.Result{Policy: "no_duplicate_contacts", Reason: `Fact hubspot.contact is an object, not a contact object, null, or {"found": bool}; failing closed`}},
		{"contact email not a string", "no_duplicate_contacts", "",
			policy.Input{Action: act("hubspot.create_contact", map[string]any{"email": 7}), Facts: map[string]any{"hubspot.contact": nil}},
			policy.Result{Policy: "no_duplicate_contacts", Reason: "hubspot.create_contact has no email argument (args.email or args.properties.email); cannot check for a duplicate"}},
		{"tasks json.Number", "limit_tasks_per_contact", "{max_tasks: 2, window_days: 30}",
			policy.Input{Time: monday10, Action: act("hubspot.create_task", map[string]any{"contact_id": json.Number("17")}),
				Facts: map[string]any{"hubspot.contact_tasks.30d": map[string]any{"count": json.Number("1")}}},
			policy.Result{Policy: "limit_tasks_per_contact", Passed: true, Reason: "Contact 17 has 1 task in the last 30 days; the limit is 2"}},
		{"tasks float count", "limit_tasks_per_contact", "{max_tasks: 2, window_days: 30}",
			policy.Input{Time: monday10, Action: act("hubspot.create_task", map[string]any{"contact_id": float64(17)}),
				Facts: map[string]any{"hubspot.contact_tasks.30d": float64(2)}},
			policy.Result{Policy: "limit_tasks_per_contact", Reason: "Contact 17 already has 2 tasks in the last 30 days; the limit is 2"}},
		{"tasks negative count", "limit_tasks_per_contact", "{max_tasks: 2, window_days: 30}",
			policy.Input{Time: monday10, Action: act("hubspot.create_task", map[string]any{"email": "a@b.c"}),
				Facts: map[string]any{"hubspot.contact_tasks.30d": -1}},
			policy.Result{Policy: "limit_tasks_per_contact", Reason: `Fact hubspot.contact_tasks.30d is a number, not a count: a number, a list, or {"count": n} or {"total": n}; failing closed`}},
		{"tasks zero limit", "limit_tasks_per_contact", "{max_tasks: 0, window_days: 1}",
			policy.Input{Time: monday10, Action: act("hubspot.create_task", map[string]any{"email": "a@b.c"}),
				Facts: map[string]any{"hubspot.contact_tasks.1d": 0}},
			policy.Result{Policy: "limit_tasks_per_contact", Reason: "Contact a@b.c already has 0 tasks in the last 1 days; the limit is 0"}},
		{"tasks no contact", "limit_tasks_per_contact", "{max_tasks: 2, window_days: 30}",
			policy.Input{Time: monday10, Action: act("hubspot.create_task", map[string]any{"contact_id": -4})},
			policy.Result{Policy: "limit_tasks_per_contact", Reason: "hubspot.create_task names no contact (args.contact_id, args.contact_email or args.email); cannot count its tasks"}},
		{"pii nested list", "contractor_cannot_write_pii", "",
			policy.Input{Actor: policy.Actor{Email: "c@x.io", Roles: []string{"contractor"}},
				Action: act("kv.put", map[string]any{"value": []any{map[string]any{"SSN": "1"}, map[string]any{"dateOfBirth": "x"}}})},
			policy.Result{Policy: "contractor_cannot_write_pii", Reason: "Actor c@x.io has role contractor and may not write personal data: args.value[0].SSN, args.value[1].dateOfBirth"}},
		{"pii many fields", "contractor_cannot_write_pii", "",
			policy.Input{Actor: policy.Actor{Roles: []string{"contractor"}},
				Action: act("kv.put", map[string]any{"email": 1, "phone": 1, "zip": 1, "iban": 1, "dob": 1, "ssn": 1, "firstname": 1})},
			policy.Result{Policy: "contractor_cannot_write_pii", Reason: "Actor (no email) has role contractor and may not write personal data: args.dob, args.email, args.firstname, args.iban, args.phone and 2 more"}},
		{"pii typed map", "contractor_cannot_write_pii", "{role: vendor, pii_fields: [badge_id]}",
			policy.Input{Actor: policy.Actor{Roles: []string{"vendor"}}, Action: act("kv.put", map[string]any{"value": map[string]string{"Badge-ID": "7"}})},
			policy.Result{Policy: "contractor_cannot_write_pii", Reason: "Actor (no email) has role vendor and may not write personal data: args.value.Badge-ID"}},
		{"pii skips reads", "contractor_cannot_write_pii", "",
			policy.Input{Actor: policy.Actor{Roles: []string{"contractor"}}, Action: act("hubspot.get_contact", map[string]any{"email": "x"})},
			policy.Result{}},
		{"role at action level", "require_actor_role", "{allowed_roles: [admin]}\n    run: false",
			policy.Input{Actor: policy.Actor{Email: "a@b.c", Roles: []string{"admin"}}, Action: act("kv.get", nil)},
			policy.Result{Policy: "require_actor_role", Passed: true, Reason: "Actor a@b.c has role admin"}},
		{"role is run level by default", "require_actor_role", "{allowed_roles: [admin]}",
			policy.Input{Action: act("kv.get", nil)},
			policy.Result{}},
		{"window same day", "within_maintenance_window", "{start_utc: \"09:00\", end_utc: \"17:30\"}",
			policy.Input{Time: time.Date(2026, 1, 1, 18, 29, 0, 0, time.FixedZone("CET", 3600)), Action: act("kv.put", nil)},
			policy.Result{Policy: "within_maintenance_window", Passed: true, Reason: "17:29 UTC is within the maintenance window 09:00-17:30 UTC"}},
		{"window same day, after", "within_maintenance_window", "{start_utc: \"09:00\", end_utc: \"17:30\"}",
			policy.Input{Time: time.Date(2026, 1, 1, 17, 30, 0, 0, time.UTC), Action: act("kv.put", nil)},
			policy.Result{Policy: "within_maintenance_window", Reason: "17:30 UTC is outside the maintenance window 09:00-17:30 UTC"}},
		{"window at run level", "within_maintenance_window", "{start_utc: \"09:00\", end_utc: \"17:30\"}\n    run: true",
			policy.Input{Time: time.Date(2026, 1, 1, 8, 59, 59, 0, time.UTC)},
			policy.Result{Policy: "within_maintenance_window", Reason: "08:59 UTC is outside the maintenance window 09:00-17:30 UTC"}},
		{"branch not a string", "no_push_to_main", "",
			policy.Input{Action: act("github.push_commit", map[string]any{"branch": []any{"main"}})},
			policy.Result{Policy: "no_push_to_main", Reason: "args.branch of github.push_commit is not a string; cannot rule out a protected branch"}},
		{"custom protected branches", "no_push_to_main", "{branches: [production]}",
			policy.Input{Action: act("github.delete_branch", map[string]any{"branch": "heads/Production"})},
			policy.Result{Policy: "no_push_to_main", Reason: `github.delete_branch writes to protected branch production (args.branch = "heads/Production")`}},
		{"other github writes without a branch", "no_push_to_main", "",
			policy.Input{Action: act("github.create_issue", map[string]any{"title": "x"})},
			policy.Result{Policy: "no_push_to_main", Passed: true, Reason: "github.create_issue names no branch it writes to"}},
		{"files typed slice", "max_files_per_commit", "{n: 1}",
			policy.Input{Action: act("github.push_commit", map[string]any{"files": []string{"a", "b"}}),
				Facts: map[string]any{"github.commit_changes": map[string]int{"count": 2}}},
			policy.Result{Policy: "max_files_per_commit", Reason: "The commit changes 2 files from 2 entries of args.files; the limit is 1"}},
		{"files not a collection", "max_files_per_commit", "{n: 1}",
			policy.Input{Action: act("github.push_commit", map[string]any{"files": "a.go"})},
			policy.Result{Policy: "max_files_per_commit", Reason: "args.files of github.push_commit is neither a list nor a mapping; cannot count the files"}},
		{"prefix via ref", "require_branch_prefix", "{prefix: bot-}",
			policy.Input{Action: act("github.push_commit", map[string]any{"ref": "refs/heads/bot-1"})},
			policy.Result{Policy: "require_branch_prefix", Passed: true, Reason: "Branch bot-1 starts with bot-"}},
		{"where null", "no_update_without_where_clause", "",
			policy.Input{Action: act("postgres.update_rows", map[string]any{"where": nil})},
			policy.Result{Policy: "no_update_without_where_clause", Reason: "postgres.update_rows has an empty WHERE clause (args.where is null); it would update every row"}},
		{"where blank", "no_delete_without_where_clause", "",
			policy.Input{Action: act("postgres.delete_row", map[string]any{"where": " \t"})},
			policy.Result{Policy: "no_delete_without_where_clause", Reason: "postgres.delete_row has an empty WHERE clause; it would delete every row"}},
		{"where bool", "no_delete_without_where_clause", "",
			policy.Input{Action: act("postgres.delete_row", map[string]any{"where": true})},
			policy.Result{Policy: "no_delete_without_where_clause", Reason: "postgres.delete_row has args.where that is not a condition (a boolean); it would delete every row"}},
		{"where list", "no_delete_without_where_clause", "",
			policy.Input{Action: act("postgres.delete_row", map[string]any{"where": []any{"id = $1", 7}})},
			policy.Result{Policy: "no_delete_without_where_clause", Passed: true, Reason: "postgres.delete_row has a WHERE clause"}},
		{"where TRUE", "no_update_without_where_clause", "",
			policy.Input{Action: act("postgres.update_row", map[string]any{"where": "TRUE"})},
			policy.Result{Policy: "no_update_without_where_clause", Reason: `postgres.update_row has a WHERE clause that is always true ("TRUE"); it would update every row`}},
		{"rows unknown write", "limit_rows_per_run", "{n: 10}",
			policy.Input{Action: act("postgres.execute", map[string]any{"sql": "vacuum"}), Facts: map[string]any{"run.rows_written": 0}},
			policy.Result{Policy: "limit_rows_per_run", Reason: "Cannot tell how many rows postgres.execute writes (args.rows must be a list); failing closed"}},
		{"rows not a list", "limit_rows_per_run", "{n: 10}",
			policy.Input{Action: act("postgres.insert_rows", map[string]any{"rows": 3}), Facts: map[string]any{"run.rows_written": 0}},
			policy.Result{Policy: "limit_rows_per_run", Reason: "Cannot tell how many rows postgres.insert_rows writes (args.rows must be a list); failing closed"}},
		{"rows written overflow", "limit_rows_per_run", "{n: 10}",
			policy.Input{Action: act("postgres.insert_row", nil), Facts: map[string]any{"run.rows_written": int64(1<<63 - 1)}},
			policy.Result{Policy: "limit_rows_per_run", Reason: "This run has written 9223372036854775807 rows and postgres.insert_row would write 1 more (more than the limit); the limit is 10"}},
		{"rows matching as a list", "limit_rows_per_run", "{n: 10}",
			policy.Input{Action: act("postgres.delete_row", map[string]any{"where": "id < 3"}), Facts: map[string]any{"run.rows_written": 1, "postgres.rows_matching": []any{1, 2}}},
			policy.Result{Policy: "limit_rows_per_run", Passed: true, Reason: "This run has written 1 row and postgres.delete_row would write 2 more (3 in all); the limit is 10"}},
		{"rate json.Number", "rate_limit", "{n: 2, window_seconds: 60}",
			policy.Input{Actor: policy.Actor{Email: " Agent@Acme.com"}, Action: act("kv.put", nil),
				Facts: map[string]any{"rate.actions.actor:agent@acme.com": json.Number("1")}},
			policy.Result{Policy: "rate_limit", Passed: true, Reason: "Actor agent@acme.com: 1 action in the last 60 s (counter actions, this one included); the limit is 2"}},
		{"rate total object", "rate_limit", "{n: 2, window_seconds: 60, per: capability}",
			policy.Input{Capability: policy.CapabilityRef{ID: "acme/pr"}, Action: act("kv.put", nil),
				Facts: map[string]any{"rate.actions.capability:acme/pr": map[string]any{"total": float64(3)}}},
			policy.Result{Policy: "rate_limit", Reason: "Capability acme/pr: 3 actions in the last 60 s (counter actions, this one included); the limit is 2"}},
		{"rate zero count", "rate_limit", "{n: 2, window_seconds: 60, per: all}",
			policy.Input{Action: act("kv.put", nil), Facts: map[string]any{"rate.actions.all:*": 0}},
			policy.Result{Policy: "rate_limit", Reason: "Fact rate.actions.all:* is 0, but the count includes this action; failing closed"}},
		{"rate negative count", "rate_limit", "{n: 2, window_seconds: 60, per: all}",
			policy.Input{Action: act("kv.put", nil), Facts: map[string]any{"rate.actions.all:*": -1}},
			policy.Result{Policy: "rate_limit", Reason: `Fact rate.actions.all:* is a number, not a count of at least 1: a number, a list, or {"count": n} or {"total": n}; failing closed`}},
		{"rate null count", "rate_limit", "{n: 2, window_seconds: 60, per: all}",
			policy.Input{Action: act("kv.put", nil), Facts: map[string]any{"rate.actions.all:*": nil}},
			policy.Result{Policy: "rate_limit", Reason: `Fact rate.actions.all:* is null, not a count of at least 1: a number, a list, or {"count": n} or {"total": n}; failing closed`}},
		{"rate actor without email", "rate_limit", "{n: 2, window_seconds: 60}",
			policy.Input{Action: act("kv.put", nil), Facts: map[string]any{"rate.actions.actor:": 1}},
			policy.Result{Policy: "rate_limit", Reason: "The actor has no email; cannot count its actions (counter actions)"}},
		{"rate capability without id", "rate_limit", "{n: 2, window_seconds: 60, per: capability, counter: deploys}",
			policy.Input{Action: act("kv.put", nil)},
			policy.Result{Policy: "rate_limit", Reason: "The capability has no id; cannot count its actions (counter deploys)"}},
		{"rate skips reads", "rate_limit", "{n: 1, window_seconds: 60}",
			policy.Input{Actor: policy.Actor{Email: "a@b.c"}, Action: act("kv.get", nil)},
			policy.Result{}},
		{"rate not at run level", "rate_limit", "{n: 1, window_seconds: 60}",
			policy.Input{Actor: policy.Actor{Email: "a@b.c"}},
			policy.Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec := policy.Decide(only(t, tt.use, tt.with), tt.in)
			var got policy.Result
			for _, r := range dec.Results {
				if r.Policy != "allowlist" {
					got = r
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequirements(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, `version: 1
allow: ["*"]
policies:
  - use: no_duplicate_contacts
  - use: limit_tasks_per_contact
    with: {max_tasks: 3, window_days: 7}
  - use: limit_tasks_per_contact
    name: monthly_tasks
    with: {max_tasks: 10, window_days: 30}
  - use: limit_tasks_per_contact
    name: weekly_again
    with: {max_tasks: 5, window_days: 7}
  - use: limit_rows_per_run
    with: {n: 100}
`)
	tests := []struct {
		name string
		in   policy.Input
		want []policy.FactRequest
	}{
		{"run level", policy.Input{Time: monday10}, nil},
		{"contact", policy.Input{Action: act("hubspot.create_contact", map[string]any{"properties": map[string]any{"email": "Jane@Acme.com"}})},
			[]policy.FactRequest{{Name: "hubspot.contact", Action: "hubspot.get_contact", Args: map[string]any{"email": "jane@acme.com"}}}},
		{"contact without email", policy.Input{Action: act("hubspot.create_contact", nil)}, nil},
		{"tasks, one request per window", policy.Input{Time: monday10, Action: act("hubspot.create_task", map[string]any{"contact_id": 42})},
			[]policy.FactRequest{
				{Name: "hubspot.contact_tasks.7d", Action: "hubspot.count_tasks",
					Args: map[string]any{"contact_id": "42", "since": "2026-11-16T10:00:00Z", "until": "2026-11-23T10:00:00Z"}},
				{Name: "hubspot.contact_tasks.30d", Action: "hubspot.count_tasks",
					Args: map[string]any{"contact_id": "42", "since": "2026-10-24T10:00:00Z", "until": "2026-11-23T10:00:00Z"}},
			}},
		{"tasks without time", policy.Input{Action: act("hubspot.create_task", map[string]any{"contact_id": 42})}, nil},
		{"insert", policy.Input{Action: act("postgres.insert_row", map[string]any{"table": "t"})},
			[]policy.FactRequest{{Name: "run.rows_written"}}},
		{"update", policy.Input{Action: act("postgres.update_row", map[string]any{"table": "t", "where": map[string]any{"id": 1}})},
			[]policy.FactRequest{{Name: "run.rows_written"},
				{Name: "postgres.rows_matching", Action: "postgres.count_rows", Args: map[string]any{"table": "t", "where": map[string]any{"id": 1}}}}},
		{"read", policy.Input{Action: act("postgres.select_rows", map[string]any{"table": "t"})}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.Requirements(p, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Requirements (-want +got):\n%s", diff)
			}
			for _, r := range got {
				if r.Action != "" && !policy.ReadOnly(r.Action) {
					t.Errorf("lookup %s is not read-only", r.Action)
				}
			}
		})
	}
	if got := policy.Requirements(nil, policy.Input{Action: act("x.y", nil)}); got != nil {
		t.Errorf("Requirements(nil) = %v", got)
	}
}

func TestRateRequirements(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, `version: 1
allow: ["*"]
policies:
  - use: rate_limit
    with: {n: 10, window_seconds: 60}
  - use: rate_limit
    name: same_count
    with: {n: 5, window_seconds: 60}
    actions: [github.*]
  - use: rate_limit
    name: per_capability
    with: {n: 100, window_seconds: 3600, per: capability}
  - use: rate_limit
    name: deploys
    with: {n: 3, window_seconds: 86400, per: all, counter: deploys}
    actions: [github.merge_pr]
`)
	actor := policy.Actor{Email: " Bot@Acme.com "}
	capability := policy.CapabilityRef{ID: "acme/pr", Version: "1.0.0"}
	tests := []struct {
		name string
		in   policy.Input
		want []policy.FactRequest
	}{
		{"run level", policy.Input{Actor: actor, Capability: capability}, nil},
		{"read", policy.Input{Actor: actor, Capability: capability, Action: act("github.get_pr", nil)}, nil},
		{"write", policy.Input{Actor: actor, Capability: capability, Action: act("kv.put", nil)},
			[]policy.FactRequest{
				{Name: "rate.actions.actor:bot@acme.com", Args: map[string]any{"window_seconds": int64(60)}},
				{Name: "rate.actions.capability:acme/pr", Args: map[string]any{"window_seconds": int64(3600)}},
			}},
		{"scoped entries", policy.Input{Actor: actor, Capability: capability, Action: act("github.merge_pr", nil)},
			[]policy.FactRequest{
				{Name: "rate.actions.actor:bot@acme.com", Args: map[string]any{"window_seconds": int64(60)}},
				{Name: "rate.actions.capability:acme/pr", Args: map[string]any{"window_seconds": int64(3600)}},
				{Name: "rate.deploys.all:*", Args: map[string]any{"window_seconds": int64(86400)}},
			}},
		{"no actor, no capability", policy.Input{Action: act("github.merge_pr", nil)},
			[]policy.FactRequest{{Name: "rate.deploys.all:*", Args: map[string]any{"window_seconds": int64(86400)}}}},
		// Facts do not change what is asked for.
		{"facts given", policy.Input{Actor: actor, Action: act("kv.put", nil), Facts: map[string]any{"rate.actions.actor:bot@acme.com": 99}},
			[]policy.FactRequest{{Name: "rate.actions.actor:bot@acme.com", Args: map[string]any{"window_seconds": int64(60)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.Requirements(p, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Requirements (-want +got):\n%s", diff)
			}
			for _, r := range got {
				counter, per, subject, ok := policy.ParseRateFact(r.Name)
				if !ok || policy.RateFactPrefix+counter+"."+per+":"+subject != r.Name {
					t.Errorf("ParseRateFact(%q) = %q, %q, %q, %t", r.Name, counter, per, subject, ok)
				}
			}
		})
	}
}

func TestParseRateFact(t *testing.T) {
	t.Parallel()
	type parts struct {
		Counter, Per, Subject string
		OK                    bool
	}
	for name, want := range map[string]parts{
		"rate.actions.actor:agent@acme.com":  {"actions", "actor", "agent@acme.com", true},
		"rate.deploys_2.capability:acme/x:y": {"deploys_2", "capability", "acme/x:y", true},
		"rate.actions.all:*":                 {"actions", "all", "*", true},
		"rate.actions.all:x":                 {},
		"rate.actions.actor:*":               {"actions", "actor", "*", true},
		"rate.actions.actor:":                {},
		"rate.actions.run:x":                 {},
		"rate.Actions.actor:x":               {},
		"rate..actor:x":                      {},
		"rate.actions:actor.x":               {},
		"rate.a.b.actor:x":                   {},
		"rate.actions.actor":                 {},
		"hubspot.contact":                    {},
		"":                                   {},
	} {
		var got parts
		got.Counter, got.Per, got.Subject, got.OK = policy.ParseRateFact(name)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseRateFact(%q) (-want +got):\n%s", name, diff)
		}
	}
}

func TestAllowedAndGrant(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, "version: 1\nallow: [github.*, postgres.insert_row, \"*.get_*\", kv.get]\n")
	for action, want := range map[string]bool{
		"github.create_pr":    true,
		"github.x.y":          true,
		"postgres.insert_row": true,
		"postgres.delete_row": false,
		"hubspot.get_contact": true,
		"kv.get":              true,
		"kv.getx":             false,
		"github":              false,
		"GitHub.create_pr":    false,
		"github.*":            false, // a glob is not an action
		"":                    false,
		"github.create_pr ":   false,
	} {
		if got := policy.Allowed(p, action); got != want {
			t.Errorf("Allowed(%q) = %t, want %t", action, got, want)
		}
	}
	granted, refused := policy.Grant(p, []string{"github.create_pr", "postgres.delete_row", "github.create_pr", "kv.get", "http.request"})
	if diff := cmp.Diff([]string{"github.create_pr", "kv.get"}, granted); diff != "" {
		t.Errorf("granted (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"postgres.delete_row", "http.request"}, refused); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	if policy.Allowed(nil, "kv.get") {
		t.Error("a nil policy allows an action")
	}
	if g, r := policy.Grant(nil, []string{"kv.get"}); g != nil || len(r) != 1 {
		t.Errorf("Grant(nil) = %v, %v", g, r)
	}
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	for action, want := range map[string]bool{
		"hubspot.get_contact": true, "postgres.select_rows": true, "kv.get": true, "github.list_prs": true,
		"hubspot.count_tasks": true, "postgres.count_rows": true, "github.search_code": true,
		"kv.put": false, "http.request": false, "github.getaway": false, "postgres.insert_row": false, "x": false,
	} {
		if got := policy.ReadOnly(action); got != want {
			t.Errorf("ReadOnly(%q) = %t, want %t", action, got, want)
		}
	}
}

func TestNilPolicyDeniesEverything(t *testing.T) {
	t.Parallel()
	want := policy.Decision{Results: []policy.Result{{Policy: "policy", Reason: "No policy file is loaded; nothing is allowed"}}}
	for _, in := range []policy.Input{{}, {Action: act("kv.get", nil)}} {
		if diff := cmp.Diff(want, policy.Decide(nil, in)); diff != "" {
			t.Errorf("Decide(nil) (-want +got):\n%s", diff)
		}
	}
}

func TestRunLevelWithoutPolicies(t *testing.T) {
	t.Parallel()
	dec := policy.Decide(mustLoad(t, "version: 1\n"), policy.Input{})
	if diff := cmp.Diff(policy.Decision{Allowed: true, Results: []policy.Result{}}, dec); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestDecideConcurrently runs every conformance input from many goroutines
// on shared policies (go test -race finds shared mutable state) and checks
// that every answer equals the first.
func TestDecideConcurrently(t *testing.T) {
	t.Parallel()
	type job struct {
		p  *policy.Policy
		in policy.Input
	}
	var jobs []job
	for _, c := range loadConformance(t) {
		for _, in := range caseInputs(t, c.cases) {
			jobs = append(jobs, job{c.policy, in})
		}
	}
	want := make([]policy.Decision, len(jobs))
	for i, j := range jobs {
		want[i] = policy.Decide(j.p, j.in)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(jobs))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				k := (i + g*7) % len(jobs)
				if diff := cmp.Diff(want[k], policy.Decide(jobs[k].p, jobs[k].in)); diff != "" {
					errs <- fmt.Sprintf("job %d: %s", k, diff)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestDecideDoesNotModifyInput checks that Decide leaves the input alone.
func TestDecideDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	for _, c := range loadConformance(t) {
		for _, in := range caseInputs(t, c.cases) {
			before, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			policy.Decide(c.policy, in)
			policy.Requirements(c.policy, in)
			after, _ := json.Marshal(in)
			if string(before) != string(after) {
				t.Errorf("%s: input changed:\n%s\n%s", c.name, before, after)
			}
		}
	}
}
