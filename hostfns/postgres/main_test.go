package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
	"github.com/enact-run/enact/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// schema is the database most tests start from.
const schema = `
CREATE TABLE accounts (
	id      int PRIMARY KEY,
	email   text NOT NULL UNIQUE,
	plan    text NOT NULL DEFAULT 'free',
	seats   int CHECK (seats >= 0),
	meta    jsonb,
	note    json,
	secret  text
);
INSERT INTO accounts (id, email, plan, seats) VALUES (1, 'a@x.io', 'free', 1), (2, 'b@x.io', 'free', 2), (3, 'c@x.io', 'pro', 3);
CREATE TABLE events (id bigserial PRIMARY KEY, ref text, kind text, payload jsonb);
CREATE TABLE canary (id serial PRIMARY KEY, v text);
INSERT INTO canary (v) SELECT 'row ' || g FROM generate_series(1, 5) g;
`

// open returns a connector on a fresh database made with setup (schema
// when none is given), and the database's DSN.
func open(t testing.TB, cfg postgres.Config, setup ...string) (*postgres.Connector, string) {
	t.Helper()
	if len(setup) == 0 {
		setup = []string{schema}
	}
	dsn := pgtest.NewDatabase(t, setup...)
	cfg.DSN = dsn
	c, err := postgres.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, dsn
}

// call calls an action and decodes its result.
func call(t testing.TB, c hostfns.Connector, action, args string) (map[string]any, bool, error) {
	t.Helper()
	out, err := c.Call(context.Background(), action, json.RawMessage(args), hostfns.CallOptions{})
	if err != nil {
		var ce *hostfns.ConnectorError
		if !errors.As(err, &ce) {
			t.Fatalf("%s %s: error %v is not a *hostfns.ConnectorError", action, args, err)
		}
		return nil, false, err
	}
	var m map[string]any
	if err := json.Unmarshal(out.Result, &m); err != nil {
		t.Fatalf("%s: result %s: %v", action, out.Result, err)
	}
	return m, out.AlreadyExisted, nil
}

// must is call that must succeed.
func must(t testing.TB, c hostfns.Connector, action, args string) (map[string]any, bool) {
	t.Helper()
	m, existed, err := call(t, c, action, args)
	if err != nil {
		t.Fatalf("%s %s: %v", action, args, err)
	}
	return m, existed
}

// code returns the ConnectorError code of err ("" for nil).
func code(err error) string {
	var ce *hostfns.ConnectorError
	if errors.As(err, &ce) {
		return ce.Code
	}
	if err != nil {
		return "not a ConnectorError: " + err.Error()
	}
	return ""
}

// sqlValue runs a query returning one value, outside the connector.
func sqlValue[T any](t testing.TB, dsn, sql string, args ...any) T {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v T
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// sqlExec runs statements outside the connector.
func sqlExec(t testing.TB, dsn, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
