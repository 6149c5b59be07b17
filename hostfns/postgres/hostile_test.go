package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
	"github.com/enact-run/enact/internal/pgtest"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// The hostile tests of issue 10, class 4: the connector reaches only what
// the configuration allows (never the receipt store's schema, never a
// system catalog), and policies judge the table an action reaches, by its
// resolved name, not by the spelling the guest chose.

// sharedDB is a database holding a real receipt store (schema enact,
// created by its migrations) and application tables, as when
// ENACT_STORE_URL and ENACT_POSTGRES_URL name the same database.
func sharedDB(t *testing.T, setup ...string) (dsn string, store *receipts.PostgresStore) {
	t.Helper()
	dsn = pgtest.NewDatabase(t, `
CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL, plan text NOT NULL DEFAULT 'free');
CREATE TABLE audit_log (id serial PRIMARY KEY, note text);
CREATE TABLE "Audit_Log" (id serial PRIMARY KEY, note text);
CREATE SCHEMA archive;
CREATE TABLE archive.audit_log (id serial PRIMARY KEY, note text);
CREATE TABLE archive.customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL, plan text NOT NULL DEFAULT 'free');
`)
	signer, err := receipts.NewHMACSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	store, err = receipts.OpenPostgres(context.Background(), dsn, []receipts.Signer{signer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, sql := range setup {
		sqlExec(t, dsn, sql)
	}
	// A run key the store holds: a forged one would sit beside it.
	sqlExec(t, dsn, `INSERT INTO enact.run_keys (key, digest, run_id, state, result, owner, created, updated)
		VALUES ('actor-a|k1', 'sha256:aa', 'run-a', 'finished', '{"outputs":{"secret":"of actor a"}}', 'o', 1, 1)`)
	return dsn, store
}

// gateRun starts a run through a real gate: the postgres connector on dsn
// and the receipt store, under the policy file's text.
func gateRun(t *testing.T, c *postgres.Connector, store receipts.Store, policyText, actions string) *hostfns.Run {
	t.Helper()
	p, err := policy.Load([]byte(policyText), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{c}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	doc := "enact: 1.0.0\nid: Hostile\ndescription: hostile\nx-enact:\n  actions: [" + actions + "]\n" +
		"tasks:\n  - id: t\n    type: script\n    language: python\n    code: |\n      return {}\n"
	capability, err := capabilities.Load([]byte(doc), "hostile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Begin(hostfns.RunInfo{Capability: capability, Actor: policy.Actor{Email: "agent@acme.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if run.Blocked() {
		t.Fatalf("run blocked: %+v", run.PolicyResults())
	}
	return run
}

// finish seals the run and returns its receipt's actions.
func finish(t *testing.T, run *hostfns.Run) []receipts.Action {
	t.Helper()
	env, err := run.Finish(context.Background(), hostfns.RunOutcome{})
	if err != nil {
		t.Fatal(err)
	}
	var body receipts.Receipt
	if err := json.Unmarshal(env.Body, &body); err != nil {
		t.Fatal(err)
	}
	return body.Actions
}

func handle(t *testing.T, run *hostfns.Run, action, args string) hostfns.Reply {
	t.Helper()
	var r hostfns.Reply
	b := run.Handle(context.Background(), []byte(fmt.Sprintf(`{"action": %q, "args": %s}`, action, args)))
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("reply %s: %v", b, err)
	}
	return r
}

const (
	allowAll    = "version: 1\nallow: [postgres.*]\n"
	everyAction = "postgres.insert_row, postgres.update_row, postgres.delete_row, postgres.select_rows, postgres.count_rows"
)

// storeState is everything in the store's schema, as text: nothing a
// guest does may change it.
func storeState(t *testing.T, dsn string) string {
	return sqlValue[string](t, dsn, `SELECT concat_ws('|',
		(SELECT string_agg(concat_ws(',', key, digest, run_id, state, encode(result, 'escape'), owner), ';' ORDER BY key) FROM enact.run_keys),
		(SELECT count(*) FROM enact.receipts), (SELECT count(*) FROM enact.journal), (SELECT count(*) FROM enact.runs),
		(SELECT seq || hash FROM enact.head), (SELECT count(*) FROM enact.counter_events),
		(SELECT count(*) FROM enact.schema_migrations))`)
}

// TestHostilePostgresStoreSchemaUnreachable: with the receipt store in the
// connector's database, no spelling of any action reaches schema enact or
// a system catalog: reading other actors' stored outputs, planting a
// forged "finished" run key, rewriting the chain head, all are refused
// before any policy or SQL runs, and the store is unchanged.
func TestHostilePostgresStoreSchemaUnreachable(t *testing.T) {
	t.Parallel()
	dsn, store := sharedDB(t, `
CREATE VIEW keys_view AS SELECT key, state, result FROM enact.run_keys;
CREATE VIEW keys_view2 AS SELECT * FROM keys_view;
CREATE VIEW roles_view AS SELECT rolname FROM pg_catalog.pg_authid;
CREATE VIEW plain_view AS SELECT id, email FROM customers;`)
	before := storeState(t, dsn)
	c, err := postgres.New(context.Background(), postgres.Config{DSN: dsn, Reserved: []string{receipts.PostgresSchema}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	run := gateRun(t, c, store, allowAll, everyAction)

	forged := `{"key": "actor-a|k2", "digest": "sha256:bb", "run_id": "forged", "state": "finished", "result": "\\x7b7d", "owner": "o", "created": 1, "updated": 1}`
	attacks := []struct{ action, args, want string }{
		// The store's own tables, every spelling.
		{"select_rows", `{"table": "enact.run_keys"}`, `holds Enact's own records`},
		{"select_rows", `{"table": "\"enact\".\"receipts\""}`, `holds Enact's own records`},
		{"count_rows", `{"table": "ENACT.JOURNAL"}`, `holds Enact's own records`},
		{"select_rows", `{"table": "Enact.runs", "columns": ["meta"]}`, `holds Enact's own records`},
		{"insert_row", `{"table": "enact.run_keys", "values": ` + forged + `}`, `holds Enact's own records`},
		{"insert_row", `{"table": "\"enact\".run_keys", "values": ` + forged + `}`, `holds Enact's own records`},
		{"update_row", `{"table": "enact.run_keys", "values": {"result": "\\x7b7d"}, "where": {"key": "actor-a|k1"}}`, `holds Enact's own records`},
		{"update_row", `{"table": "enact.head", "values": {"seq": 0, "hash": ""}, "where": {"id": 1}}`, `holds Enact's own records`},
		{"delete_row", `{"table": "enact.schema_migrations", "where": {"version": 2}}`, `holds Enact's own records`},
		{"count_rows", `{"table": "enact.counter_events"}`, `holds Enact's own records`},
		// Views in an allowed schema that read the store or a catalog,
		// directly or through another view.
		{"select_rows", `{"table": "keys_view"}`, `reads enact.run_keys`},
		{"select_rows", `{"table": "public.keys_view2"}`, `reads enact.run_keys`},
		{"count_rows", `{"table": "roles_view"}`, `reads pg_catalog.pg_authid`},
		// System catalogs.
		{"select_rows", `{"table": "pg_catalog.pg_authid"}`, `system schema`},
		{"select_rows", `{"table": "pg_catalog.pg_shadow"}`, `system schema`},
		{"select_rows", `{"table": "PG_CATALOG.PG_CLASS", "columns": ["relname"]}`, `system schema`},
		{"select_rows", `{"table": "\"pg_catalog\".\"pg_class\""}`, `system schema`},
		{"count_rows", `{"table": "information_schema.tables"}`, `system schema`},
		{"select_rows", `{"table": "pg_toast.pg_toast_1262"}`, `system schema`},
		{"select_rows", `{"table": "pg_temp.anything"}`, `system schema`},
		{"select_rows", `{"table": "\"PG_CATALOG\".pg_class"}`, `not among the schemas`},
		// A schema the configuration does not allow, and names that
		// PostgreSQL would truncate or that use other syntax.
		{"select_rows", `{"table": "archive.customers"}`, `not among the schemas`},
		{"select_rows", `{"table": "enact.run_keys_` + strings.Repeat("x", 60) + `"}`, `longer than 63 bytes`},
		{"select_rows", `{"table": "U&\"enact\".run_keys"}`, `not a table name`},
		{"select_rows", `{"table": "db.enact.run_keys"}`, `at most two parts`},
		{"select_rows", `{"table": "enact . run_keys"}`, `not a table name`},
	}
	for _, a := range attacks {
		r := handle(t, run, "postgres."+a.action, a.args)
		if r.OK || r.Error.Code != hostfns.CodeInvalidArgs || !strings.Contains(r.Error.Message, a.want) {
			t.Errorf("%s %s: reply ok=%v %+v, want invalid_args mentioning %q", a.action, a.args, r.OK, r.Error, a.want)
		}
		// Call (what a policy's fact lookup and recovery's Check use)
		// refuses the same.
		if _, _, err := call(t, c, a.action, a.args); code(err) != hostfns.CodeInvalidArgs {
			t.Errorf("Call %s %s: %v, want invalid_args", a.action, a.args, err)
		}
	}
	// A plain view over an allowed table stays usable.
	if r := handle(t, run, "postgres.count_rows", `{"table": "plain_view"}`); !r.OK {
		t.Errorf("plain view: %+v", r.Error)
	}
	if got := storeState(t, dsn); got != before {
		t.Errorf("the store changed:\n was %s\n now %s", before, got)
	}
	acts := finish(t, run)
	if len(acts) != len(attacks)+1 {
		t.Fatalf("the receipt has %d actions, want %d", len(acts), len(attacks)+1)
	}
	for i, a := range acts[:len(attacks)] {
		if a.Decision != receipts.ActionDenied || a.Error == nil || !strings.Contains(a.Error.Message, "resolving the names") || a.Target != nil || len(a.PolicyResults) != 0 {
			t.Errorf("receipt action %d (%s): %+v, want denied while resolving, before any policy", i+1, attacks[i].args, a)
		}
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM enact.run_keys WHERE run_id = 'forged'`); n != 0 {
		t.Errorf("%d forged run keys", n)
	}

	// No configuration makes the store or a catalog reachable.
	for _, cfg := range []postgres.Config{
		{Schemas: []string{"public", "enact"}},
		{Schemas: []string{"enact"}},
		{Tables: map[string][]string{"enact.run_keys": {"key", "state", "result"}}},
		{Tables: map[string][]string{"\"enact\".run_keys": {"key"}}},
		{Schemas: []string{"public", "pg_catalog"}},
		{Tables: map[string][]string{"information_schema.tables": {"table_name"}}},
		{Schemas: []string{"public", "archive"}, Reserved: []string{"archive"}},
		{Schemas: []string{"public"}, Tables: map[string][]string{"archive.audit_log": {"id"}}},
	} {
		cfg.DSN = dsn
		if c, err := postgres.New(context.Background(), cfg); err == nil {
			c.Close()
			t.Errorf("config %+v was accepted", cfg)
		}
	}
}

// TestHostilePostgresSpellingsResolveToOneTable: the shipped db_safe_insert
// policy denies the audit tables; every spelling of audit_log (qualified,
// quoted, upper case), the quoted "Audit_Log", and the same-named table of
// another allowed schema are denied alike, the receipt records the table
// resolved, and nothing is written. The allowed insert records its
// canonical name.
func TestHostilePostgresSpellingsResolveToOneTable(t *testing.T) {
	t.Parallel()
	dsn, store := sharedDB(t)
	shipped, err := os.ReadFile("../../capabilities/workflows/db_safe_insert.policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := postgres.New(context.Background(), postgres.Config{DSN: dsn, Schemas: []string{"public", "archive"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	run := gateRun(t, c, store, string(shipped), "postgres.insert_row, postgres.select_rows")

	denied := []struct{ table, target string }{
		{`audit_log`, "public.audit_log"},
		{`public.audit_log`, "public.audit_log"},
		{`"public"."audit_log"`, "public.audit_log"},
		{`PUBLIC.AUDIT_LOG`, "public.audit_log"},
		{`Public."audit_log"`, "public.audit_log"},
		{`"Audit_Log"`, `public."Audit_Log"`},
		{`public."Audit_Log"`, `public."Audit_Log"`},
		{`archive.audit_log`, "archive.audit_log"},
		{`ARCHIVE."audit_log"`, "archive.audit_log"},
	}
	for _, d := range denied {
		tj, _ := json.Marshal(d.table)
		r := handle(t, run, "postgres.insert_row", `{"table": `+string(tj)+`, "values": {"note": "forged audit row"}}`)
		if r.OK || r.Error.Code != hostfns.CodeDenied || !strings.Contains(r.Error.Message, "no_audit_tables") {
			t.Errorf("insert into %s: ok=%v %+v, want denied by no_audit_tables", d.table, r.OK, r.Error)
		}
	}
	// Spellings that name no table are refused, not judged.
	for _, table := range []string{`"AUDIT_LOG"`, `"public.audit_log"`, `public.audit_log"`} {
		tj, _ := json.Marshal(table)
		if r := handle(t, run, "postgres.insert_row", `{"table": `+string(tj)+`, "values": {"note": "x"}}`); r.OK || r.Error.Code != hostfns.CodeInvalidArgs {
			t.Errorf("insert into %s: ok=%v %+v, want invalid_args", table, r.OK, r.Error)
		}
	}
	r := handle(t, run, "postgres.insert_row", `{"table": "PUBLIC.CUSTOMERS", "values": {"email": "jane@acme.com"}}`)
	if !r.OK {
		t.Fatalf("allowed insert: %+v", r.Error)
	}
	r = handle(t, run, "postgres.select_rows", `{"table": "\"archive\".\"customers\"", "columns": ["email", "id"], "order_by": ["id"]}`)
	if !r.OK {
		t.Fatalf("allowed select: %+v", r.Error)
	}

	acts := finish(t, run)
	for i, d := range denied {
		a := acts[i]
		if a.Decision != receipts.ActionDenied || a.Target["table"] != d.target {
			t.Errorf("receipt action %d (%s): decision %s, target %v; want denied, table %s", i+1, d.table, a.Decision, a.Target, d.target)
		}
	}
	ins, sel := acts[len(acts)-2], acts[len(acts)-1]
	wantIns := map[string]any{"table": "public.customers", "schema": "public", "name": "customers", "columns": []any{"email"}}
	wantSel := map[string]any{"table": "archive.customers", "schema": "archive", "name": "customers", "columns": []any{"email", "id"}}
	if ins.Decision != receipts.ActionAllowed || fmt.Sprint(ins.Target) != fmt.Sprint(wantIns) {
		t.Errorf("allowed insert: %s, target %v; want %v", ins.Decision, ins.Target, wantIns)
	}
	if sel.Decision != receipts.ActionAllowed || fmt.Sprint(sel.Target) != fmt.Sprint(wantSel) {
		t.Errorf("allowed select: %s, target %v; want %v", sel.Decision, sel.Target, wantSel)
	}
	n := sqlValue[int64](t, dsn, `SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM "Audit_Log") + (SELECT count(*) FROM archive.audit_log)`)
	if n != 0 {
		t.Errorf("%d forged audit rows", n)
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM customers WHERE email = 'jane@acme.com'`); n != 1 {
		t.Errorf("the allowed insert wrote %d rows", n)
	}
}

// TestHostilePostgresPolicyOnArgsSeesCanonicalNames: a rule an operator
// wrote against action.args.table with the unqualified name (the default
// schema) holds for every spelling, because the policy judges the
// canonical arguments; and a rule on another schema's table holds for the
// qualified spellings of it.
func TestHostilePostgresPolicyOnArgsSeesCanonicalNames(t *testing.T) {
	t.Parallel()
	dsn, store := sharedDB(t)
	c, err := postgres.New(context.Background(), postgres.Config{DSN: dsn, Tables: map[string][]string{
		"customers": {"id", "email", "plan"}, "audit_log": {"id", "note"}, "archive.customers": {"id", "email"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	run := gateRun(t, c, store, allowAll+`rules:
  - name: no_audit_log
    deny_if: action.args.table == "audit_log"
    reason: audit_log is the database's
  - name: no_archive_writes
    deny_if: action.args.table == "archive.customers" && !(action.id in ["postgres.select_rows", "postgres.count_rows"])
    reason: the archive is read-only
  - name: customers_by_target
    when: action.target.name == "customers"
    deny_if: action.target.schema != "public" && action.id == "postgres.delete_row"
    reason: no deletes outside public
`, everyAction)
	for _, table := range []string{"audit_log", "public.audit_log", `"public"."audit_log"`, "PUBLIC.Audit_Log"} {
		tj, _ := json.Marshal(table)
		if r := handle(t, run, "postgres.insert_row", `{"table": `+string(tj)+`, "values": {"note": "x"}}`); r.OK || r.Error.Code != hostfns.CodeDenied {
			t.Errorf("insert into %s: ok=%v %+v, want denied", table, r.OK, r.Error)
		}
	}
	for _, table := range []string{"archive.customers", `"archive"."customers"`, "ARCHIVE.CUSTOMERS"} {
		tj, _ := json.Marshal(table)
		if r := handle(t, run, "postgres.insert_row", `{"table": `+string(tj)+`, "values": {"email": "x@y.z"}}`); r.OK || r.Error.Code != hostfns.CodeDenied {
			t.Errorf("insert into %s: ok=%v %+v, want denied", table, r.OK, r.Error)
		}
		if r := handle(t, run, "postgres.delete_row", `{"table": `+string(tj)+`, "where": {"id": 1}}`); r.OK || r.Error.Code != hostfns.CodeDenied || !strings.Contains(r.Error.Message, "no deletes outside public") {
			t.Errorf("delete from %s: ok=%v %+v, want denied by customers_by_target", table, r.OK, r.Error)
		}
		if r := handle(t, run, "postgres.count_rows", `{"table": `+string(tj)+`}`); !r.OK {
			t.Errorf("count %s: %+v", table, r.Error)
		}
	}
	finish(t, run)
	if n := sqlValue[int64](t, dsn, `SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM archive.customers)`); n != 0 {
		t.Errorf("%d rows written past the rules", n)
	}
}

// TestHostilePostgresSearchPathIsTheConnectors: a DSN or a role that sets
// search_path to the store's schema changes nothing: an unqualified name
// means the default schema, never what search_path would find first.
func TestHostilePostgresSearchPathIsTheConnectors(t *testing.T) {
	t.Parallel()
	dsn, _ := sharedDB(t, `CREATE TABLE public.accounts (id int PRIMARY KEY, v text);
CREATE TABLE enact.accounts (id int PRIMARY KEY, v text);
INSERT INTO enact.accounts VALUES (1, 'store side');`)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The role's own setting for this database (dropped with it).
	sqlExec(t, dsn, `ALTER ROLE CURRENT_USER IN DATABASE `+pgIdent(strings.TrimPrefix(u.Path, "/"))+` SET search_path = enact, public`)
	q := u.Query()
	q.Set("search_path", "enact,public")
	withParam := *u
	withParam.RawQuery = q.Encode()
	q = u.Query()
	q.Set("options", "-c search_path=enact")
	withOptions := *u
	withOptions.RawQuery = q.Encode()
	for name, d := range map[string]string{"search_path param": withParam.String(), "options": withOptions.String(), "role setting": dsn} {
		c, err := postgres.New(context.Background(), postgres.Config{DSN: d})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, _, err := call(t, c, "select_rows", `{"table": "run_keys"}`); code(err) != hostfns.CodeInvalidArgs || !strings.Contains(err.Error(), "public.run_keys") {
			t.Errorf("%s: run_keys: %v, want public.run_keys to be missing", name, err)
		}
		must(t, c, "insert_row", `{"table": "accounts", "values": {"id": 1, "v": "public side"}}`)
		m, _ := must(t, c, "select_rows", `{"table": "accounts"}`)
		if rows := rowsOf(t, m); len(rows) != 1 || rows[0]["v"] != "public side" {
			t.Errorf("%s: accounts is %v, want public.accounts", name, rows)
		}
		c.Close()
	}
	if v := sqlValue[string](t, dsn, `SELECT string_agg(v, ',') FROM enact.accounts`); v != "store side" {
		t.Errorf("enact.accounts is %q", v)
	}
}

// TestHostilePostgresRolePrivilegesOnTheStore: New reports (or, strict,
// refuses) a role that can reach the store's schema: a superuser, a role
// granted USAGE and SELECT on the store's tables, and a role granted only
// a table privilege; a role of its own passes.
func TestHostilePostgresRolePrivilegesOnTheStore(t *testing.T) {
	t.Parallel()
	dsn, _ := sharedDB(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	suffix := db // unique per test database
	newRole := func(name, grants string) string {
		role := strings.ToLower(name + "_" + suffix)
		sqlExec(t, dsn, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'pw'; GRANT CONNECT ON DATABASE %s TO %s;
GRANT USAGE ON SCHEMA public TO %s; GRANT SELECT, INSERT ON public.customers TO %s; GRANT USAGE ON SEQUENCE public.customers_id_seq TO %s; %s`, role, pgIdent(db), role, role, role, role, grants))
		t.Cleanup(func() { sqlExec(t, dsn, fmt.Sprintf(`DROP OWNED BY %s; DROP ROLE %s`, role, role)) })
		r := *u
		r.User = url.UserPassword(role, "pw")
		return r.String()
	}
	cases := []struct {
		name, dsn string
		want      []string // in the warning; none for a clean role
	}{
		{"superuser", dsn, []string{"superuser", `"enact"`, "run_keys"}},
		{"reader", newRole("reader", "GRANT USAGE ON SCHEMA enact TO reader_"+suffix+"; GRANT SELECT ON enact.run_keys, enact.receipts TO reader_"+suffix), []string{"USAGE on the schema", "receipts, run_keys", "REVOKE ALL ON SCHEMA"}},
		{"writer", newRole("writer", "GRANT INSERT ON enact.run_keys TO writer_"+suffix), []string{"privileges on its relations run_keys"}},
		{"creator", newRole("creator", "GRANT CREATE ON SCHEMA enact TO creator_"+suffix), []string{"CREATE on the schema"}},
		{"own", newRole("own", ""), nil},
	}
	for _, tc := range cases {
		c, err := postgres.New(context.Background(), postgres.Config{DSN: tc.dsn})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		warnings := strings.Join(c.Warnings(), "\n")
		c.Close()
		if len(tc.want) == 0 && warnings != "" {
			t.Errorf("%s: warnings %q, want none", tc.name, warnings)
		}
		for _, w := range tc.want {
			if !strings.Contains(warnings, w) {
				t.Errorf("%s: warnings %q do not mention %q", tc.name, warnings, w)
			}
		}
		if strings.Contains(warnings, "pw@") {
			t.Errorf("%s: a warning holds the DSN", tc.name)
		}
		c, err = postgres.New(context.Background(), postgres.Config{DSN: tc.dsn, StrictPrivileges: true})
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%s: strict: %v", tc.name, err)
			} else {
				// The clean role works: it reaches what it was granted.
				must(t, c, "insert_row", `{"table": "customers", "values": {"email": "own@x.io"}}`)
				c.Close()
			}
			continue
		}
		if err == nil {
			c.Close()
			t.Errorf("%s: strict: accepted", tc.name)
		} else if !strings.Contains(err.Error(), "refusing to start") || !strings.Contains(err.Error(), "enact") {
			t.Errorf("%s: strict: %v", tc.name, err)
		}
	}
}

