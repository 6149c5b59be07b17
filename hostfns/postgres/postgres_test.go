package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
)

// rowsOf decodes result["rows"].
func rowsOf(t testing.TB, m map[string]any) []map[string]any {
	t.Helper()
	list, ok := m["rows"].([]any)
	if !ok {
		t.Fatalf("rows is %T in %v", m["rows"], m)
	}
	out := make([]map[string]any, len(list))
	for i, r := range list {
		out[i] = r.(map[string]any)
	}
	return out
}

func TestActionsFollowTheNamingConvention(t *testing.T) {
	c, _ := open(t, postgres.Config{})
	want := map[string]bool{"insert_row": true, "update_row": true, "delete_row": true, "select_rows": false, "count_rows": false}
	got := map[string]bool{}
	for _, a := range c.Actions() {
		got[a.Name] = a.Mutating
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (name → Mutating) (-want +got):\n%s", diff)
	}
}

func TestInsertRow(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{})

	m, existed := must(t, c, "insert_row", `{"table": "accounts", "values": {"id": 20, "email": "x@x.io", "seats": 2.0, "meta": {"k": [1, "two"]}, "note": "plain json string"}}`)
	want := map[string]any{"inserted": true, "rows_affected": 1.0, "row": map[string]any{
		"id": 20.0, "email": "x@x.io", "plan": "free", "seats": 2.0, "meta": map[string]any{"k": []any{1.0, "two"}}, "note": "plain json string", "secret": nil}}
	if diff := cmp.Diff(want, m); existed || diff != "" {
		t.Fatalf("insert: existed=%v (-want +got):\n%s", existed, diff)
	}

	// The primary key is the natural key: the same id answers the row
	// that is there, whatever the other values.
	m, existed = must(t, c, "insert_row", `{"table": "accounts", "values": {"id": 20, "email": "other@x.io"}}`)
	if !existed || m["inserted"] != false || m["rows_affected"] != 0.0 || m["row"].(map[string]any)["email"] != "x@x.io" {
		t.Fatalf("same primary key: existed=%v %v", existed, m)
	}

	// A unique constraint is the natural key when the primary key has no value.
	sqlExec(t, dsn, `CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE, name text)`)
	if _, existed := must(t, c, "insert_row", `{"table": "users", "values": {"email": "u@x.io", "name": "U"}}`); existed {
		t.Fatal("first insert into users existed")
	}
	m, existed = must(t, c, "insert_row", `{"table": "users", "values": {"email": "u@x.io", "name": "Other"}}`)
	if !existed || m["row"].(map[string]any)["name"] != "U" {
		t.Fatalf("same email: existed=%v %v", existed, m)
	}

	// unique_by chooses the key.
	m, existed = must(t, c, "insert_row", `{"table": "accounts", "values": {"id": 99, "email": "a@x.io"}, "unique_by": ["email"]}`)
	if !existed || m["row"].(map[string]any)["id"] != 1.0 {
		t.Fatalf("unique_by email: existed=%v %v", existed, m)
	}

	// Without unique_by the key is the primary key; the email then breaks
	// another unique constraint: a conflict, and nothing is inserted.
	_, _, err := call(t, c, "insert_row", `{"table": "accounts", "values": {"id": 21, "email": "a@x.io"}}`)
	if code(err) != hostfns.CodeConflict {
		t.Fatalf("other unique key: %v, want conflict", err)
	}

	// No unique key among the values: all of them are the key, nulls included.
	for i := range 2 {
		m, existed = must(t, c, "insert_row", `{"table": "events", "values": {"ref": null, "kind": "k", "payload": {"b": 1, "a": [true]}}}`)
		if existed != (i == 1) {
			t.Fatalf("insert %d: existed=%v %v", i, existed, m)
		}
	}
	// jsonb compares by value, not by text.
	if _, existed = must(t, c, "insert_row", `{"table": "events", "values": {"ref": null, "kind": "k", "payload": {"a": [true], "b": 1.0}}}`); !existed {
		t.Error("the same jsonb value written differently was inserted again")
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM events`); n != 1 {
		t.Errorf("events has %d rows, want 1", n)
	}

	for _, tc := range []struct{ args, code, msg string }{
		{`{"table": "accounts", "values": {}}`, hostfns.CodeInvalidArgs, "values"},
		{`{"table": "accounts", "values": {"id": 30, "email": "e"}, "unique_by": ["plan"]}`, hostfns.CodeInvalidArgs, `"plan"`},
		{`{"table": "accounts", "values": {"id": 30, "email": "e"}, "unique_by": ["id", "id"]}`, hostfns.CodeInvalidArgs, "twice"},
		{`{"table": "accounts", "values": {"id": 30, "email": "e"}, "unique_by": []}`, hostfns.CodeInvalidArgs, "unique_by"},
		{`{"table": "accounts", "values": {"id": 30, "email": "e", "seats": "many"}}`, hostfns.CodeInvalidArgs, "integer"},
		{`{"table": "accounts", "values": {"id": 30, "email": "e", "seats": 1.5}}`, hostfns.CodeInvalidArgs, "integer"},
		{`{"table": "accounts", "values": {"id": 30, "email": "e", "seats": -1}}`, hostfns.CodeInvalidArgs, "check"},
		{`{"table": "accounts", "values": {"id": 30}}`, hostfns.CodeInvalidArgs, "email"},
		{`{"table": "accounts", "values": {"id": 30, "email": {"a": 1}}}`, hostfns.CodeInvalidArgs, "json"},
		{`{"table": "accounts", "values": {"id": 30, "email": "e", "nope": 1}}`, hostfns.CodeInvalidArgs, `no column "nope"`},
		{`{"table": "nope", "values": {"id": 30}}`, hostfns.CodeInvalidArgs, `"nope" does not exist`},
		{`{"table": "accounts", "values": {"id": 30, "email": "e"}, "where": {"id": 1}}`, hostfns.CodeInvalidArgs, "where"},
		{`{"values": {"id": 30}}`, hostfns.CodeInvalidArgs, "table"},
	} {
		_, _, err := call(t, c, "insert_row", tc.args)
		if code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("insert_row %s: %v, want %s mentioning %s", tc.args, err, tc.code, tc.msg)
		}
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM accounts`); n != 4 {
		t.Errorf("accounts has %d rows, want 4", n)
	}
}

