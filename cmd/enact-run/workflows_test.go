package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact/hostfns/github/githubfake"
	"github.com/enact-run/enact/hostfns/hubspot/hubspotfake"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/internal/testcache"
	"github.com/enact-run/enact/runtime"
)

func TestMain(m *testing.M) {
	testCacheDir = testcache.Dir()
	code := m.Run()
	pgtest.Stop()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if crashBin.dir != "" {
		_ = os.RemoveAll(crashBin.dir)
	}
	stopRegistry()
	os.Exit(code)
}

// testCacheDir is the compilation cache every test's runner shares
// (ENACT_CACHE_DIR): the module's shared test cache (internal/testcache),
// so that the interpreters are compiled once, not once per ENACT_HOME or
// package.
var testCacheDir string

// testEnv is the environment of an in-process run: ENACT_HOME is home,
// ENACT_CACHE_DIR the package's shared cache, anything else from env.
func testEnv(home string, env map[string]string) func(string) string {
	return func(k string) string {
		switch k {
		case "ENACT_HOME":
			return home
		case "ENACT_CACHE_DIR":
			return testCacheDir
		}
		return env[k]
	}
}

// testContext is the context of an in-process command (run): in a test,
// it carries the engine hook, so the command runs on sharedEngine instead
// of creating and preparing an engine of its own (see engineHook); a
// benchmark gets none, since it measures whole commands, the engine's
// preparation included.
func testContext(tb testing.TB) context.Context {
	if _, ok := tb.(*testing.B); ok {
		return context.Background()
	}
	return context.WithValue(context.Background(), engineHookKey{}, engineHook(shareEngine))
}

// sharedEngine is the engine of every in-process command that shareEngine
// accepts: configured as each would configure its own
// (runtime.Config{CacheDir: testCacheDir}), created on first use and never
// closed.
var sharedEngine = sync.OnceValues(func() (*runtime.Engine, error) {
	return runtime.New(runtime.Config{CacheDir: testCacheDir})
})

// shareEngine is the tests' engineHook. It declines (nil: the command
// creates its own engine) another compilation cache than the tests' one,
// and a policy file that mentions plugin_config, whose answers
// sharedEngine, which has no PluginConfig, would not give.
func shareEngine(cache, policyPath string) *runtime.Engine {
	if cache != testCacheDir {
		return nil
	}
	text := defaultPolicy
	if policyPath != "" {
		var err error
		if text, err = os.ReadFile(policyPath); err != nil {
			return nil
		}
	}
	if bytes.Contains(text, []byte("plugin_config")) {
		return nil
	}
	e, err := sharedEngine()
	if err != nil {
		return nil
	}
	return e
}

const workflows = "../../capabilities/workflows/"

// runWorkflow runs enact-run with extra environment and returns the exit
// code and the --json report.
func runWorkflow(t *testing.T, home string, env map[string]string, args ...string) (int, map[string]any, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := testEnv(home, env)
	code := run(testContext(t), append(args, "--json"), strings.NewReader(""), &stdout, &stderr, getenv)
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON (%v):\n%s\n%s", err, stdout.String(), stderr.String())
	}
	return code, rep, stdout.String()
}

func outputs(rep map[string]any) map[string]any { m, _ := rep["outputs"].(map[string]any); return m }