func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// TestHostilePostgresArgumentKeysAreExact: encoding/json would match
// "TABLE" or "Where" to the fields table and where and ignore a trailing
// "}"; the connector (Call, Check and Resolve alike) refuses them, so a
// second spelling of an argument can never carry another table or filter
// than the one a policy judged.
func TestHostilePostgresArgumentKeysAreExact(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{})
	for _, tc := range []struct{ action, args string }{
		{"select_rows", `{"TABLE": "canary"}`},
		{"select_rows", `{"table": "canary"}}`},
		{"select_rows", `{"table": "canary"} {"table": "accounts"}`},
		{"delete_row", `{"table": "canary", "Where": {"id": 1}}`},
		{"delete_row", `{"table": "canary", "where": {"id": 1}, "WHERE": {"id": 2}}`},
		{"update_row", `{"table": "canary", "values": {"v": "x"}, "where": {"id": 1}, "Table": "accounts"}`},
		{"insert_row", `{"table": "canary", "Values": {"v": "x"}}`},
		{"select_rows", `{"table": "canary", "order_by": [{"COLUMN": "id"}]}`},
	} {
		if _, _, err := call(t, c, tc.action, tc.args); code(err) != hostfns.CodeInvalidArgs {
			t.Errorf("Call %s %s: %v, want invalid_args", tc.action, tc.args, err)
		}
		if _, err := c.Resolve(context.Background(), tc.action, json.RawMessage(tc.args)); code(err) != hostfns.CodeInvalidArgs {
			t.Errorf("Resolve %s %s: %v, want invalid_args", tc.action, tc.args, err)
		}
		if tc.action != "select_rows" {
			if _, err := c.Check(context.Background(), tc.action, json.RawMessage(tc.args), hostfns.CallOptions{}); code(err) != hostfns.CodeInvalidArgs {
				t.Errorf("Check %s %s: %v, want invalid_args", tc.action, tc.args, err)
			}
		}
	}
	if v := sqlValue[string](t, dsn, `SELECT string_agg(v, ',' ORDER BY id) FROM canary`); v != "row 1,row 2,row 3,row 4,row 5" {
		t.Errorf("canary changed: %s", v)
	}
}
