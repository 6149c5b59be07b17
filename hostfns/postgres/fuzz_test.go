package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
	"github.com/enact-run/enact/internal/pgtest"
)

const fuzzSchema = `
CREATE TABLE canary (id serial PRIMARY KEY, v text);
INSERT INTO canary (v) SELECT 'row ' || g FROM generate_series(1, 5) g;
CREATE TABLE items (
	id     int PRIMARY KEY,
	name   text UNIQUE,
	n      int CHECK (n >= 0),
	data   jsonb,
	j      json,
	tags   text[],
	at     timestamptz,
	amount numeric(12, 2),
	flag   boolean
);
INSERT INTO items (id, name, n) VALUES (1, 'one', 1), (2, 'two', 2);
CREATE TABLE "we""ird; DROP TABLE canary; --" (id int PRIMARY KEY, "co""l" text);
CREATE SCHEMA enact;
CREATE TABLE enact.run_keys (key text PRIMARY KEY, state text);
CREATE SCHEMA other;
CREATE TABLE other.canary (id serial PRIMARY KEY, v text);
`

var fuzzActions = []string{"insert_row", "update_row", "delete_row", "select_rows", "count_rows"}

var fuzzSeeds = []struct {
	action uint8
	args   string
}{
	{0, `{"table": "items", "values": {"id": 3, "name": "three", "n": 3, "data": {"a": [1, null]}, "j": [true], "tags": "{x,y}", "at": "2026-01-01T00:00:00Z", "amount": 12.5, "flag": true}}`},
	{0, `{"table": "items", "values": {"id": 4, "name": "one"}, "unique_by": ["name"]}`},
	{0, `{"table": "canary", "values": {"v": "'; DROP TABLE canary; --"}}`},
	{0, `{"table": "public.canary", "values": {"id": 1, "v": "x"}}`},
	{0, `{"table": "we\"ird; DROP TABLE canary; --", "values": {"id": 1, "co\"l": "\" OR 1=1 --"}}`},
	{0, `{"table": "canary\"; DROP TABLE canary; --", "values": {"v": 1}}`},
	{0, `{"table": "\"we\"\"ird; DROP TABLE canary; --\"", "values": {"id": 2, "co\"l": "x"}}`},
	{0, `{"table": "PUBLIC.CANARY", "values": {"v": "upper"}}`},
	{2, `{"table": "\"public\".\"canary\"", "where": {"id": 1}}`},
	{3, `{"table": "enact.run_keys"}`},
	{0, `{"table": "enact.run_keys", "values": {"key": "k", "state": "finished"}}`},
	{3, `{"table": "\"Enact\".run_keys"}`},
	{3, `{"table": "information_schema.tables"}`},
	{3, `{"table": "other.canary"}`},
	{3, `{"table": "U&\"canary\""}`},
	{0, `{"table": "items", "values": {"id\" = 1; --": 1}}`},
	{1, `{"table": "items", "values": {"n": 5}, "where": {"id": 1}}`},
	{1, `{"table": "items", "values": {"name": "two"}, "where": {"id": 1}}`},
	{1, `{"table": "canary", "values": {"v": "z"}, "where": {"v": "' OR '1'='1"}}`},
	{1, `{"table": "items", "values": {"n": -1}, "where": {"name": null}}`},
	{2, `{"table": "canary", "where": {"id": 5}}`},
	{2, `{"table": "canary", "where": {"v": "x' OR 'a'='a"}}`},
	{2, `{"table": "items", "where": {}}`},
	{3, `{"table": "items", "where": {"data": {"a": [1, null]}}, "columns": ["id", "data"], "order_by": [{"column": "n", "desc": true}, "id"], "limit": 10}`},
	{3, `{"table": "pg_catalog.pg_authid"}`},
	{3, `{"table": "items", "order_by": ["id; DROP TABLE canary"]}`},
	{4, `{"table": "canary", "where": {"v": "row 1"}}`},
	{4, `{"table": "items", "where": {"amount": "1e400"}}`},
	{8, `{"table": "items", "values": {"id": 9, "name": "nine"}}`},
	{9, `{"table": "items", "values": {"n": 1}, "where": {"id": 9}}`},
	{11, `{"table": "items", "columns": ["data"]}`},
	{12, `{"table": "canary"}`},
	{0, `[1, 2`},
	{0, `{"table": 7}`},
	{3, `{"table": "items", "limit": 1e9}`},
	{4, `{"table": "items", "where": {"id": "\u0000"}}`},
}

