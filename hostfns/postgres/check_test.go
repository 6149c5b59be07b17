package postgres_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
)

// Recovery asks the connector whether a write took effect; the contract
// then holds it to Check's rules.
var _ hostfns.Checker = (*postgres.Connector)(nil)

// check asks whether an action took effect, failing the test on error.
func check(t testing.TB, c *postgres.Connector, action, args string) hostfns.CheckResult {
	t.Helper()
	res, err := c.Check(context.Background(), action, json.RawMessage(args), hostfns.CallOptions{IdempotencyKey: "run-1:1"})
	if err != nil {
		t.Fatalf("check %s %s: %v", action, args, err)
	}
	if res.Evidence == "" {
		t.Errorf("check %s %s: no evidence", action, args)
	}
	return res
}

// wantRetryResult checks that a performed Check's result is what the
// retried call answers.
func wantRetryResult(t testing.TB, c *postgres.Connector, res hostfns.CheckResult, action, args string) {
	t.Helper()
	out, err := c.Call(context.Background(), action, json.RawMessage(args), hostfns.CallOptions{})
	if err != nil {
		t.Fatalf("%s %s: %v", action, args, err)
	}
	if !out.AlreadyExisted {
		t.Errorf("check said performed, but %s %s did not answer already_existed", action, args)
	}
	var got, want any
	if err := json.Unmarshal(res.Result, &got); err != nil {
		t.Fatalf("check result %s: %v", res.Result, err)
	}
	if err := json.Unmarshal(out.Result, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("check result differs from the retried call's (-call +check):\n%s", diff)
	}
}

