package policy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/enact-run/enact/policy"
	"github.com/google/go-cmp/cmp"
)

func mustLoad(t testing.TB, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Load([]byte(src), "test.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", "test.yaml: empty file"},
		{"syntax", "version: 1\nallow: [\n", "test.yaml:3: YAML syntax: did not find expected node content"},
		{"two documents", "version: 1\n---\nversion: 1\n", "test.yaml:2: more than one YAML document"},
		{"not a mapping", "- a\n", "test.yaml:1: the policy file must be a mapping, not a list"},
		{"no version", "allow: []\n", "test.yaml:1: version is required (version: 1)"},
		{"version 2", "version: 2\n", "test.yaml:1: version 2 is not supported; this engine reads version 1"},
		{"version string", "version: \"1\"\n", "test.yaml:1: version must be an integer, not a string"},
		{"unknown field", "version: 1\nallows: [x.y]\n",
			"test.yaml:2: the policy file: unknown field \"allows\" (known fields: version, actors, allow, policies, rules, secrets, postgres, api_tokens, kv, plugin_config, vars, trust, notify)"},
		{"duplicate key", "version: 1\nallow: []\nallow: []\n", "test.yaml:3: the policy file: field \"allow\" appears twice (first at line 2)"},
		{"alias", "version: 1\nallow: &a [x.y]\nsecrets: *a\n", "test.yaml:2: anchors are not supported; write the value out"},
		{"merge key", "version: 1\npostgres:\n  <<: {tables: {}}\n", "test.yaml:3: merge keys (<<) are not supported; write the fields out"},
		{"bad allow", "version: 1\nallow: [GitHub.Push]\n",
			"test.yaml:2: allow[0]: \"GitHub.Push\" is not an action id or glob (system.action, lower case, * for any run of characters)"},
		{"bad actor email", "version: 1\nactors:\n  - {email: bob, roles: [x]}\n", "test.yaml:3: actors[0].email: \"bob\" is not an email address, *@domain or *"},
		{"actor without roles", "version: 1\nactors:\n  - email: bob@x.com\n", "test.yaml:3: actors[0]: roles is required"},
		{"unknown built-in", "version: 1\npolicies:\n  - use: no_push_to_mian\n",
			"test.yaml:3: policies[0]: unknown built-in policy \"no_push_to_mian\" (built-ins: contractor_cannot_write_pii, limit_rows_per_run, limit_tasks_per_contact, " +
				"max_files_per_commit, no_delete_without_where_clause, no_duplicate_contacts, no_push_during_deploy_freeze, no_push_to_main, " +
				"no_secret_in_args, no_update_without_where_clause, rate_limit, require_actor_role, require_approval, require_branch_prefix, within_maintenance_window)"},
		{"missing param", "version: 1\npolicies:\n  - use: max_files_per_commit\n", "test.yaml:3: policies[0] (max_files_per_commit): parameter n is required (integer)"},
		{"unknown param", "version: 1\npolicies:\n  - use: max_files_per_commit\n    with: {n: 3, m: 4}\n",
			"test.yaml:4: policies[0] (max_files_per_commit).with: unknown field \"m\" (known fields: n)"},
		{"param type", "version: 1\npolicies:\n  - use: max_files_per_commit\n    with:\n      n: ten\n",
			"test.yaml:5: policies[0] (max_files_per_commit).with.n must be an integer, not a string"},
		{"param range", "version: 1\npolicies:\n  - use: max_files_per_commit\n    with: {n: 0}\n",
			"test.yaml:4: policies[0] (max_files_per_commit).with.n must be between 1 and 2147483648, not 0"},
		{"no params", "version: 1\npolicies:\n  - use: no_duplicate_contacts\n    with: {x: 1}\n", "test.yaml:4: policies[0] (no_duplicate_contacts) takes no parameters"},
		{"bad clock", "version: 1\npolicies:\n  - use: within_maintenance_window\n    with: {start_utc: \"9:00\", end_utc: \"17:00\"}\n",
			"test.yaml:4: policies[0] (within_maintenance_window).with.start_utc: \"9:00\" is not a time of day HH:MM (24-hour, UTC)"},
		{"empty window", "version: 1\npolicies:\n  - use: within_maintenance_window\n    with: {start_utc: \"09:00\", end_utc: \"09:00\"}\n",
			"test.yaml:4: policies[0] (within_maintenance_window): start_utc and end_utc are equal: the window would be empty"},
		{"bad instant", "version: 1\npolicies:\n  - use: no_push_during_deploy_freeze\n    with: {start_utc: 2026-12-20, end_utc: 2027-01-04T00:00:00Z}\n",
			"test.yaml:4: policies[0] (no_push_during_deploy_freeze).with.start_utc: \"2026-12-20\" is not an RFC 3339 instant (2026-12-20T00:00:00Z)"},
		{"freeze backwards", "version: 1\npolicies:\n  - use: no_push_during_deploy_freeze\n    with: {start_utc: 2027-01-04T00:00:00Z, end_utc: 2026-12-20T00:00:00Z}\n",
			"test.yaml:4: policies[0] (no_push_during_deploy_freeze): end_utc must be after start_utc"},
		{"rate per", "version: 1\npolicies:\n  - use: rate_limit\n    with: {n: 3, window_seconds: 60, per: run}\n",
			"test.yaml:4: policies[0] (rate_limit): per must be actor, capability or all, not \"run\""},
		{"rate counter", "version: 1\npolicies:\n  - use: rate_limit\n    with: {n: 3, window_seconds: 60, counter: Deploys}\n",
			"test.yaml:4: policies[0] (rate_limit): counter \"Deploys\" must be 1 to 40 of a-z, 0-9 and _"},
		{"rate window range", "version: 1\npolicies:\n  - use: rate_limit\n    with: {n: 3, window_seconds: 2678401}\n",
			"test.yaml:4: policies[0] (rate_limit).with.window_seconds must be between 1 and 2678400, not 2678401"},
		{"rate without window", "version: 1\npolicies:\n  - use: rate_limit\n    with: {n: 3}\n",
			"test.yaml:4: policies[0] (rate_limit): parameter window_seconds is required (integer)"},
		{"rate counter windows differ", "version: 1\npolicies:\n  - use: rate_limit\n    with: {n: 3, window_seconds: 60}\n" +
			"  - use: rate_limit\n    name: hourly\n    with: {n: 30, window_seconds: 3600}\n",
			"test.yaml:5: policies[1] (rate_limit): counter actions per actor already has window_seconds 60 (line 3); " +
				"entries with the same counter and per need the same window, or another counter"},
		{"empty roles", "version: 1\npolicies:\n  - use: require_actor_role\n    with: {allowed_roles: []}\n",
			"test.yaml:4: policies[0] (require_actor_role): allowed_roles must name at least one role"},
		{"run on an action policy", "version: 1\npolicies:\n  - use: no_push_to_main\n    run: true\n",
			"test.yaml:4: policies[0] (no_push_to_main): run: true is not supported; no_push_to_main decides about actions"},
		{"run and actions", "version: 1\npolicies:\n  - use: require_actor_role\n    with: {allowed_roles: [a]}\n    actions: [x.y]\n    run: true\n",
			"test.yaml:6: policies[0] (require_actor_role): actions and run: true exclude each other; a run-level policy applies before any action"},
		{"bad scope", "version: 1\npolicies:\n  - use: no_push_to_main\n    actions: [github]\n",
			"test.yaml:4: policies[0] (no_push_to_main).actions[0]: \"github\" is not an action id or glob"},
		{"duplicate name", "version: 1\npolicies:\n  - use: no_push_to_main\n  - use: no_push_to_main\n",
			"test.yaml:4: policies[1] (no_push_to_main): the name \"no_push_to_main\" is already used at line 3; give this entry a name:"},
		{"reserved name", "version: 1\npolicies:\n  - use: no_push_to_main\n    name: allowlist\n",
			"test.yaml:4: policies[0] (no_push_to_main): the name \"allowlist\" is reserved"},
		{"rule without reason", "version: 1\nrules:\n  - name: r\n    deny_if: \"false\"\n", "test.yaml:3: rule \"r\": reason is required (the message of a denial)"},
		{"rule with both", "version: 1\nrules:\n  - name: r\n    deny_if: \"false\"\n    allow_if: \"true\"\n    reason: x\n",
			"test.yaml:5: rule \"r\": give one of deny_if, allow_if and require_approval_if, not both deny_if and allow_if"},
		{"rule name clash", "version: 1\npolicies:\n  - use: no_push_to_main\nrules:\n  - name: no_push_to_main\n    deny_if: \"false\"\n    reason: x\n",
			"test.yaml:5: rules[0]: the name \"no_push_to_main\" is already used at line 3; give this entry a name:"},
		{"cel syntax", "version: 1\nrules:\n  - name: r\n    deny_if: action.id ==\n    reason: x\n",
			"test.yaml:4: rule \"r\": deny_if: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER} (expression column 13)"},
		{"cel misspelt field", "version: 1\nrules:\n  - name: r\n    deny_if: |\n      action.id == \"x.y\" &&\n        actor.emial == \"a@b.c\"\n    reason: x\n",
			"test.yaml:6: rule \"r\": deny_if: undefined field 'emial' (expression column 8)"},
		{"cel undeclared", "version: 1\nrules:\n  - name: r\n    when: args.x\n    deny_if: \"true\"\n    reason: x\n",
			"test.yaml:4: rule \"r\": when: undeclared reference to 'args' (expression column 1)"},
		{"cel not bool", "version: 1\nrules:\n  - name: r\n    deny_if: size(action.args)\n    reason: x\n",
			"test.yaml:4: rule \"r\": deny_if must be a boolean expression, not int"},
		{"postgres bad table", "version: 1\npostgres:\n  tables:\n    \"drop table\": [id]\n",
			"test.yaml:4: postgres.tables: \"drop table\" is not a table name (identifier, optionally schema-qualified)"},
		{"postgres bad schema", "version: 1\npostgres:\n  schemas: [public, a.b]\n",
			"test.yaml:3: postgres.schemas[1]: \"a.b\" is not a schema name"},
		{"postgres no schemas", "version: 1\npostgres:\n  schemas: []\n", "test.yaml:3: postgres.schemas must name at least one schema"},
		{"postgres empty", "version: 1\npostgres: {}\n", "test.yaml:2: postgres: tables or schemas is required"},
		{"secrets type", "version: 1\nsecrets: api_key\n", "test.yaml:2: secrets must be a list, not a string"},
		{"too large", "version: 1\n#" + strings.Repeat("x", policy.MaxFileSize) + "\n", "test.yaml: file is 1048589 bytes; the limit is 1048576"},
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
			var le *policy.LoadError
			if !errors.As(err, &le) {
				t.Errorf("error %T is not a *LoadError", err)
			}
		})
	}
}