func FuzzArgs(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.action, s.args)
	}
	dsn := pgtest.NewDatabase(f, fuzzSchema)
	var conns [2]*postgres.Connector
	for i, cfg := range []postgres.Config{
		{DSN: dsn, MaxRows: 50},
		{DSN: dsn, MaxRows: 50, Tables: map[string][]string{"items": {"id", "name", "n", "data"}, "public.canary": {"id", "v"}}},
	} {
		c, err := postgres.New(context.Background(), cfg)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(c.Close)
		conns[i] = c
	}
	results := map[string]*jsonschema.Schema{}
	for _, a := range conns[0].Actions() {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(a.Result))
		if err != nil {
			f.Fatal(err)
		}
		comp := jsonschema.NewCompiler()
		if err := comp.AddResource(a.Name+".json", v); err != nil {
			f.Fatal(err)
		}
		if results[a.Name], err = comp.Compile(a.Name + ".json"); err != nil {
			f.Fatal(err)
		}
	}
	admin, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(admin.Close)
	state := func(t *testing.T) (canary, relations int64) {
		t.Helper()
		err := admin.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM canary),
			(SELECT count(*) FROM pg_class WHERE relnamespace IN ('public'::regnamespace, 'enact'::regnamespace, 'other'::regnamespace))
			+ (SELECT count(*) FROM enact.run_keys) + (SELECT count(*) FROM other.canary)`).Scan(&canary, &relations)
		if err != nil {
			t.Fatalf("the canary is gone: %v", err)
		}
		return canary, relations
	}

	f.Fuzz(func(t *testing.T, action uint8, args string) {
		c := conns[action>>3&1]
		name := fuzzActions[int(action&7)%len(fuzzActions)]
		canaryBefore, relsBefore := state(t)
		if canaryBefore < 3 { // keep something to lose
			if _, err := admin.Exec(context.Background(), `INSERT INTO canary (v) SELECT 'refill' FROM generate_series(1, 5)`); err != nil {
				t.Fatal(err)
			}
			canaryBefore += 5
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := c.Call(ctx, name, json.RawMessage(args), hostfns.CallOptions{})
		var delta int64
		if err != nil {
			var ce *hostfns.ConnectorError
			if !errors.As(err, &ce) {
				t.Fatalf("%s %s: error %T %v is not a *hostfns.ConnectorError", name, args, err, err)
			}
			if ce.Code != hostfns.CodeInvalidArgs && ce.Code != hostfns.CodeConflict {
				t.Fatalf("%s %s: code %s (%s): arguments alone should cause only invalid_args or conflict", name, args, ce.Code, ce.Message)
			}
		} else {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out.Result))
			if err != nil {
				t.Fatalf("%s %s: result %s is not JSON: %v", name, args, out.Result, err)
			}
			if err := results[name].Validate(v); err != nil {
				t.Fatalf("%s %s: result %s breaks its schema: %v", name, args, out.Result, err)
			}
			// Every spelling of the canary's name (canary, CANARY,
			// "public"."canary"...) reaches it: ask the connector which
			// table the arguments named.
			res, rerr := c.Resolve(ctx, name, json.RawMessage(args))
			if rerr != nil {
				t.Fatalf("%s %s: the call succeeded but Resolve failed: %v", name, args, rerr)
			}
			if s := res.Target["schema"]; s != "public" {
				t.Fatalf("%s %s: reached schema %v", name, args, s)
			}
			var r struct {
				RowsAffected int64 `json:"rows_affected"`
			}
			json.Unmarshal(out.Result, &r)
			if res.Target["table"] == "public.canary" {
				switch name {
				case "insert_row":
					delta = r.RowsAffected
				case "delete_row":
					delta = -r.RowsAffected
				}
			}
		}
		canaryAfter, relsAfter := state(t)
		if canaryAfter != canaryBefore+delta {
			t.Fatalf("%s %s (error %v): canary went from %d to %d rows, want %d", name, args, err, canaryBefore, canaryAfter, canaryBefore+delta)
		}
		if relsAfter != relsBefore {
			t.Fatalf("%s %s: %d relations became %d", name, args, relsBefore, relsAfter)
		}
	})
}