func TestCheckUpdateRow(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{MaxRows: 3})

	// The rows do not hold the values yet: not performed, and the check
	// changed nothing.
	const proUpdate = `{"table": "accounts", "values": {"seats": 9}, "where": {"plan": "free"}}`
	res := check(t, c, "update_row", proUpdate)
	if res.Performed || res.Result != nil || !strings.Contains(res.Evidence, "2 of the 2 rows") {
		t.Fatalf("before the update: %+v", res)
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM accounts WHERE seats = 9`); n != 0 {
		t.Fatalf("check updated %d rows", n)
	}
	// Part of the rows hold them: still not performed.
	sqlExec(t, dsn, `UPDATE accounts SET seats = 9 WHERE id = 1`)
	if res := check(t, c, "update_row", proUpdate); res.Performed || !strings.Contains(res.Evidence, "1 of the 2 rows") {
		t.Fatalf("one row of two updated: %+v", res)
	}
	must(t, c, "update_row", proUpdate)
	res = check(t, c, "update_row", proUpdate)
	if !res.Performed {
		t.Fatalf("after the update: %+v", res)
	}
	wantRetryResult(t, c, res, "update_row", proUpdate)

	// A where that matches nothing: update_row would change nothing and
	// not answer already_existed, so the update has not taken effect.
	if res := check(t, c, "update_row", `{"table": "accounts", "values": {"plan": "x"}, "where": {"id": 99}}`); res.Performed {
		t.Errorf("no row matches: %+v", res)
	}

	// An update that changed a column its where tests: after it, the
	// where matches nothing, and the rows it produced are found.
	const statusChange = `{"table": "accounts", "values": {"plan": "enterprise"}, "where": {"id": 3, "plan": "pro"}}`
	if res := check(t, c, "update_row", statusChange); res.Performed {
		t.Fatalf("status change before: %+v", res)
	}
	must(t, c, "update_row", statusChange)
	res = check(t, c, "update_row", statusChange)
	if !res.Performed || !strings.Contains(res.Evidence, "no row of") {
		t.Fatalf("status change after: %+v", res)
	}
	wantRetryResult(t, c, res, "update_row", statusChange)

	// More matched rows than MaxRows: update_row refuses, and Check
	// cannot tell.
	sqlExec(t, dsn, `INSERT INTO events (kind) SELECT 'bulk' FROM generate_series(1, 4)`)
	if _, err := c.Check(context.Background(), "update_row", json.RawMessage(`{"table": "events", "values": {"kind": "bulk"}, "where": {"kind": "bulk"}}`), hostfns.CallOptions{}); code(err) != hostfns.CodeInvalidArgs {
		t.Errorf("4 rows with MaxRows 3: %v, want invalid_args", err)
	}
}

func TestCheckInsertAndDeleteRow(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{MaxRows: 2})

	// The primary key is the natural key: a row with id 1 is the insert's
	// effect, whatever its other columns hold, and it is the result.
	const sameID = `{"table": "accounts", "values": {"id": 1, "email": "other@x.io"}}`
	res := check(t, c, "insert_row", sameID)
	if !res.Performed || !strings.Contains(res.Evidence, "natural key (id)") {
		t.Fatalf("row 1 exists: %+v", res)
	}
	wantRetryResult(t, c, res, "insert_row", sameID)

	// Another unique key holds the email, but no row has the natural key:
	// not performed (the insert would be a conflict).
	if res := check(t, c, "insert_row", `{"table": "accounts", "values": {"id": 30, "email": "a@x.io"}}`); res.Performed {
		t.Errorf("email taken by another row: %+v", res)
	}
	// unique_by chooses the key.
	if res := check(t, c, "insert_row", `{"table": "accounts", "values": {"id": 30, "email": "a@x.io"}, "unique_by": ["email"]}`); !res.Performed {
		t.Errorf("unique_by email: %+v", res)
	}
	// Without a unique key the key is all values; jsonb compares by value.
	const event = `{"table": "events", "values": {"ref": null, "kind": "k", "payload": {"b": 1, "a": [true]}}}`
	if res := check(t, c, "insert_row", event); res.Performed {
		t.Fatalf("event before: %+v", res)
	}
	must(t, c, "insert_row", event)
	if res := check(t, c, "insert_row", `{"table": "events", "values": {"ref": null, "kind": "k", "payload": {"a": [true], "b": 1.0}}}`); !res.Performed {
		t.Errorf("event after, its jsonb written differently: %+v", res)
	}
	if res := check(t, c, "insert_row", `{"table": "events", "values": {"ref": null, "kind": "other", "payload": {"b": 1, "a": [true]}}}`); res.Performed {
		t.Errorf("another event: %+v", res)
	}

	// delete_row: performed when nothing matches; more matched rows than
	// MaxRows is simply not performed.
	const del = `{"table": "canary", "where": {"id": 1}}`
	if res := check(t, c, "delete_row", del); res.Performed || !strings.Contains(res.Evidence, "matches 1 row of") {
		t.Fatalf("delete before: %+v", res)
	}
	must(t, c, "delete_row", del)
	res = check(t, c, "delete_row", del)
	if !res.Performed {
		t.Fatalf("delete after: %+v", res)
	}
	wantRetryResult(t, c, res, "delete_row", del)
	if res := check(t, c, "delete_row", `{"table": "canary", "where": {"v": null}}`); !res.Performed {
		t.Errorf("no row has a null v: %+v", res)
	}
	sqlExec(t, dsn, `UPDATE canary SET v = 'same'`)
	if res := check(t, c, "delete_row", `{"table": "canary", "where": {"v": "same"}}`); res.Performed || !strings.Contains(res.Evidence, "more than 2 rows") {
		t.Errorf("4 rows with MaxRows 2: %+v", res)
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM canary`); n != 4 {
		t.Errorf("canary has %d rows, want 4", n)
	}
}