func TestLoadReportsSeveralErrors(t *testing.T) {
	t.Parallel()
	src := "version: 1\nallow: [Bad]\npolicies:\n  - use: nope\n"
	_, err := policy.Load([]byte(src), "f.yaml")
	want := "f.yaml:2: allow[0]: \"Bad\" is not an action id or glob (system.action, lower case, * for any run of characters)\n" +
		"f.yaml:4: policies[0]: unknown built-in policy \"nope\""
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v\nwant prefix %s", err, want)
	}
}

func TestLoadAccessors(t *testing.T) {
	t.Parallel()
	src := `version: 1
actors:
  - {email: "*@Acme.com", roles: [employee]}
  - {email: alice@acme.com, roles: [admin, employee]}
  - {email: "*", roles: [anyone]}
allow: [github.*]
policies:
  - use: no_push_to_main
  - use: require_branch_prefix
    name: agent-branches
    with: {prefix: agent/}
rules:
  - name: r1
    deny_if: "false"
    reason: never
secrets: [api_key, password]
postgres:
  schemas: [public, sales]
  tables:
    customers: [id, email]
`
	p := mustLoad(t, src)
	sum := sha256.Sum256([]byte(src))
	if got, want := p.Digest(), "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Digest = %s, want %s", got, want)
	}
	if p.Name() != "test.yaml" {
		t.Errorf("Name = %q", p.Name())
	}
	if diff := cmp.Diff([]string{"api_key", "password"}, p.Secrets()); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"customers": {"id", "email"}}, p.PostgresTables()); diff != "" {
		t.Errorf("PostgresTables (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"public", "sales"}, p.PostgresSchemas()); diff != "" {
		t.Errorf("PostgresSchemas (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"no_push_to_main", "agent-branches", "r1"}, p.Policies()); diff != "" {
		t.Errorf("Policies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"employee", "admin", "anyone"}, p.Roles("Alice@ACME.com")); diff != "" {
		t.Errorf("Roles (-want +got):\n%s", diff)
	}
	// The accessors return copies.
	p.Secrets()[0] = "changed"
	p.PostgresTables()["customers"][0] = "changed"
	if p.Secrets()[0] != "api_key" || p.PostgresTables()["customers"][0] != "id" {
		t.Error("an accessor exposed the policy's own storage")
	}
	// An empty file with just a version allows nothing.
	if empty := mustLoad(t, "version: 1\n"); policy.Allowed(empty, "github.create_pr") || empty.PostgresTables() != nil {
		t.Error("an empty policy allows something")
	}
}

// TestDocExampleLoads keeps the package documentation's example valid.
func TestDocExampleLoads(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start := strings.Index(text, "// A complete example:\n//\n")
	end := strings.Index(text, "// Decoding is strict")
	if start < 0 || end < start {
		t.Fatal("doc.go: example not found")
	}
	var b strings.Builder
	for _, line := range strings.Split(text[start:end], "\n")[2:] {
		line = strings.TrimPrefix(line, "//")
		b.WriteString(strings.TrimPrefix(line, "\t") + "\n")
	}
	p, err := policy.Load([]byte(b.String()), "doc.go example")
	if err != nil {
		t.Fatalf("the documented example does not load: %v\n%s", err, b.String())
	}
	if got := len(p.Policies()); got != 15 {
		t.Errorf("example has %d policies and rules, want 15", got)
	}
	if got := p.Notify(); got.WebhookURLEnv != "ENACT_APPROVAL_WEBHOOK" || got.ConsoleURL != "https://enact.example.com" {
		t.Errorf("example's notify = %+v", got)
	}
}

func TestBuiltinsList(t *testing.T) {
	t.Parallel()
	bs := policy.Builtins()
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
		if b.Summary == "" || len(b.Actions) == 0 {
			t.Errorf("%s: summary or default scope missing", b.Name)
		}
		for _, p := range b.Params {
			if p.Doc == "" || (!p.Required && p.Default == "") {
				t.Errorf("%s.%s: doc or default missing", b.Name, p.Name)
			}
		}
	}
	want := []string{"contractor_cannot_write_pii", "limit_rows_per_run", "limit_tasks_per_contact", "max_files_per_commit",
		"no_delete_without_where_clause", "no_duplicate_contacts", "no_push_during_deploy_freeze", "no_push_to_main", "no_secret_in_args",
		"no_update_without_where_clause", "rate_limit", "require_actor_role", "require_approval", "require_branch_prefix", "within_maintenance_window"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("Builtins (-want +got):\n%s", diff)
	}
	// Callers get copies.
	bs[0].Actions[0] = "changed"
	if policy.Builtins()[0].Actions[0] == "changed" {
		t.Error("Builtins exposes the registry")
	}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	// sha256("s3cret-token")
	sum := sha256.Sum256([]byte("s3cret-token"))
	doc := "version: 1\nactors:\n  - email: ci@acme.com\n    roles: [agent]\napi_tokens:\n  - sha256: " + hex.EncodeToString(sum[:]) + "\n    actor: CI@acme.com\n"
	p, err := policy.Load([]byte(doc), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, ok := p.TokenActor("s3cret-token")
	if !ok || a.Email != "ci@acme.com" || len(a.Roles) != 1 || a.Roles[0] != "agent" {
		t.Errorf("TokenActor = %+v %v", a, ok)
	}
	if _, ok := p.TokenActor("wrong"); ok {
		t.Error("a wrong token was accepted")
	}
	if _, ok := p.TokenActor(""); ok {
		t.Error("an empty token was accepted")
	}
	for _, bad := range []string{
		"version: 1\napi_tokens:\n  - sha256: abc\n    actor: a@b.c\n",
		"version: 1\napi_tokens:\n  - sha256: " + hex.EncodeToString(sum[:]) + "\n",
		"version: 1\napi_tokens:\n  - sha256: " + hex.EncodeToString(sum[:]) + "\n    actor: not-an-email\n",
	} {
		if _, err := policy.Load([]byte(bad), "bad.yaml"); err == nil || !strings.Contains(err.Error(), "bad.yaml:") {
			t.Errorf("%q: err = %v, want a load error with a line", bad, err)
		}
	}
}

func TestPluginConfig(t *testing.T) {
	t.Parallel()
	p, err := policy.Load([]byte("version: 1\nplugin_config:\n  TextStats:\n    region: eu-west\n    tier: \"2\"\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"region": "eu-west", "tier": "2"}, p.PluginConfig("TextStats")); diff != "" {
		t.Errorf("config:\n%s", diff)
	}
	if got := p.PluginConfig("Other"); got != nil {
		t.Errorf("config of another capability: %v", got)
	}
	_, err = policy.Load([]byte("version: 1\nplugin_config:\n  TextStats:\n    tier: 2\n"), "p.yaml")
	if err == nil || !strings.Contains(err.Error(), "p.yaml:4: plugin_config.TextStats.tier must be a string, not an integer") {
		t.Errorf("err = %v", err)
	}
}
