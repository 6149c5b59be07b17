package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/pgtest"
)

func TestSerializationFailureIsRetriedOnce(t *testing.T) {
	t.Parallel()
	c, err := New(context.Background(), Config{DSN: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		failures, calls int
		code            string
	}{
		{failures: 1, calls: 2},
		{failures: 2, calls: 2, code: hostfns.CodeConflict},
	} {
		calls := 0
		err := c.inTx(context.Background(), readWrite, func(tx pgx.Tx) error {
			calls++
			if calls <= tc.failures {
				return &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
			}
			return nil
		})
		if calls != tc.calls {
			t.Errorf("%d failures: %d attempts, want %d", tc.failures, calls, tc.calls)
		}
		if tc.code == "" && err != nil || tc.code != "" && c.classify(context.Background(), err).Code != tc.code {
			t.Errorf("%d failures: %v, want code %q", tc.failures, err, tc.code)
		}
	}
	// Other failures are not retried.
	calls := 0
	err = c.inTx(context.Background(), readWrite, func(tx pgx.Tx) error {
		calls++
		return &pgconn.PgError{Code: "23505"}
	})
	if calls != 1 || !errors.As(err, new(*pgconn.PgError)) {
		t.Errorf("unique violation: %d attempts, %v", calls, err)
	}
}

func TestIntegral(t *testing.T) {
	for in, want := range map[string]string{
		"3": "3", "3.0": "3", "1e3": "1000", "1E+2": "100", "-2.50e1": "-25", "1.5": "1.5", "1e-3": "1e-3",
		"1e400": "1e400", "1e999999999": "1e999999999", "0.0": "0", "-0": "-0",
	} {
		if got := integral(in); got != want {
			t.Errorf("integral(%s) = %s, want %s", in, got, want)
		}
	}
}
