package console_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/enact-run/enact/cmd/enact-run/internal/console"
	"github.com/enact-run/enact/policy"
)

func TestConsoleLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	c := newClient(t, srv)

	// Without a session every page sends the browser to the login form,
	// remembering where it was going.
	code, h, _ := c.get("/ui/")
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/login" {
		t.Fatalf("GET /ui/ without a session: %d %s", code, h.Get("Location"))
	}
	code, h, _ = c.get("/ui/runs/" + f.ids[2])
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/login?next="+url.QueryEscape("/ui/runs/"+f.ids[2]) {
		t.Fatalf("GET a run without a session: %d %s", code, h.Get("Location"))
	}
	code, _, body := c.get("/ui/login")
	if code != http.StatusOK || !strings.Contains(body, `name="token"`) || !strings.Contains(body, "enact-run token create") {
		t.Fatalf("login form: %d\n%s", code, body)
	}

	// A refused token: 401, no cookie.
	code, h, body = c.do("POST", "/ui/login", url.Values{"token": {"nope"}}, nil)
	if code != http.StatusUnauthorized || h.Get("Set-Cookie") != "" || !strings.Contains(body, "refused") {
		t.Fatalf("bad token: %d %v", code, h)
	}
	// A good one: a session cookie, HttpOnly, SameSite=Strict, scoped to
	// /ui; then back to where the browser was going.
	code, h, _ = c.do("POST", "/ui/login", url.Values{"token": {agentToken}, "next": {"/ui/runs/" + f.ids[2]}}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/runs/"+f.ids[2] {
		t.Fatalf("login: %d %s", code, h.Get("Location"))
	}
	ck := h.Get("Set-Cookie")
	for _, want := range []string{console.CookieName + "=", "Path=/ui", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, agentToken) {
		t.Errorf("the cookie holds the token: %s", ck)
	}
	code, _, body = c.get("/ui/")
	if code != http.StatusOK || !strings.Contains(body, agent) {
		t.Fatalf("runs after login: %d\n%s", code, body)
	}

	// A login may only send the browser on within the console.
	for _, next := range []string{"//evil.example/", "https://evil.example/ui/", "/v1/runs", `/ui/\evil`, "javascript:alert(1)"} {
		code, h, _ := newClient(t, srv).do("POST", "/ui/login", url.Values{"token": {agentToken}, "next": {next}}, nil)
		if code != http.StatusSeeOther || h.Get("Location") != "/ui/" {
			t.Errorf("next %q: %d → %s, want /ui/", next, code, h.Get("Location"))
		}
	}

	// A token removed from the policy ends its sessions at once.
	f.revoke(agentToken)
	if code, h, _ := c.get("/ui/"); code != http.StatusSeeOther || h.Get("Location") != "/ui/login" {
		t.Errorf("after revoking the token: %d %s", code, h.Get("Location"))
	}
}