func TestConcurrentInsertsOfOneKeyInsertOnce(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{})
	for _, args := range []string{
		`{"table": "accounts", "values": {"id": 50, "email": "c@50"}}`,                     // a unique index
		`{"table": "events", "values": {"ref": "r-1", "kind": "k"}, "unique_by": ["ref"]}`, // an advisory lock
		`{"table": "events", "values": {"ref": "r-2", "kind": "k"}}`,                       // all values, advisory lock
	} {
		var wg sync.WaitGroup
		var mu sync.Mutex
		inserted := 0
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := c.Call(context.Background(), "insert_row", json.RawMessage(args), hostfns.CallOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if !out.AlreadyExisted {
					inserted++
				}
			}()
		}
		wg.Wait()
		if inserted != 1 {
			t.Errorf("%s: %d of 12 concurrent calls inserted, want 1", args, inserted)
		}
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM events`); n != 2 {
		t.Errorf("events has %d rows, want 2", n)
	}
}

func TestUpdateRow(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{MaxRows: 3})

	m, existed := must(t, c, "update_row", `{"table": "accounts", "values": {"plan": "pro", "meta": {"x": 1}, "note": {"y": [2]}}, "where": {"id": 1}}`)
	if existed || m["rows_affected"] != 1.0 || len(rowsOf(t, m)) != 1 || rowsOf(t, m)[0]["plan"] != "pro" {
		t.Fatalf("update: existed=%v %v", existed, m)
	}
	// Again: the row holds the values (json compared as jsonb).
	again, existed := must(t, c, "update_row", `{"table": "accounts", "values": {"plan": "pro", "meta": {"x": 1.0}, "note": {"y": [2]}}, "where": {"id": 1}}`)
	if !existed || again["rows_affected"] != 0.0 || !cmp.Equal(rowsOf(t, again), rowsOf(t, m)) {
		t.Fatalf("retry: existed=%v %v", existed, again)
	}

	// Several rows, some already holding the values: only the others
	// change, every matched row is returned.
	sqlExec(t, dsn, `UPDATE accounts SET seats = 9 WHERE id = 3`)
	m, existed = must(t, c, "update_row", `{"table": "accounts", "values": {"seats": 9}, "where": {"plan": "pro"}}`)
	if existed || m["rows_affected"] != 1.0 || len(rowsOf(t, m)) != 2 {
		t.Fatalf("pro rows (id 1 seats 1, id 3 seats 9): existed=%v %v", existed, m)
	}
	// A where that matches nothing changes nothing and is not already_existed.
	m, existed = must(t, c, "update_row", `{"table": "accounts", "values": {"plan": "x"}, "where": {"id": 99}}`)
	if existed || m["rows_affected"] != 0.0 || len(rowsOf(t, m)) != 0 {
		t.Fatalf("no match: existed=%v %v", existed, m)
	}
	m, existed = must(t, c, "update_row", `{"table": "accounts", "values": {"seats": 7}, "where": {"plan": "free", "seats": 2}}`)
	if existed || m["rows_affected"] != 1.0 {
		t.Fatalf("seats 2 → 7: existed=%v %v", existed, m)
	}
	m, existed = must(t, c, "update_row", `{"table": "accounts", "values": {"seats": 7}, "where": {"plan": "free", "seats": 2}}`)
	if !existed || m["rows_affected"] != 0.0 || len(rowsOf(t, m)) != 1 || rowsOf(t, m)[0]["id"] != 2.0 {
		t.Fatalf("seats 2 → 7 retried: existed=%v %v", existed, m)
	}

	// A retry of an update that changed a column its where tests finds
	// the rows it produced.
	m, existed = must(t, c, "update_row", `{"table": "accounts", "values": {"plan": "enterprise"}, "where": {"id": 3, "plan": "pro"}}`)
	if existed || m["rows_affected"] != 1.0 {
		t.Fatalf("status change: existed=%v %v", existed, m)
	}
	m, existed = must(t, c, "update_row", `{"table": "accounts", "values": {"plan": "enterprise"}, "where": {"id": 3, "plan": "pro"}}`)
	if !existed || m["rows_affected"] != 0.0 || len(rowsOf(t, m)) != 1 || rowsOf(t, m)[0]["id"] != 3.0 {
		t.Fatalf("status change retried: existed=%v %v", existed, m)
	}

	// null in where is IS NULL; null in values sets NULL.
	m, _ = must(t, c, "update_row", `{"table": "accounts", "values": {"secret": "s"}, "where": {"secret": null}}`)
	if m["rows_affected"] != 3.0 {
		t.Fatalf("where secret IS NULL: %v", m)
	}
	m, _ = must(t, c, "update_row", `{"table": "accounts", "values": {"secret": null}, "where": {"id": 1}}`)
	if m["rows_affected"] != 1.0 || rowsOf(t, m)[0]["secret"] != nil {
		t.Fatalf("set NULL: %v", m)
	}

	// More rows than MaxRows: refused before anything changes.
	sqlExec(t, dsn, `INSERT INTO events (kind) SELECT 'bulk' FROM generate_series(1, 4)`)
	_, _, err := call(t, c, "update_row", `{"table": "events", "values": {"kind": "changed"}, "where": {"kind": "bulk"}}`)
	if code(err) != hostfns.CodeInvalidArgs || !strings.Contains(err.Error(), "more than 3 rows") {
		t.Fatalf("4 rows with MaxRows 3: %v", err)
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM events WHERE kind = 'bulk'`); n != 4 {
		t.Fatalf("a refused update changed rows: %d bulk rows left", n)
	}

	for _, tc := range []struct{ args, code, msg string }{
		{`{"table": "accounts", "values": {"plan": "x"}}`, hostfns.CodeInvalidArgs, "where is required"},
		{`{"table": "accounts", "values": {"plan": "x"}, "where": {}}`, hostfns.CodeInvalidArgs, "where is required"},
		{`{"table": "accounts", "values": {"plan": "x"}, "where": null}`, hostfns.CodeInvalidArgs, "where is required"},
		{`{"table": "accounts", "values": {"plan": "x"}, "where": "1=1"}`, hostfns.CodeInvalidArgs, "where"},
		{`{"table": "accounts", "values": {}, "where": {"id": 1}}`, hostfns.CodeInvalidArgs, "values"},
		{`{"table": "accounts", "values": {"email": "b@x.io"}, "where": {"id": 1}}`, hostfns.CodeConflict, "accounts_email_key"},
		{`{"table": "accounts", "values": {"email": null}, "where": {"id": 1}}`, hostfns.CodeInvalidArgs, "email"},
		{`{"table": "accounts", "values": {"plan": "x"}, "where": {"idd": 1}}`, hostfns.CodeInvalidArgs, `no column "idd"`},
	} {
		_, _, err := call(t, c, "update_row", tc.args)
		if code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("update_row %s: %v, want %s mentioning %s", tc.args, err, tc.code, tc.msg)
		}
	}
}

