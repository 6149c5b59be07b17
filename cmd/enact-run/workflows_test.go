package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact/hostfns/github/githubfake"
	"github.com/enact-run/enact/hostfns/hubspot/hubspotfake"
	"github.com/enact-run/enact/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const workflows = "../../capabilities/workflows/"

// runWorkflow runs enact-run with extra environment and returns the exit
// code and the --json report.
func runWorkflow(t *testing.T, home string, env map[string]string, args ...string) (int, map[string]any, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "ENACT_HOME" {
			return home
		}
		return env[k]
	}
	code := run(context.Background(), append(args, "--json"), strings.NewReader(""), &stdout, &stderr, getenv)
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON (%v):\n%s\n%s", err, stdout.String(), stderr.String())
	}
	return code, rep, stdout.String()
}

func outputs(rep map[string]any) map[string]any { m, _ := rep["outputs"].(map[string]any); return m }

// noSecret asserts a credential never reaches a report (outputs, printed
// output, the receipt).
func noSecret(t *testing.T, raw, secret string) {
	t.Helper()
	if secret != "" && strings.Contains(raw, secret) {
		t.Fatalf("a credential reached the report: %s", raw)
	}
}

func TestAgentPRWorkflow(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Config{})
	defer fake.Close()
	home := t.TempDir()
	env := map[string]string{"GITHUB_TOKEN": fake.Token(), "GITHUB_REPOSITORY": fake.Owner() + "/" + fake.Repo(), "GITHUB_API_URL": fake.URL()}
	input := `{"branch": "agent/fix-typo", "title": "Fix typo", "message": "Fix typo in README", "files": [{"path": "README.md", "content": "hello\n"}, {"path": "docs/a.md", "content": "a\n"}]}`
	args := []string{"run", "agent_pr_workflow", "--policy", workflows + "agent_pr_workflow.policy.yaml", "--actor", "agent@acme.com", "--idempotency-key", "pr-1", "--input", input}
	mainBefore, _ := fake.Branch("main")

	code, rep, raw := runWorkflow(t, home, env, args...)
	if code != exitPass || outputs(rep)["error"] != nil {
		t.Fatalf("first run: code %d, %s", code, raw)
	}
	noSecret(t, raw, fake.Token())
	if prs := fake.PullRequests(); len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1", len(prs))
	}
	if c, ok := fake.File("agent/fix-typo", "docs/a.md"); !ok || c != "a\n" {
		t.Errorf("pushed file: %q %v", c, ok)
	}
	commits := len(fake.Log("agent/fix-typo"))

	// The retry with the same key replays the first run: nothing executes.
	code, rep, raw = runWorkflow(t, home, env, args...)
	if code != exitPass || rep["replayed"] != true {
		t.Fatalf("retry: code %d, %s", code, raw)
	}
	// A new request for the same change (another key) finds every step
	// already done: check-before-act in the connector.
	args[len(args)-3] = "pr-1-again"
	code, rep, raw = runWorkflow(t, home, env, args...)
	if code != exitPass || rep["replayed"] == true {
		t.Fatalf("second request: code %d, %s", code, raw)
	}
	if got, _ := json.Marshal(outputs(rep)["already_existed"]); string(got) != `{"branch":true,"commit":true,"pull_request":true}` {
		t.Errorf("second request already_existed = %s", got)
	}
	if len(fake.PullRequests()) != 1 || len(fake.Log("agent/fix-typo")) != commits {
		t.Errorf("the retry added side effects: %d PRs, %d commits (was %d)", len(fake.PullRequests()), len(fake.Log("agent/fix-typo")), commits)
	}

	// Pushing to main is denied by policy; main does not move.
	toMain := strings.Replace(input, "agent/fix-typo", "main", 1)
	code, rep, raw = runWorkflow(t, home, env, "run", "agent_pr_workflow", "--policy", workflows+"agent_pr_workflow.policy.yaml", "--actor", "agent@acme.com", "--input", toMain)
	if e, _ := outputs(rep)["error"].(string); code != exitPass || !strings.Contains(e, "no_push_to_main") {
		t.Errorf("push to main: code %d, %s", code, raw)
	}
	if after, _ := fake.Branch("main"); after != mainBefore || len(fake.PullRequests()) != 1 {
		t.Errorf("main moved or a PR appeared: %s -> %s", mainBefore, after)
	}

	// A contractor is not an agent: the run is blocked before it starts.
	code, _, _ = runWorkflow(t, home, env, "run", "agent_pr_workflow", "--policy", workflows+"agent_pr_workflow.policy.yaml", "--actor", "bob@contractor.example", "--input", input)
	if code != exitBlocked {
		t.Errorf("contractor: code %d, want %d", code, exitBlocked)
	}
	if code, stdout, _ := invoke(t, home, "", "receipts", "verify"); code != exitPass {
		t.Errorf("receipts: %s", stdout)
	}
}

