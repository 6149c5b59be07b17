package console_test

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enact-run/enact/cmd/enact-run/internal/console"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// The fixture's actors and their tokens: ops is an auditor, agent reads
// its own runs.
const (
	opsToken   = "tok-ops-0123456789"
	agentToken = "tok-agent-0123456789"
	ops        = "ops@acme.com"
	agent      = "agent@acme.com"
	// hostile is text an attacker could get into a receipt (an output, a
	// policy reason); the console must show it as text.
	hostile = `<script>alert("owned")</script><img src=x onerror=alert(1)>`
)

// fixture is a receipt store with four runs, newest last:
//
//	1 BLOCK  stranger@else.where   a run policy refused it
//	2 PASS   agent  kv.put denied by no_stats_keys (the denied run); hostile strings
//	3 PASS   ops    clean
//	4 FAILED agent  guest error
type fixture struct {
	dir   string
	keys  *receipts.Keyring
	store *receipts.SQLiteStore
	ids   [5]string // run ids by seq
	// revoked tokens no longer authenticate.
	mu      sync.Mutex
	revoked map[string]bool
}

var base = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), revoked: map[string]bool{}}
	var err error
	if f.keys, err = receipts.OpenKeyring(filepath.Join(f.dir, "keys")); err != nil {
		t.Fatal(err)
	}
	if f.store, err = receipts.OpenSQLite(t.Context(), filepath.Join(f.dir, "receipts.db"), f.keys.Signers()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	digest := "sha256:" + strings.Repeat("ab", 32)
	mk := func(i int, actor string, d receipts.Decision) *receipts.Receipt {
		start := base.Add(time.Duration(i) * time.Minute)
		return &receipts.Receipt{
			RunID:      "run" + strings.Repeat(string(rune('a'+i)), 4) + "0123456789abcdef",
			Capability: receipts.Capability{ID: "acme/textstats", Version: "1.0.0", Digest: digest},
			Actor:      receipts.Actor{Email: actor, Roles: []string{"agent"}},
			Inputs:     map[string]any{"text": "hello", "api_key": receipts.Redacted},
			Decision:   d, Status: "completed",
			Started: start, Finished: start.Add(40 * time.Millisecond), DurationMS: 40, Timestamp: start.Add(41 * time.Millisecond),
		}
	}
	runs := []*receipts.Receipt{
		mk(1, "stranger@else.where", receipts.DecisionBlock),
		mk(2, agent, receipts.DecisionPass),
		mk(3, ops, receipts.DecisionPass),
		mk(4, agent, receipts.DecisionFailed),
	}
	runs[0].Status = "blocked"
	runs[0].PolicyResults = []receipts.PolicyResult{{Policy: "require_actor_role", Passed: false, Reason: "Actor stranger@else.where has no roles; one of [agent] is required"}}
	runs[1].Outputs = map[string]any{"summary": hostile, "words": json.Number("2")}
	runs[1].Actions = []receipts.Action{{
		Seq: 1, Action: "kv.put", ArgsDigest: digest, Decision: receipts.ActionDenied,
		PolicyResults: []receipts.PolicyResult{
			{Policy: "allowlist", Passed: true, Reason: "kv.put is in the allow list"},
			{Policy: "no_stats_keys", Passed: false, Reason: "stats keys are reserved " + hostile},
		},
		Facts:   map[string]any{"key_exists": false},
		Error:   &receipts.Error{Code: "denied", Message: "no_stats_keys: stats keys are reserved"},
		Started: base.Add(2*time.Minute + 10*time.Millisecond), DurationMS: 0.6,
	}}
	runs[2].Actions = []receipts.Action{{
		Seq: 1, Action: "kv.put", ArgsDigest: digest, Decision: receipts.ActionAllowed,
		Result: json.RawMessage(`{"key":"mine/x","version":1}`), Started: base.Add(3 * time.Minute), DurationMS: 1.25,
	}}
	runs[3].Status = "failed"
	runs[3].Error = &receipts.Error{Code: "guest_error", Message: "ZeroDivisionError: division by zero"}
	for i, r := range runs {
		if _, err := f.store.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		f.ids[i+1] = r.RunID
	}
	return f
}

// auth maps the fixture's tokens to their actors, unless revoked.
func (f *fixture) auth(token string) (policy.Actor, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.revoked[token] {
		return policy.Actor{}, false
	}
	switch token {
	case opsToken:
		return policy.Actor{Email: ops, Roles: []string{policy.RoleAuditor}}, true
	case agentToken:
		return policy.Actor{Email: agent, Roles: []string{"agent"}}, true
	}
	return policy.Actor{}, false
}

func (f *fixture) revoke(token string) {
	f.mu.Lock()
	f.revoked[token] = true
	f.mu.Unlock()
}

// handler is the console over the fixture.
func (f *fixture) handler(t testing.TB) http.Handler {
	t.Helper()
	h, err := console.New(console.Config{
		Store: f.store, Keys: f.keys, Auth: f.auth,
		MayReadAll: func(a policy.Actor) bool { return strings.EqualFold(a.Email, ops) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// tamper rewrites a stored receipt's body behind the store's back, as
// someone with write access to the database file could.
func (f *fixture) tamper(t testing.TB, seq int64, old, new string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(f.dir, "receipts.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var env []byte
	if err := db.QueryRow(`SELECT envelope FROM receipts WHERE seq = ?`, seq).Scan(&env); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(env), old, new, 1)
	if changed == string(env) {
		t.Fatalf("seq %d holds no %q", seq, old)
	}
	if _, err := db.Exec(`UPDATE receipts SET envelope = ? WHERE seq = ?`, []byte(changed), seq); err != nil {
		t.Fatal(err)
	}
}

// client is a browser-like HTTP client: a cookie jar, no redirects
// followed, so tests see each answer.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func newClient(t testing.TB, srv *httptest.Server) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: srv.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns the status, headers and body.
func (c *client) do(method, path string, form url.Values, header map[string]string) (int, http.Header, string) {
	c.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, resp.Header, b.String()
}

func (c *client) get(path string) (int, http.Header, string) { return c.do("GET", path, nil, nil) }

// login logs in with a token and fails the test unless it is accepted.
func (c *client) login(token string) {
	c.t.Helper()
	code, h, body := c.do("POST", "/ui/login", url.Values{"token": {token}}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/" {
		c.t.Fatalf("login: %d %v\n%s", code, h, body)
	}
}