func TestDeleteRow(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{MaxRows: 2})
	m, existed := must(t, c, "delete_row", `{"table": "accounts", "where": {"id": 1}}`)
	if existed || m["rows_affected"] != 1.0 {
		t.Fatalf("delete: existed=%v %v", existed, m)
	}
	m, existed = must(t, c, "delete_row", `{"table": "accounts", "where": {"id": 1}}`)
	if !existed || m["rows_affected"] != 0.0 {
		t.Fatalf("delete again: existed=%v %v", existed, m)
	}
	_, _, err := call(t, c, "delete_row", `{"table": "canary", "where": {"v": null}}`)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = call(t, c, "delete_row", `{"table": "canary", "where": {"id": {"a": 1}}}`)
	if code(err) != hostfns.CodeInvalidArgs {
		t.Fatalf("object in where: %v", err)
	}
	sqlExec(t, dsn, `UPDATE canary SET v = 'same'`)
	_, _, err = call(t, c, "delete_row", `{"table": "canary", "where": {"v": "same"}}`)
	if code(err) != hostfns.CodeInvalidArgs || !strings.Contains(err.Error(), "more than 2 rows") {
		t.Fatalf("5 rows with MaxRows 2: %v", err)
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM canary`); n != 5 {
		t.Fatalf("a refused delete deleted: %d rows left", n)
	}
	for _, args := range []string{`{"table": "canary"}`, `{"table": "canary", "where": {}}`, `{"table": "canary", "where": null}`} {
		if _, _, err := call(t, c, "delete_row", args); code(err) != hostfns.CodeInvalidArgs || !strings.Contains(err.Error(), "where is required") {
			t.Errorf("delete_row %s: %v", args, err)
		}
	}
}

func TestSelectAndCountRows(t *testing.T) {
	t.Parallel()
	c, _ := open(t, postgres.Config{MaxRows: 4}, schema, `
CREATE TABLE kinds (
	id      uuid PRIMARY KEY,
	amount  numeric(30, 3),
	at      timestamptz,
	flag    boolean,
	raw     bytea,
	tags    text[],
	ratio   float8
);
INSERT INTO kinds VALUES ('6f1c1a3e-4d7b-4e8a-9c2d-1b2a3c4d5e6f', 12345678901234567890.123, '2026-01-02 03:04:05+00', true, '\xdeadbeef', '{a,b}', 'NaN');`)

	m, _ := must(t, c, "select_rows", `{"table": "accounts", "columns": ["id", "plan"]}`)
	want := []map[string]any{{"id": 1.0, "plan": "free"}, {"id": 2.0, "plan": "free"}, {"id": 3.0, "plan": "pro"}}
	if diff := cmp.Diff(want, rowsOf(t, m)); diff != "" || m["truncated"] != false {
		t.Errorf("rows in primary key order (-want +got):\n%s", diff)
	}
	m, _ = must(t, c, "select_rows", `{"table": "accounts", "columns": ["id"], "order_by": ["plan", {"column": "id", "desc": true}], "limit": 2}`)
	if diff := cmp.Diff([]map[string]any{{"id": 2.0}, {"id": 1.0}}, rowsOf(t, m)); diff != "" || m["truncated"] != true {
		t.Errorf("ordered, limited: truncated=%v (-want +got):\n%s", m["truncated"], diff)
	}
	m, _ = must(t, c, "select_rows", `{"table": "accounts", "where": {"plan": "pro", "meta": null}, "columns": ["email"]}`)
	if diff := cmp.Diff([]map[string]any{{"email": "c@x.io"}}, rowsOf(t, m)); diff != "" {
		t.Errorf("where (-want +got):\n%s", diff)
	}

	// Values come back as PostgreSQL renders them in JSON: exact numerics,
	// ISO timestamps, hex bytea, arrays, non-finite floats as strings.
	out, err := c.Call(context.Background(), "select_rows", json.RawMessage(`{"table": "kinds"}`), hostfns.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"rows":[{"id":"6f1c1a3e-4d7b-4e8a-9c2d-1b2a3c4d5e6f","amount":12345678901234567890.123,"at":"2026-01-02T03:04:05+00:00","flag":true,"raw":"\\xdeadbeef","tags":["a","b"],"ratio":"NaN"}],"truncated":false}`
	if string(out.Result) != wantJSON {
		t.Errorf("kinds:\n got %s\nwant %s", out.Result, wantJSON)
	}
	// The same values, sent as JSON, find the row.
	m, _ = must(t, c, "count_rows", `{"table": "kinds", "where": {"amount": 12345678901234567890.123, "at": "2026-01-02T03:04:05Z", "flag": true, "raw": "\\xdeadbeef", "tags": "{a,b}"}}`)
	if m["count"] != 1.0 {
		t.Errorf("count by typed values: %v", m)
	}

	m, _ = must(t, c, "count_rows", `{"table": "accounts", "where": {"plan": "free"}}`)
	if m["count"] != 2.0 {
		t.Errorf("count: %v", m)
	}
	for _, tc := range []struct{ action, args, msg string }{
		{"select_rows", `{"table": "accounts", "limit": 5}`, "limit"},
		{"select_rows", `{"table": "accounts", "limit": 0}`, "limit"},
		{"select_rows", `{"table": "accounts", "columns": []}`, "columns"},
		{"select_rows", `{"table": "accounts", "columns": ["id", "id"]}`, "twice"},
		{"select_rows", `{"table": "accounts", "order_by": [{"column": "id", "up": true}]}`, "order_by"},
		{"select_rows", `{"table": "accounts", "order_by": [7]}`, "order_by"},
		{"select_rows", `{"table": "accounts", "order_by": ["idd"]}`, `"idd"`},
		{"count_rows", `{"table": "accounts", "where": {"id": "one"}}`, "integer"},
		{"count_rows", `{"table": "accounts", "where": [1]}`, "where"},
	} {
		if _, _, err := call(t, c, tc.action, tc.args); code(err) != hostfns.CodeInvalidArgs || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s %s: %v, want invalid_args mentioning %s", tc.action, tc.args, err, tc.msg)
		}
	}
}

