package postgres_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
)

// BenchmarkInsertRow measures insert_row end to end against the real
// server: a new row (check, insert, commit), a row that already exists
// (check only), and, for the connector's overhead, a bare pgx INSERT of
// the same row.
func BenchmarkInsertRow(b *testing.B) {
	c, dsn := open(b, postgres.Config{}, `CREATE TABLE bench (id bigint PRIMARY KEY, email text UNIQUE, plan text, meta jsonb)`)
	ctx := context.Background()
	args := func(id int) json.RawMessage {
		s := strconv.Itoa(id)
		return json.RawMessage(`{"table": "bench", "values": {"id": ` + s + `, "email": "u` + s + `@x.io", "plan": "pro", "meta": {"n": ` + s + `}}}`)
	}
	next := 1 // ids stay new across -count runs
	b.Run("new", func(b *testing.B) {
		for b.Loop() {
			next++
			out, err := c.Call(ctx, "insert_row", args(next), hostfns.CallOptions{})
			if err != nil || out.AlreadyExisted {
				b.Fatal(err, out.AlreadyExisted)
			}
		}
	})
	if _, err := c.Call(ctx, "insert_row", args(1), hostfns.CallOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("existing", func(b *testing.B) {
		for b.Loop() {
			out, err := c.Call(ctx, "insert_row", args(1), hostfns.CallOptions{})
			if err != nil || !out.AlreadyExisted {
				b.Fatal(err, out.AlreadyExisted)
			}
		}
	})
	b.Run("pgx-baseline", func(b *testing.B) {
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		for b.Loop() {
			next++
			s := strconv.Itoa(-next)
			if _, err := pool.Exec(ctx, `INSERT INTO bench (id, email, plan, meta) VALUES ($1, $2, $3, $4)`, s, "b"+s+"@x.io", "pro", `{"n": `+s+`}`); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCountRows measures the read-only lookup behind the policy fact
// postgres.rows_matching.
func BenchmarkCountRows(b *testing.B) {
	c, _ := open(b, postgres.Config{})
	args := json.RawMessage(`{"table": "accounts", "where": {"plan": "free"}}`)
	for b.Loop() {
		if _, err := c.Call(context.Background(), "count_rows", args, hostfns.CallOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