func TestNewLeadWorkflow(t *testing.T) {
	t.Parallel()
	fake := hubspotfake.New(hubspotfake.Config{})
	defer fake.Close()
	home := t.TempDir()
	env := map[string]string{"HUBSPOT_TOKEN": fake.Token(), "HUBSPOT_BASE_URL": fake.URL()}
	input := `{"email": "jane@acme.com", "company": "Acme Inc", "firstname": "Jane", "amount": 5000}`
	args := []string{"run", "new_lead_workflow", "--policy", workflows + "new_lead_workflow.policy.yaml", "--actor", "agent@acme.com", "--idempotency-key", "lead-jane", "--input", input}

	code, rep, raw := runWorkflow(t, home, env, args...)
	if code != exitPass || outputs(rep)["error"] != nil {
		t.Fatalf("first run: code %d, %s", code, raw)
	}
	noSecret(t, raw, fake.Token())
	code, rep, raw = runWorkflow(t, home, env, args...)
	if code != exitPass || rep["replayed"] != true {
		t.Fatalf("retry: code %d, %s", code, raw)
	}
	// The same key with other inputs is refused.
	other := append([]string(nil), args...)
	other[len(other)-1] = strings.Replace(input, "5000", "6000", 1)
	if code, rep, _ = runWorkflow(t, home, env, other...); code != exitIdempotency || rep["error"].(map[string]any)["code"] != "idempotency_mismatch" {
		t.Errorf("same key, other inputs: code %d, %v", code, rep["error"])
	}
	if len(fake.Contacts()) != 1 || len(fake.Deals()) != 1 || len(fake.Tasks()) != 1 {
		t.Errorf("after a retry: %d contacts, %d deals, %d tasks; want 1 each", len(fake.Contacts()), len(fake.Deals()), len(fake.Tasks()))
	}

	// A contractor may not write a contact's personal data.
	code, rep, raw = runWorkflow(t, home, env, "run", "new_lead_workflow", "--policy", workflows+"new_lead_workflow.policy.yaml", "--actor", "bob@contractor.example", "--input", `{"email": "sam@acme.com", "company": "Sam Co"}`)
	if e, _ := outputs(rep)["error"].(string); code != exitPass || !strings.Contains(e, "contractor_cannot_write_pii") {
		t.Errorf("contractor: code %d, %s", code, raw)
	}
	// Under the strict policy an existing contact is a duplicate: denied.
	code, rep, raw = runWorkflow(t, home, env, "run", "new_lead_workflow", "--policy", workflows+"new_lead_workflow.strict.policy.yaml", "--actor", "agent@acme.com", "--input", `{"email": "JANE@acme.com", "company": "Acme Again"}`)
	if e, _ := outputs(rep)["error"].(string); code != exitPass || !strings.Contains(e, "no_duplicate_contacts") {
		t.Errorf("duplicate contact: code %d, %s", code, raw)
	}
	if len(fake.Contacts()) != 1 || len(fake.Deals()) != 1 {
		t.Errorf("denied runs wrote: %d contacts, %d deals", len(fake.Contacts()), len(fake.Deals()))
	}
}

