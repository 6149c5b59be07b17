package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestNewDatabase(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t, "CREATE TABLE t (n integer); INSERT INTO t VALUES (1), (2)")
	if got := count(t, dsn); got != 2 {
		t.Errorf("%d rows, want the 2 the setup inserted", got)
	}
}

// TestServerStopStart stops a test's own server and starts it again: the
// DSN fails while it is stopped and works again afterwards, with the data
// committed before the stop, while the shared server keeps serving.
func TestServerStopStart(t *testing.T) {
	t.Parallel()
	srv := pgtest.NewServer(t)
	dsn := srv.Database(t, "CREATE TABLE t (n integer)")
	shared := pgtest.NewDatabase(t, "CREATE TABLE t (n integer)")
	ctx := t.Context()

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	if _, err := conn.Exec(ctx, "INSERT INTO t VALUES (2)"); err == nil {
		t.Error("a session of the stopped server still answers")
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if c, err := pgx.Connect(cctx, dsn); err == nil {
		c.Close(context.Background())
		t.Fatal("the stopped server accepts connections")
	}
	if got := count(t, shared); got != 0 {
		t.Errorf("the shared server: %d rows in a new database", got)
	}

	srv.Start(t)
	if got := count(t, dsn); got != 1 {
		t.Errorf("%d rows after Start, want the 1 committed before Stop", got)
	}
	// A second database on the restarted server.
	if got := count(t, srv.Database(t, "CREATE TABLE t (n integer)")); got != 0 {
		t.Errorf("%d rows in a new database", got)
	}
}

// count returns the number of rows of table t in the database at dsn.
func count(t *testing.T, dsn string) int {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