func TestConsoleScopesRunsToTheActor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	agentC, opsC := newClient(t, srv), newClient(t, srv)
	agentC.login(agentToken)
	opsC.login(opsToken)

	listed := func(body string) []string {
		var ids []string
		for _, m := range regexp.MustCompile(`href="/ui/runs/([^"/]+)"`).FindAllStringSubmatch(body, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	_, _, body := agentC.get("/ui/")
	if got, want := strings.Join(listed(body), " "), f.ids[4]+" "+f.ids[2]; got != want {
		t.Errorf("agent's runs: %s, want %s (its own, newest first)", got, want)
	}
	// The actor filter does not widen an actor's view.
	_, _, body = agentC.get("/ui/?actor=" + url.QueryEscape(ops))
	if got := strings.Join(listed(body), " "); got != f.ids[4]+" "+f.ids[2] {
		t.Errorf("agent asking for ops's runs sees %s", got)
	}
	_, _, body = opsC.get("/ui/")
	if got := strings.Join(listed(body), " "); got != f.ids[4]+" "+f.ids[3]+" "+f.ids[2]+" "+f.ids[1] {
		t.Errorf("auditor's runs: %s", got)
	}
	_, _, body = opsC.get("/ui/?actor=" + url.QueryEscape("AGENT@acme.com"))
	if got := strings.Join(listed(body), " "); got != f.ids[4]+" "+f.ids[2] {
		t.Errorf("auditor filtering by actor: %s", got)
	}

	// Another actor's run is not found, exactly like an unknown id, by id,
	// by prefix and as JSON.
	for _, path := range []string{"/ui/runs/" + f.ids[3], "/ui/runs/" + f.ids[3][:8], "/ui/runs/" + f.ids[3] + "/receipt.json", "/ui/runs/nosuchrun"} {
		code, _, body := agentC.get(path)
		if code != http.StatusNotFound || strings.Contains(body, "ops@acme.com") {
			t.Errorf("agent GET %s: %d", path, code)
		}
	}
	code, _, body := agentC.get("/ui/runs/" + f.ids[2][:9])
	if code != http.StatusOK || !strings.Contains(body, f.ids[2]) {
		t.Errorf("agent's own run by prefix: %d", code)
	}
	code, h, body := opsC.get("/ui/runs/" + f.ids[2] + "/receipt.json")
	if code != http.StatusOK || h.Get("Content-Type") != "application/json" {
		t.Fatalf("receipt.json: %d %v", code, h)
	}
	env, err := f.store.Get(t.Context(), f.ids[2])
	if err != nil {
		t.Fatal(err)
	}
	want, _ := env.MarshalJSON()
	if body != string(want) {
		t.Errorf("receipt.json is not the envelope exactly as signed:\n%s\n%s", body, want)
	}
}

func TestConsoleRunPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	c := newClient(t, srv)
	c.login(opsToken)

	code, _, body := c.get("/ui/runs/" + f.ids[2])
	if code != http.StatusOK {
		t.Fatalf("run page: %d\n%s", code, body)
	}
	for _, want := range []string{
		"PASS, 1 denied",               // never a bare PASS
		"kv.put denied: no_stats_keys", // why
		"stats keys are reserved",      // the policy's reason
		"nothing (refused before the connector ran)",
		"key_exists",                                     // the facts
		`<span class="badge redacted">[redacted]</span>`, // api_key
		"This receipt verifies",
		"hmac:", "ed25519:", // signer key ids
		"verified",
		f.ids[2],
	} {
		if !strings.Contains(body, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	// Hostile strings from the receipt are text, never markup.
	if strings.Contains(body, "<script>") || strings.Contains(body, "<img src=x") {
		t.Errorf("the run page carries markup from the receipt:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(") {
		t.Errorf("the hostile output is not shown escaped")
	}
	_, _, list := c.get("/ui/")
	if strings.Contains(list, "<script>") || strings.Contains(list, "<img src=x") {
		t.Error("the runs list carries markup from a receipt")
	}

	// The failed run says why.
	_, _, body = c.get("/ui/runs/" + f.ids[4])
	if !strings.Contains(body, "guest_error: ZeroDivisionError: division by zero") {
		t.Errorf("failed run page lacks its error")
	}
	// The blocked run names the run policy.
	_, _, body = c.get("/ui/runs/" + f.ids[1])
	if !strings.Contains(body, "require_actor_role: Actor stranger@else.where has no roles") {
		t.Errorf("blocked run page lacks its reason")
	}
}

func TestConsoleRunsFiltersAndPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	c := newClient(t, srv)
	c.login(opsToken)
	runIDs := func(body string) string {
		var ids []string
		for _, m := range regexp.MustCompile(`href="/ui/runs/([^"/]+)"`).FindAllStringSubmatch(body, -1) {
			ids = append(ids, m[1])
		}
		return strings.Join(ids, " ")
	}
	for _, tc := range []struct {
		query string
		want  []int
	}{
		{"status=DENIED", []int{2, 1}},
		{"status=denied", []int{2, 1}},
		{"status=BLOCK", []int{1}},
		{"status=PASS", []int{3, 2}},
		{"status=ATTENTION", []int{4, 2, 1}},
		{"capability=acme/textstats&status=FAILED", []int{4}},
		{"capability=other", nil},
		{"since=2026-03-14T15:12", []int{4, 3}},
		{"until=2026-03-14T15:12", []int{2, 1}},
		{"since=2026-03-14T15:11&until=2026-03-14T15:13", []int{3, 2}},
	} {
		code, _, body := c.get("/ui/?" + tc.query)
		var want []string
		for _, i := range tc.want {
			want = append(want, f.ids[i])
		}
		if code != http.StatusOK || runIDs(body) != strings.Join(want, " ") {
			t.Errorf("?%s: %d, runs %s, want %s", tc.query, code, runIDs(body), want)
		}
	}

	// Paging: two at a time, newest first, the filter kept.
	_, _, body := c.get("/ui/?n=2")
	older := regexp.MustCompile(`href="(/ui/\?[^"]*before=[^"]*)" id="older"`).FindStringSubmatch(body)
	if runIDs(body) != f.ids[4]+" "+f.ids[3] || older == nil {
		t.Fatalf("page 1: %s, older link %v", runIDs(body), older)
	}
	_, _, body = c.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	if runIDs(body) != f.ids[2]+" "+f.ids[1] || strings.Contains(body, `id="older"`) || !strings.Contains(body, "Newest") {
		t.Errorf("page 2: %s", runIDs(body))
	}

	// Bad filters are named, with 400.
	for _, q := range []string{"status=MAYBE", "since=yesterday", "n=0", "n=100000", "before=x"} {
		code, _, body := c.get("/ui/?" + q)
		name := strings.SplitN(q, "=", 2)[0]
		if code != http.StatusBadRequest || !strings.Contains(body, name) {
			t.Errorf("?%s: %d", q, code)
		}
	}
}

func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	c := newClient(t, srv)
	c.login(agentToken)

	// A cross-origin POST is refused, login included (no login CSRF).
	for _, hdr := range []map[string]string{
		{"Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "cross-site"},
	} {
		code, h, _ := newClient(t, srv).do("POST", "/ui/login", url.Values{"token": {agentToken}}, hdr)
		if code != http.StatusForbidden || h.Get("Set-Cookie") != "" {
			t.Errorf("cross-origin login %v: %d", hdr, code)
		}
		if code, _, _ := c.do("POST", "/ui/logout", url.Values{}, hdr); code != http.StatusForbidden {
			t.Errorf("cross-origin logout %v: %d", hdr, code)
		}
	}
	// Logout without the page's CSRF token is refused, and the session
	// stays.
	if code, _, _ := c.do("POST", "/ui/logout", url.Values{"csrf": {"guess"}}, nil); code != http.StatusForbidden {
		t.Errorf("logout with a wrong CSRF token: %d", code)
	}
	code, _, body := c.get("/ui/")
	if code != http.StatusOK {
		t.Fatalf("the session did not survive a refused logout: %d", code)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token in the page")
	}
	code, h, _ := c.do("POST", "/ui/logout", url.Values{"csrf": {m[1]}}, map[string]string{"Origin": srv.URL})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d %v", code, h)
	}
	if code, _, _ := c.get("/ui/"); code != http.StatusSeeOther {
		t.Errorf("after logout: %d", code)
	}
	// Every page refuses scripts and framing.
	_, h, _ = c.get("/ui/login")
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", h)
	}
}

func TestConsoleChainAndKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(f.handler(t))
	defer srv.Close()
	opsC, agentC := newClient(t, srv), newClient(t, srv)
	opsC.login(opsToken)
	agentC.login(agentToken)

	_, _, body := opsC.get("/ui/chain")
	if !strings.Contains(body, "The chain verifies: 4 receipts") {
		t.Errorf("chain before tampering:\n%s", body)
	}
	_, _, body = opsC.get("/ui/keys")
	for _, k := range f.keys.Verifiers() {
		if !strings.Contains(body, k.KeyID()) {
			t.Errorf("keys page lacks %s", k.KeyID())
		}
	}
	for _, pub := range f.keys.PublicKeys() {
		if !strings.Contains(html.UnescapeString(body), pub) {
			t.Errorf("keys page lacks the public key %s", pub)
		}
	}

	// Someone edits the third receipt in the database.
	f.tamper(t, 3, `"version":1`, `"version":2`)
	_, _, body = opsC.get("/ui/chain")
	if !strings.Contains(body, "The chain is BROKEN at seq 3") || !strings.Contains(body, f.ids[3]) || !strings.Contains(body, "hash") {
		t.Errorf("chain after tampering:\n%s", body)
	}
	_, _, body = opsC.get("/ui/runs/" + f.ids[3])
	if !strings.Contains(body, "This receipt does NOT verify") {
		t.Errorf("the tampered run's page does not say so")
	}
	// The agent learns that the chain broke, not which of another actor's
	// runs is there.
	_, _, body = agentC.get("/ui/chain")
	if !strings.Contains(body, "The chain is BROKEN at seq 3") || strings.Contains(body, f.ids[3]) {
		t.Errorf("agent's chain page:\n%s", body)
	}
}

func TestConsoleAnonymous(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h, err := console.New(console.Config{Store: f.store, Keys: f.keys, AnonymousActor: agent, MayReadAll: func(policy.Actor) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := newClient(t, srv)
	code, _, body := c.get("/ui/")
	if code != http.StatusOK || !strings.Contains(body, f.ids[2]) || strings.Contains(body, f.ids[3]) || strings.Contains(body, "Log out") {
		t.Errorf("anonymous console: %d", code)
	}
	if code, h, _ := c.get("/ui/login"); code != http.StatusSeeOther || h.Get("Location") != "/ui/" {
		t.Errorf("login without tokens: %d", code)
	}
	if _, err := console.New(console.Config{Store: f.store, Keys: f.keys, MayReadAll: func(policy.Actor) bool { return false }}); err == nil {
		t.Error("a console with neither tokens nor an anonymous actor was made")
	}
}
