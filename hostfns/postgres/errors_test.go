package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
	"github.com/enact-run/enact/internal/pgtest"
)

// parseURL parses a test DSN; the tests that rewrite DSNs need the URL form.
func parseURL(t *testing.T, dsn string) *url.URL {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		t.Skipf("%s is not a postgres:// URL; this test rewrites it", pgtest.EnvDSN)
	}
	return u
}

func TestPermissionDeniedIsUnauthorized(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t, schema)
	role := "r_" + strings.ReplaceAll(strings.TrimPrefix(parseURL(t, dsn).Path, "/t_"), "-", "")
	sqlExec(t, dsn, `CREATE ROLE `+role+` LOGIN PASSWORD 'role-pw-123'; GRANT SELECT ON accounts TO `+role)
	t.Cleanup(func() { sqlExec(t, dsn, `DROP OWNED BY `+role+`; DROP ROLE `+role) })
	u := parseURL(t, dsn)
	u.User = url.UserPassword(role, "role-pw-123")
	c, err := postgres.New(context.Background(), postgres.Config{DSN: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	must(t, c, "select_rows", `{"table": "accounts"}`)
	for _, tc := range []struct{ action, args string }{
		{"insert_row", `{"table": "accounts", "values": {"id": 9, "email": "e"}}`},
		{"update_row", `{"table": "accounts", "values": {"plan": "x"}, "where": {"id": 1}}`},
		{"delete_row", `{"table": "accounts", "where": {"id": 1}}`},
		{"select_rows", `{"table": "canary"}`},
		{"count_rows", `{"table": "canary"}`},
	} {
		if _, _, err := call(t, c, tc.action, tc.args); code(err) != hostfns.CodeUnauthorized || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s %s: %v, want unauthorized", tc.action, tc.args, err)
		}
	}
}

func TestDeadlineIsTimeout(t *testing.T) {
	t.Parallel()
	c, dsn := open(t, postgres.Config{})
	// Another transaction holds the row: the update waits until the deadline.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(context.Background(), `SELECT * FROM accounts WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Call(ctx, "update_row", json.RawMessage(`{"table": "accounts", "values": {"plan": "x"}, "where": {"id": 1}}`), hostfns.CallOptions{})
	if code(err) != hostfns.CodeTimeout {
		t.Fatalf("blocked update: %v, want timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the call returned %v after its deadline", d)
	}
	tx.Rollback(context.Background())
	// The connector still works.
	must(t, c, "update_row", `{"table": "accounts", "values": {"plan": "x"}, "where": {"id": 1}}`)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	for action, args := range map[string]string{
		"insert_row":  `{"table": "accounts", "values": {"id": 1}}`,
		"update_row":  `{"table": "accounts", "values": {"id": 1}, "where": {"id": 1}}`,
		"delete_row":  `{"table": "accounts", "where": {"id": 1}}`,
		"select_rows": `{"table": "accounts"}`,
		"count_rows":  `{"table": "accounts"}`,
	} {
		if _, err := c.Call(ctx, action, json.RawMessage(args), hostfns.CallOptions{}); code(err) != hostfns.CodeTimeout {
			t.Errorf("%s with a cancelled context: %v, want timeout", action, err)
		}
	}
}

// proxy forwards TCP connections to a server until it is closed, when it
// drops them all: the database going away.
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l}
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(p.Close)
	return p
}

func (p *proxy) Close() {
	p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestConnectionFailuresAndSecrets checks the codes of connection
// failures, and that no message or result ever holds the DSN or its
// password.
func TestConnectionFailuresAndSecrets(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t, schema)
	u := parseURL(t, dsn)
	password, _ := u.User.Password()
	if password == "" {
		u.User = url.UserPassword(u.User.Username(), "not-the-password-but-secret")
		password = "not-the-password-but-secret"
	}
	var messages []string
	note := func(err error) {
		if err != nil {
			messages = append(messages, err.Error())
		}
	}

	p := newProxy(t, u.Host)
	pu := *u
	pu.Host = p.l.Addr().String()
	c, err := postgres.New(context.Background(), postgres.Config{DSN: pu.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct{ action, args string }{
		{"insert_row", `{"table": "accounts", "values": {"id": 9, "email": "e"}}`},
		{"insert_row", `{"table": "accounts", "values": {"id": 10, "email": "a@x.io"}}`},
		{"update_row", `{"table": "accounts", "values": {"seats": "x"}, "where": {"id": 1}}`},
		{"select_rows", `{"table": "accounts"}`},
		{"select_rows", `{"table": "nope"}`},
		{"count_rows", `{"table": "accounts", "where": {"x": 1}}`},
		{"delete_row", `{}`},
		{"nope", `{}`},
	} {
		out, err := c.Call(context.Background(), tc.action, json.RawMessage(tc.args), hostfns.CallOptions{})
		note(err)
		messages = append(messages, string(out.Result))
	}

	p.Close() // the database goes away: lost connections, then refused ones
	for i := range 3 {
		_, err := c.Call(context.Background(), "select_rows", json.RawMessage(`{"table": "accounts"}`), hostfns.CallOptions{})
		if code(err) != hostfns.CodeUnavailable {
			t.Errorf("call %d after the database went away: %v, want unavailable", i, err)
		}
		note(err)
	}

	// New reports what went wrong, without the credentials.
	refused := *u
	refused.Host = p.l.Addr().String() // closed: nothing listens there now
	wrongPW := *u
	wrongPW.User = url.UserPassword(u.User.Username(), password+"-wrong")
	noDB := *u
	noDB.Path = "/no_such_database"
	for _, tc := range []struct {
		dsn, code string
	}{
		{refused.String(), hostfns.CodeUnavailable},
		{wrongPW.String(), hostfns.CodeUnauthorized},
		{noDB.String(), hostfns.CodeUnavailable},
		{"postgres://user:" + password + "@127.0.0.1:notaport/db", ""},
		{"host=127.0.0.1 port=nope password=" + password, ""},
		{"postgres://user:" + password + "@no-such-host.invalid:5432/db?connect_timeout=5", hostfns.CodeUnavailable},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := postgres.New(ctx, postgres.Config{DSN: tc.dsn})
		cancel()
		if err == nil {
			c.Close()
			if tc.code == hostfns.CodeUnauthorized {
				t.Logf("the server accepted a wrong password (trust authentication): not checked")
				continue
			}
			t.Errorf("New(%s) succeeded", tc.dsn)
			continue
		}
		note(err)
		if tc.code != "" {
			var ce *hostfns.ConnectorError
			if !errors.As(err, &ce) || ce.Code != tc.code {
				t.Errorf("New with a %s DSN: %v, want %s", tc.code, err, tc.code)
			}
		}
	}
	for _, m := range messages {
		if strings.Contains(m, password) || strings.Contains(m, dsn) || strings.Contains(m, url.QueryEscape(password)) {
			t.Errorf("a message holds the credentials: %s", m)
		}
	}
	if len(messages) < 15 {
		t.Errorf("only %d messages checked", len(messages))
	}
}