// runError is the message of a failed run's error in its report: for a
// workflow whose action was denied or failed, the action's code and reason.
func runError(rep map[string]any) string {
	e, _ := rep["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

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

	// Without GitHub configured the runner says what to set, and is not a
	// policy BLOCK; the key stays free, so the same request runs once the
	// connector is configured.
	code, rep, raw := runWorkflow(t, home, nil, args...)
	if e, _ := rep["error"].(map[string]any); code != exitConfig || e["code"] != "not_configured" ||
		!strings.Contains(e["message"].(string), "GITHUB_TOKEN") || rep["receipt_id"] != "" {
		t.Fatalf("without GitHub configured: code %d, %s", code, raw)
	}
	if prs := fake.PullRequests(); len(prs) != 0 {
		t.Fatalf("%d pull requests before GitHub was configured", len(prs))
	}

	code, rep, raw = runWorkflow(t, home, env, args...)
	if code != exitPass || outputs(rep)["error"] != nil || rep["replayed"] == true {
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
	if e := runError(rep); code != exitFailed || !strings.Contains(e, "no_push_to_main") {
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
	if e := runError(rep); code != exitFailed || !strings.Contains(e, "contractor_cannot_write_pii") {
		t.Errorf("contractor: code %d, %s", code, raw)
	}
	// Under the strict policy an existing contact is a duplicate: denied.
	code, rep, raw = runWorkflow(t, home, env, "run", "new_lead_workflow", "--policy", workflows+"new_lead_workflow.strict.policy.yaml", "--actor", "agent@acme.com", "--input", `{"email": "JANE@acme.com", "company": "Acme Again"}`)
	if e := runError(rep); code != exitFailed || !strings.Contains(e, "no_duplicate_contacts") {
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
	if e := runError(rep); code != exitFailed || !strings.Contains(e, "denied") {
		t.Errorf("audit table: code %d, %s", code, raw)
	}
	code, rep, raw = runWorkflow(t, home, env, "run", "db_safe_insert", "--policy", workflows+"db_safe_insert.policy.yaml", "--actor", "bob@contractor.example", "--input", `{"table": "customers", "values": {"email": "sam@acme.com", "plan": "free"}}`)
	if e := runError(rep); code != exitFailed || !strings.Contains(e, "denied") {
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

// TestHostilePostgresSharedStoreWorkflow: the receipt store and the
// connector share one database, as ENACT_STORE_URL = ENACT_POSTGRES_URL
// makes them. The shipped db_safe_insert cannot plant a forged run key in
// the store's schema nor write the audit table under another spelling; the
// receipt records the resolved table; the superuser role draws a warning
// on stderr, and ENACT_POSTGRES_STRICT=1 refuses to start with it.
func TestHostilePostgresSharedStoreWorkflow(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t, "CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL, plan text NOT NULL)",
		"CREATE TABLE audit_log (id serial PRIMARY KEY, note text)")
	home := t.TempDir()
	env := map[string]string{"ENACT_POSTGRES_URL": dsn, "ENACT_STORE_URL": dsn}
	runDB := func(env map[string]string, input string) (int, map[string]any, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		getenv := testEnv(home, env)
		code := run(testContext(t), []string{"run", "db_safe_insert", "--policy", workflows + "db_safe_insert.policy.yaml",
			"--actor", "agent@acme.com", "--input", input, "--json"}, strings.NewReader(""), &stdout, &stderr, getenv)
		var rep map[string]any
		_ = json.Unmarshal(stdout.Bytes(), &rep)
		return code, rep, stdout.String(), stderr.String()
	}
	query := func(sql string) int {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The first run creates the store's schema (and is allowed).
	code, rep, raw, _ := runDB(env, `{"table": "PUBLIC.CUSTOMERS", "values": {"email": "jane@acme.com", "plan": "pro"}}`)
	if code != exitPass || outputs(rep)["inserted"] != true {
		t.Fatalf("allowed insert: code %d, %s", code, raw)
	}
	if got := receiptTarget(rep); fmt.Sprint(got) != "map[columns:[email plan] name:customers schema:public table:public.customers]" {
		t.Errorf("the receipt records target %v, want public.customers: %s", got, raw)
	}
	keys := query("SELECT count(*) FROM enact.run_keys")
	forged := `{"key": "agent@acme.com|stolen", "digest": "sha256:00", "run_id": "forged", "state": "finished", "result": "\\x7b7d", "owner": "x", "created": 1, "updated": 1}`
	for _, input := range []string{
		`{"table": "enact.run_keys", "values": ` + forged + `}`,
		`{"table": "ENACT.run_keys", "values": ` + forged + `}`,
		`{"table": "enact.receipts", "values": {"seq": 99, "run_id": "forged", "hash": "h", "actor": "a", "capability": "c", "decision": "PASS", "timestamp": "t", "envelope": "\\x00"}}`,
	} {
		code, rep, raw, stderr := runDB(env, input)
		if e := runError(rep); code != exitFailed || !strings.Contains(e, "invalid_args") || !strings.Contains(e, "Enact's own records") {
			t.Errorf("%s: code %d, %s", input, code, raw)
		}
		if !strings.Contains(stderr, "WARNING: postgres connector") || !strings.Contains(stderr, "superuser") {
			t.Errorf("no warning about the superuser role on stderr: %q", stderr)
		}
		noSecret(t, stderr, dsn)
	}
	for _, table := range []string{"audit_log", "public.audit_log", "PUBLIC.AUDIT_LOG", "Public.Audit_Log"} {
		code, rep, raw, _ := runDB(env, `{"table": "`+table+`", "values": {"note": "forged"}}`)
		if e := runError(rep); code != exitFailed || !strings.Contains(e, "denied") {
			t.Errorf("%s: code %d, %s", table, code, raw)
		}
		if got := receiptTarget(rep); got["table"] != "public.audit_log" {
			t.Errorf("%s: the receipt records target %v, want public.audit_log", table, got)
		}
	}
	if n := query("SELECT count(*) FROM enact.run_keys WHERE run_id = 'forged'") + query("SELECT count(*) FROM enact.receipts WHERE run_id = 'forged'"); n != 0 {
		t.Errorf("%d forged store records", n)
	}
	if n := query("SELECT count(*) FROM enact.run_keys"); n != keys {
		t.Errorf("run keys went from %d to %d", keys, n)
	}
	if n := query("SELECT count(*) FROM audit_log"); n != 0 {
		t.Errorf("%d forged audit rows", n)
	}
	strict := map[string]string{"ENACT_POSTGRES_URL": dsn, "ENACT_STORE_URL": dsn, "ENACT_POSTGRES_STRICT": "1"}
	code, _, raw, stderr := runDB(strict, `{"table": "customers", "values": {"email": "sam@acme.com", "plan": "free"}}`)
	if code != exitInternal || !strings.Contains(raw+stderr, "refusing to start") {
		t.Errorf("strict with a superuser role: code %d, %s %s", code, raw, stderr)
	}
	noSecret(t, raw+stderr, dsn)
	if n := query("SELECT count(*) FROM customers"); n != 1 {
		t.Errorf("customers has %d rows, want 1", n)
	}
}

// receiptTarget is the target the receipt of a --json report records for
// its first action.
func receiptTarget(rep map[string]any) map[string]any {
	r, _ := rep["receipt"].(map[string]any)
	body, _ := r["body"].(map[string]any)
	actions, _ := body["actions"].([]any)
	if len(actions) == 0 {
		return nil
	}
	a, _ := actions[0].(map[string]any)
	target, _ := a["target"].(map[string]any)
	return target
}