// Check only reads: through a view whose rows come from a function that
// writes it fails rather than write, and a role that may only read can
// check every write.
func TestCheckRunsReadOnly(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{}, schema, `
CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql VOLATILE AS 'INSERT INTO canary (v) VALUES (''sneaky'') RETURNING id';
CREATE VIEW trap AS SELECT sneaky() AS id;`)
	for _, tc := range []struct{ action, args string }{
		{"insert_row", `{"table": "trap", "values": {"id": 1}}`},
		{"update_row", `{"table": "trap", "values": {"id": 2}, "where": {"id": 1}}`},
		{"delete_row", `{"table": "trap", "where": {"id": 1}}`},
	} {
		if res, err := c.Check(context.Background(), tc.action, json.RawMessage(tc.args), hostfns.CallOptions{}); err == nil {
			t.Errorf("check %s on a writing view answered %+v", tc.action, res)
		}
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM canary`); n != 5 {
		t.Errorf("a check wrote: canary has %d rows", n)
	}

	role := "r_" + strings.ReplaceAll(strings.TrimPrefix(parseURL(t, dsn).Path, "/t_"), "-", "")
	sqlExec(t, dsn, `CREATE ROLE `+role+` LOGIN PASSWORD 'role-pw-123'; GRANT SELECT ON accounts TO `+role)
	t.Cleanup(func() { sqlExec(t, dsn, `DROP OWNED BY `+role+`; DROP ROLE `+role) })
	u := parseURL(t, dsn)
	u.User = url.UserPassword(role, "role-pw-123")
	reader, err := postgres.New(context.Background(), postgres.Config{DSN: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for _, tc := range []struct {
		action, args string
		performed    bool
	}{
		{"insert_row", `{"table": "accounts", "values": {"id": 1, "email": "a@x.io"}}`, true},
		{"update_row", `{"table": "accounts", "values": {"plan": "pro"}, "where": {"id": 1}}`, false},
		{"delete_row", `{"table": "accounts", "where": {"id": 9}}`, true},
	} {
		if res := check(t, reader, tc.action, tc.args); res.Performed != tc.performed {
			t.Errorf("check %s as a reader: %+v, want performed %v", tc.action, res, tc.performed)
		}
	}
}

// The allowlist and the catalog apply to Check as to Call.
func TestCheckAllowlist(t *testing.T) {
	t.Parallel()
	c, _ := open(t, postgres.Config{Tables: map[string][]string{"accounts": {"id", "email", "plan"}}})
	res := check(t, c, "insert_row", `{"table": "accounts", "values": {"id": 1, "email": "x"}}`)
	if diff := cmp.Diff(`{"inserted":false,"row":{"id":1,"email":"a@x.io","plan":"free"},"rows_affected":0}`, string(res.Result)); !res.Performed || diff != "" {
		t.Errorf("check shows only allowed columns: performed %v (-want +got):\n%s", res.Performed, diff)
	}
	for _, tc := range []struct{ action, args, msg string }{
		{"insert_row", `{"table": "canary", "values": {"id": 1}}`, `table "canary" is not in the postgres allowlist`},
		{"update_row", `{"table": "accounts", "values": {"secret": "x"}, "where": {"id": 1}}`, `"secret"`},
		{"delete_row", `{"table": "accounts", "where": {"seats": 1}}`, `"seats"`},
		{"delete_row", `{"table": "pg_catalog.pg_class", "where": {"oid": 1}}`, `system schema`},
		{"insert_row", `{"table": "accounts", "values": {"id": 1, "nope": 2}}`, `"nope"`},
		{"update_row", `{"table": "accounts", "values": {"plan": "x"}, "where": {}}`, `where is required`},
	} {
		if _, err := c.Check(context.Background(), tc.action, json.RawMessage(tc.args), hostfns.CallOptions{}); code(err) != hostfns.CodeInvalidArgs || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("check %s %s: %v, want invalid_args mentioning %s", tc.action, tc.args, err, tc.msg)
		}
	}
}

// A database that cannot be reached is an error, never "not performed".
func TestCheckUnreachableIsAnError(t *testing.T) {
	t.Parallel()
	c, _ := open(t, postgres.Config{})
	c.Close()
	res, err := c.Check(context.Background(), "delete_row", json.RawMessage(`{"table": "accounts", "where": {"id": 1}}`), hostfns.CallOptions{})
	if code(err) != hostfns.CodeUnavailable {
		t.Errorf("check on a closed connector = %+v, %v; want unavailable", res, err)
	}
}