func TestReadsRunReadOnly(t *testing.T) {
	t.Parallel()
	// A view whose rows come from a function that writes: reading it must
	// fail rather than write.
	c, dsn := open(t, postgres.Config{}, schema, `
CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql VOLATILE AS 'INSERT INTO canary (v) VALUES (''sneaky'') RETURNING id';
CREATE VIEW trap AS SELECT sneaky() AS id;`)
	for _, action := range []string{"select_rows", "count_rows"} {
		if _, _, err := call(t, c, action, `{"table": "trap"}`); err == nil {
			t.Errorf("%s on a writing view succeeded", action)
		}
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM canary`); n != 5 {
		t.Errorf("a read wrote: canary has %d rows", n)
	}
}

func TestViews(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{}, schema, `CREATE VIEW paying AS SELECT id, email, plan FROM accounts WHERE plan <> 'free'`)
	m, existed := must(t, c, "insert_row", `{"table": "paying", "values": {"id": 40, "email": "v@x.io", "plan": "pro"}}`)
	if existed || m["inserted"] != true {
		t.Fatalf("insert through a view: existed=%v %v", existed, m)
	}
	if _, existed = must(t, c, "insert_row", `{"table": "paying", "values": {"id": 40, "email": "v@x.io", "plan": "pro"}}`); !existed {
		t.Fatal("insert through a view repeated")
	}
	// The table's unique index still holds: a conflict, not a duplicate.
	if _, _, err := call(t, c, "insert_row", `{"table": "paying", "values": {"id": 41, "email": "v@x.io", "plan": "pro"}}`); code(err) != hostfns.CodeConflict {
		t.Fatalf("unique violation through a view: %v", err)
	}
	if m, _ = must(t, c, "update_row", `{"table": "paying", "values": {"plan": "team"}, "where": {"id": 40}}`); m["rows_affected"] != 1.0 {
		t.Fatalf("update through a view: %v", m)
	}
	if m, _ = must(t, c, "select_rows", `{"table": "paying"}`); len(rowsOf(t, m)) != 2 {
		t.Fatalf("select from a view: %v", m)
	}
	if m, _ = must(t, c, "delete_row", `{"table": "paying", "where": {"id": 40}}`); m["rows_affected"] != 1.0 {
		t.Fatalf("delete through a view: %v", m)
	}
	if n := sqlValue[int64](t, dsn, `SELECT count(*) FROM accounts`); n != 3 {
		t.Errorf("accounts has %d rows, want 3", n)
	}
}

func TestAllowlist(t *testing.T) {
	t.Parallel()
	c, _ := open(t, postgres.Config{Tables: map[string][]string{
		"accounts":      {"id", "email", "plan"},
		"public.events": {"ref"},
		"canary":        {},
	}})
	m, _ := must(t, c, "select_rows", `{"table": "public.accounts", "limit": 1}`)
	if diff := cmp.Diff([]map[string]any{{"id": 1.0, "email": "a@x.io", "plan": "free"}}, rowsOf(t, m)); diff != "" {
		t.Errorf("rows show only allowed columns (-want +got):\n%s", diff)
	}
	m, _ = must(t, c, "insert_row", `{"table": "accounts", "values": {"id": 7, "email": "n@x.io"}}`)
	if diff := cmp.Diff(map[string]any{"id": 7.0, "email": "n@x.io", "plan": "free"}, m["row"]); diff != "" {
		t.Errorf("inserted row shows only allowed columns (-want +got):\n%s", diff)
	}
	must(t, c, "count_rows", `{"table": "canary"}`)
	for _, tc := range []struct{ action, args, msg string }{
		{"select_rows", `{"table": "accounts", "columns": ["secret"]}`, `column "secret" of table "accounts" is not in the postgres allowlist`},
		{"select_rows", `{"table": "accounts", "where": {"seats": 1}}`, `"seats"`},
		{"select_rows", `{"table": "accounts", "order_by": ["secret"]}`, `"secret"`},
		{"update_row", `{"table": "accounts", "values": {"secret": "x"}, "where": {"id": 1}}`, `"secret"`},
		{"insert_row", `{"table": "kinds", "values": {"id": 1}}`, `table "kinds" is not in the postgres allowlist`},
		{"insert_row", `{"table": "other.accounts", "values": {"id": 1}}`, `schema "other" is not among the schemas`},
		{"select_rows", `{"table": "canary"}`, `allows no column`},
		{"count_rows", `{"table": "canary", "where": {"id": 1}}`, `"id"`},
	} {
		if _, _, err := call(t, c, tc.action, tc.args); code(err) != hostfns.CodeInvalidArgs || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s %s: %v, want invalid_args mentioning %s", tc.action, tc.args, err, tc.msg)
		}
	}
	for _, tables := range []map[string][]string{{"": nil}, {"a.": nil}, {".b": nil}, {"x\x00": nil}, {"x": {"bad\x00col"}}, {"x": {""}}, {"x": {strings.Repeat("c", 64)}}} {
		if _, err := postgres.New(context.Background(), postgres.Config{DSN: "postgres://h/db", Tables: tables}); err == nil || !strings.Contains(err.Error(), "allowlist") {
			t.Errorf("allowlist %q: %v, want it refused", tables, err)
		}
	}
}

// TestNoSQLInjection sends hostile names and values through every argument
// and checks that the names are refused or reach exactly the object they
// name, that values are stored verbatim, and that nothing else changed.
func TestNoSQLInjection(t *testing.T) {
	t.Parallel()
	const weird = `we"ird; DROP TABLE canary; --`
	c, dsn := open(t, postgres.Config{Schemas: []string{"public", "s p"}}, schema, `
CREATE TABLE "we""ird; DROP TABLE canary; --" (id int PRIMARY KEY, "co""l" text, "x) VALUES (1); DROP TABLE canary; --" text, "ünï 😀" text);
CREATE SCHEMA "s p";
CREATE TABLE "s p"."T" (id int PRIMARY KEY, "Name" text);`)
	canary := func() int64 { return sqlValue[int64](t, dsn, `SELECT count(*) FROM canary`) }
	tables := func() int64 {
		return sqlValue[int64](t, dsn, `SELECT count(*) FROM pg_class WHERE relnamespace IN ('public'::regnamespace, '"s p"'::regnamespace)`)
	}
	nTables := tables()

	hostileValues := []string{
		`'; DROP TABLE canary; --`, `' OR '1'='1`, `"; DELETE FROM canary; --`, `\'; TRUNCATE canary; --`,
		`$1`, `$$; DROP TABLE canary; $$`, `E'\x27'`, `ünïcødé 😀 עברית ‮rtl`, "tab\tnewline\nquote\"back\\slash",
		`) ON CONFLICT DO NOTHING; DROP TABLE canary; --`, `*/ DROP TABLE canary; /*`, strings.Repeat("'", 1000),
	}
	for i, v := range hostileValues {
		vj, _ := json.Marshal(v)
		tj, _ := json.Marshal(`"` + strings.ReplaceAll(weird, `"`, `""`) + `"`)
		args := fmt.Sprintf(`{"table": %s, "values": {"id": %d, "co\"l": %s, "x) VALUES (1); DROP TABLE canary; --": %s, "ünï 😀": %s}}`, tj, i, vj, vj, vj)
		m, existed := must(t, c, "insert_row", args)
		row := m["row"].(map[string]any)
		if existed || row[`co"l`] != v || row["ünï 😀"] != v || row["x) VALUES (1); DROP TABLE canary; --"] != v {
			t.Fatalf("value %q did not round-trip: existed=%v %v", v, existed, m)
		}
		// The value matches itself and only itself.
		n, _ := must(t, c, "count_rows", fmt.Sprintf(`{"table": %s, "where": {"co\"l": %s}}`, tj, vj))
		if n["count"] != 1.0 {
			t.Fatalf("where %q matched %v rows", v, n["count"])
		}
		n, _ = must(t, c, "count_rows", fmt.Sprintf(`{"table": "canary", "where": {"v": %s}}`, vj))
		if n["count"] != 0.0 {
			t.Fatalf("where v = %q matched %v canary rows", v, n["count"])
		}
		m, _ = must(t, c, "update_row", fmt.Sprintf(`{"table": "canary", "values": {"v": %s}, "where": {"v": %s}}`, vj, vj))
		if m["rows_affected"] != 0.0 {
			t.Fatalf("update where v = %q changed %v canary rows", v, m["rows_affected"])
		}
		if _, existed := must(t, c, "delete_row", fmt.Sprintf(`{"table": "canary", "where": {"v": %s}}`, vj)); !existed {
			t.Fatalf("delete where v = %q deleted canary rows", v)
		}
	}
	// NUL cannot be stored in text: refused, nothing written.
	if _, _, err := call(t, c, "insert_row", `{"table": "canary", "values": {"v": "a\u0000b"}}`); code(err) != hostfns.CodeInvalidArgs {
		t.Errorf("NUL in a value: %v", err)
	}

	must(t, c, "insert_row", `{"table": "\"s p\".\"T\"", "values": {"id": 1, "Name": "n"}}`)
	m, _ := must(t, c, "select_rows", `{"table": "\"s p\".\"T\"", "columns": ["Name"]}`)
	if diff := cmp.Diff([]map[string]any{{"Name": "n"}}, rowsOf(t, m)); diff != "" {
		t.Errorf("quoted schema and mixed case (-want +got):\n%s", diff)
	}

	hostileTables := []string{
		"canary; DROP TABLE canary", `canary"; DROP TABLE canary; --`, `canary" WHERE 1=1; --`, `public.canary WHERE true`,
		"canary\x00", `"CANARY"`, `"Canary"`, " canary", "canary ", "canary--", "pg_catalog.pg_authid", "pg_catalog.pg_class",
		"information_schema.tables", "pg_toast.x", "s p.t", "s P.T", `"s p".t`, `"s P"."T"`, "s p.T", "public.", ".canary", ".", "", "..", "public..canary",
		strings.Repeat("c", 64), "public." + strings.Repeat("c", 300), "canary\u200b", "ｃａｎａｒｙ", `"canary`, `canary"`, `"can"ary"`,
		`""`, `U&"canary"`, "a.b.canary", `"we"ird; DROP TABLE canary; --"`, `"public.canary"`, "$canary", "1canary",
	}
	hostileColumns := []string{
		`v" = 'x'; --`, `v) VALUES ('x'); DROP TABLE canary; --`, "v\x00", `"v"`, "V", "v ", "*", "1", "v::text",
		"id = id OR true", strings.Repeat("v", 64), "", "ctid", "xmin", "tableoid",
	}
	for _, name := range hostileTables {
		nj, _ := json.Marshal(name)
		for _, tc := range []struct{ action, args string }{
			{"insert_row", `{"table": %s, "values": {"v": "x"}}`},
			{"update_row", `{"table": %s, "values": {"v": "x"}, "where": {"id": 1}}`},
			{"delete_row", `{"table": %s, "where": {"id": 1}}`},
			{"select_rows", `{"table": %s}`},
			{"count_rows", `{"table": %s}`},
		} {
			args := fmt.Sprintf(tc.args, nj)
			if _, _, err := call(t, c, tc.action, args); code(err) != hostfns.CodeInvalidArgs {
				t.Errorf("%s %s: %v, want invalid_args", tc.action, args, err)
			}
		}
	}
	for _, col := range hostileColumns {
		cj, _ := json.Marshal(col)
		for _, tc := range []struct{ action, args string }{
			{"insert_row", `{"table": "canary", "values": {%s: "x"}}`},
			{"insert_row", `{"table": "canary", "values": {"v": "x"}, "unique_by": [%s]}`},
			{"update_row", `{"table": "canary", "values": {%s: "x"}, "where": {"id": 1}}`},
			{"update_row", `{"table": "canary", "values": {"v": "x"}, "where": {%s: 1}}`},
			{"delete_row", `{"table": "canary", "where": {%s: 1}}`},
			{"select_rows", `{"table": "canary", "columns": [%s]}`},
			{"select_rows", `{"table": "canary", "order_by": [%s]}`},
			{"select_rows", `{"table": "canary", "where": {%s: 1}}`},
			{"count_rows", `{"table": "canary", "where": {%s: 1}}`},
		} {
			args := fmt.Sprintf(tc.args, cj)
			if _, _, err := call(t, c, tc.action, args); code(err) != hostfns.CodeInvalidArgs {
				t.Errorf("%s %s: %v, want invalid_args", tc.action, args, err)
			}
		}
	}
	if n := canary(); n != 5 {
		t.Errorf("canary has %d rows, want 5", n)
	}
	if n := tables(); n != nTables {
		t.Errorf("%d relations, want %d", n, nTables)
	}
	if v := sqlValue[string](t, dsn, `SELECT string_agg(v, ',' ORDER BY id) FROM canary`); v != "row 1,row 2,row 3,row 4,row 5" {
		t.Errorf("canary changed: %s", v)
	}
}