func TestDBSafeInsertWorkflow(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t, "CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL, plan text NOT NULL)",
		"CREATE TABLE audit_log (id serial PRIMARY KEY, note text)")
	home := t.TempDir()
	env := map[string]string{"ENACT_POSTGRES_URL": dsn}
	input := `{"table": "customers", "values": {"email": "jane@acme.com", "plan": "pro"}, "unique_by": ["email"]}`
	args := []string{"run", "db_safe_insert", "--policy", workflows + "db_safe_insert.policy.yaml", "--actor", "agent@acme.com", "--idempotency-key", "row-jane", "--input", input}

	code, rep, raw := runWorkflow(t, home, env, args...)
	if code != exitPass || outputs(rep)["inserted"] != true {
		t.Fatalf("first run: code %d, %s", code, raw)
	}
	noSecret(t, raw, dsn)
	code, rep, raw = runWorkflow(t, home, env, args...)
	if code != exitPass || rep["replayed"] != true {
		t.Fatalf("retry: code %d, %s", code, raw)
	}
	// Another request for the same row (no key) finds it: check-before-act.
	code, rep, raw = runWorkflow(t, home, env, append(append([]string(nil), args[:len(args)-4]...), "--input", input)...)
	if code != exitPass || outputs(rep)["already_existed"] != true || outputs(rep)["inserted"] != false {
		t.Fatalf("second request: code %d, %s", code, raw)
	}
	count := func(table string) int {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("customers"); n != 1 {
		t.Errorf("%d rows after a retry, want 1", n)
	}
	// Denied: audit tables, and a contractor writing an email address.
	code, rep, raw = runWorkflow(t, home, env, "run", "db_safe_insert", "--policy", workflows+"db_safe_insert.policy.yaml", "--actor", "agent@acme.com", "--input", `{"table": "audit_log", "values": {"note": "x"}}`)
	if e, _ := outputs(rep)["error"].(string); code != exitPass || !strings.Contains(e, "denied") {
		t.Errorf("audit table: code %d, %s", code, raw)
	}
	code, rep, raw = runWorkflow(t, home, env, "run", "db_safe_insert", "--policy", workflows+"db_safe_insert.policy.yaml", "--actor", "bob@contractor.example", "--input", `{"table": "customers", "values": {"email": "sam@acme.com", "plan": "free"}}`)
	if e, _ := outputs(rep)["error"].(string); code != exitPass || !strings.Contains(e, "denied") {
		t.Errorf("contractor PII: code %d, %s", code, raw)
	}
	if count("customers") != 1 || count("audit_log") != 0 {
		t.Errorf("denied inserts wrote rows")
	}
}

func TestWorkflowDryRunPerformsNoWrites(t *testing.T) {
	t.Parallel()
	fake := githubfake.New(githubfake.Config{})
	defer fake.Close()
	env := map[string]string{"GITHUB_TOKEN": fake.Token(), "GITHUB_REPOSITORY": fake.Owner() + "/" + fake.Repo(), "GITHUB_API_URL": fake.URL()}
	input := `{"branch": "agent/dry", "title": "Dry", "message": "Dry run", "files": [{"path": "a.txt", "content": "a"}]}`
	code, rep, raw := runWorkflow(t, t.TempDir(), env, "run", "agent_pr_workflow", "--policy", workflows+"agent_pr_workflow.policy.yaml", "--actor", "agent@acme.com", "--dry-run", "--input", input)
	if code != exitPass {
		t.Fatalf("code %d: %s", code, raw)
	}
	actions, _ := rep["actions"].([]any)
	if len(actions) != 3 {
		t.Fatalf("planned actions: %v", actions)
	}
	for _, a := range actions {
		if m := a.(map[string]any); m["planned"] != true || m["decision"] != "allowed" {
			t.Errorf("action %v is not a planned, allowed write", m)
		}
	}
	if _, ok := fake.Branch("agent/dry"); ok || len(fake.PullRequests()) != 0 {
		t.Error("a dry run wrote to GitHub")
	}
}

// A configured database that is down does not stop a run that never uses
// it; a run that does is refused before anything runs.
func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ENACT_POSTGRES_URL": "postgres://enact:s3cret-pw@127.0.0.1:1/none?connect_timeout=2"}
	home := t.TempDir()
	if code, _, raw := runWorkflow(t, home, env, "run", "TemperatureConverter", "--input", `{"celsius": 1}`); code != exitPass {
		t.Errorf("a run without postgres actions: code %d, %s", code, raw)
	}
	code, rep, raw := runWorkflow(t, home, env, "run", "db_safe_insert", "--policy", workflows+"db_safe_insert.policy.yaml", "--actor", "agent@acme.com", "--input", `{"table": "t", "values": {"a": 1}}`)
	if code != exitInternal || !strings.Contains(raw, "unavailable") {
		t.Errorf("db_safe_insert with the database down: code %d, %v", code, rep["error"])
	}
	noSecret(t, raw, "s3cret-pw")
}
