// Package console is the operators' web console of enact-run serve,
// mounted at /ui: the runs, newest first, with filters (actor, capability,
// status, time) and paging; one run's full receipt (who, what, when, the
// decision and why, every action with its policies, facts, effect and
// timings, outputs, inputs with their redactions, signatures and chain
// position); the chain's verification, naming its first broken link; and
// the signing keys.
//
//	GET  /ui/                      runs (?actor, capability, status, since, until, n, before)
//	GET  /ui/runs/{id}             one run (a unique prefix of its id works too)
//	GET  /ui/runs/{id}/receipt.json  the envelope exactly as signed
//	GET  /ui/chain                 the chain's verification
//	GET  /ui/keys                  the signing keys
//	GET  /ui/approvals             approval requests the viewer made or may approve (all for an auditor), pending first (?state)
//	GET  /ui/approvals/{id}        one request: the exact action, redacted arguments, requirements, votes; Approve and Deny
//	POST /ui/approvals/{id}/approve, /deny  a vote (form: csrf, reason), then back to the request's page
//	GET  /ui/login, POST /ui/login, POST /ui/logout
//
// Pages are rendered on the server with html/template (every value from a
// receipt is escaped) and styled by one embedded stylesheet; there is no
// JavaScript, and the Content-Security-Policy allows none.
//
// Operators log in with the bearer tokens of the HTTP API (the policy's
// api_tokens), exchanged for a random session id in an HttpOnly,
// SameSite=Strict cookie scoped to /ui. The server keeps the token with
// the session and authenticates it again on every request, so a token
// removed from the policy ends its sessions at once and a change of roles
// shows immediately. State-changing requests are POSTs refused when cross
// origin (http.CrossOriginProtection); logout also carries the session's
// CSRF token, and so do votes on approval requests. A held run's page shows
// its request, with the vote buttons for a viewer who may approve it. Like
// the API, an actor sees its own runs only, unless the
// policy gives it the auditor role; another actor's run is "not found"
// exactly like an unknown id.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/enact-run/enact/cmd/enact-run/internal/receiptview"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// Prefix is the path the console is served under.
const Prefix = "/ui"

// CookieName is the session cookie's name.
const CookieName = "enact_console"

// Store is what the console reads from the receipt store;
// receipts.Store is one.
type Store interface {
	receiptview.Store
	Verify(ctx context.Context, verifiers []receipts.Verifier) (receipts.VerifyReport, error)
}

// Keyring holds the keys that verify receipts; *receipts.Keyring is one.
type Keyring interface {
	Verifiers() []receipts.Verifier
	Signers() []receipts.Signer
	PublicKeys() map[string]string
}

// Config configures the console. Store, Keys and MayReadAll are required,
// and Auth or AnonymousActor.
type Config struct {
	Store Store
	Keys  Keyring
	// Auth maps a bearer token to its actor (the policy's api_tokens). When
	// nil there is no login and everyone acts as AnonymousActor.
	Auth           func(token string) (policy.Actor, bool)
	AnonymousActor string
	// MayReadAll reports whether an actor reads every actor's runs (the
	// auditor role).
	MayReadAll func(policy.Actor) bool
	// Children, when set, returns the run ids of a composite run's child
	// runs, listed on its page (those the viewer may read).
	Children func(ctx context.Context, runID string) ([]string, error)
	// Approvals, when set, serves the approval requests (/ui/approvals)
	// and takes votes from their pages; a pending run's page links its
	// request.
	Approvals Approvals
	// SessionTTL is how long a login lasts; 0 is 12 hours.
	SessionTTL time.Duration
	// MaxSessions bounds the sessions kept; 0 is 1000. Past it, a login
	// ends the session closest to expiry.
	MaxSessions int
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultMaxSessions = 1000
	// DefaultPageSize and MaxPageSize bound the runs on one page.
	DefaultPageSize = 50
	MaxPageSize     = 500
	maxFormBytes    = 64 << 10
)

//go:embed templates/*.html static/*
var assets embed.FS

type console struct {
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
	css   []byte

	mu       sync.Mutex
	sessions map[string]*session // by the sha256 of the session id
}

// session is one login: the token it was made with (authenticated again
// on every request) and the CSRF token of its forms.
type session struct {
	token   string
	csrf    string
	expires time.Time
}

// New returns the console's handler, to be mounted at Prefix + "/".
func New(cfg Config) (http.Handler, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("console: no receipt store")
	case cfg.Keys == nil:
		return nil, errors.New("console: no keyring")
	case cfg.MayReadAll == nil:
		return nil, errors.New("console: no MayReadAll")
	case cfg.Auth == nil && cfg.AnonymousActor == "":
		return nil, errors.New("console: no authenticator and no anonymous actor")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &console{cfg: cfg, log: cfg.Logger, sessions: map[string]*session{}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if c.css, err = fs.ReadFile(assets, "static/console.css"); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/{$}", c.authed(c.runs))
	mux.HandleFunc("GET "+Prefix+"/runs/{id}", c.authed(c.run))
	mux.HandleFunc("GET "+Prefix+"/runs/{id}/receipt.json", c.authed(c.receipt))
	mux.HandleFunc("GET "+Prefix+"/chain", c.authed(c.chain))
	mux.HandleFunc("GET "+Prefix+"/keys", c.authed(c.keys))
	mux.HandleFunc("GET "+Prefix+"/approvals", c.authed(c.approvals))
	mux.HandleFunc("GET "+Prefix+"/approvals/{id}", c.authed(c.approval))
	mux.HandleFunc("POST "+Prefix+"/approvals/{id}/approve", c.authed(c.vote(true)))
	mux.HandleFunc("POST "+Prefix+"/approvals/{id}/deny", c.authed(c.vote(false)))
	mux.HandleFunc("GET "+Prefix+"/login", c.loginForm)
	mux.HandleFunc("POST "+Prefix+"/login", c.login)
	mux.HandleFunc("POST "+Prefix+"/logout", c.logout)
	mux.HandleFunc("GET "+Prefix+"/static/console.css", c.stylesheet)
	mux.HandleFunc(Prefix+"/", c.authed(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		c.notFound(w, r, v, "There is no page "+r.URL.Path+".")
	}))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.page(w, r, http.StatusForbidden, "error", &pageData{Title: "Refused", Message: "A cross-origin request that changes state is refused. Use the console's own forms."})
	}))
	return securityHeaders(cop.Handler(mux)), nil
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"time":        receiptview.TimeText,
		"duration":    receiptview.DurationText,
		"short":       func(id string) string { return shortID(id) },
		"lower":       strings.ToLower,
		"badge":       badgeClass,
		"counts":      func(c receiptview.Counts) string { return receiptview.CountsText(c, "none") },
		"runURL":      func(id string) string { return Prefix + "/runs/" + url.PathEscape(id) },
		"approvalURL": func(id string) string { return Prefix + "/approvals/" + url.PathEscape(id) },
		"upper":       strings.ToUpper,
		"requirement": receiptview.RequirementText,
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"runs", "run", "chain", "keys", "login", "error", "approvals", "approval"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// shortID is the first 12 characters of a run id, as lists show it.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// badgeClass is the CSS class of a decision or an action's decision.
func badgeClass(decision string, attention bool) string {
	switch strings.ToUpper(decision) {
	case "PASS", "ALLOWED":
		if attention {
			return "badge warn"
		}
		return "badge ok"
	case "BLOCK", "DENIED":
		return "badge bad"
	case "PENDING", "HELD", "EXPIRED":
		return "badge warn"
	case "APPROVED":
		return "badge ok"
	}
	return "badge fail"
}

// securityHeaders sets the headers every response carries: no scripts, no
// framing, no sniffing, nothing cached.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// viewer is who is looking: the actor, whether it reads every run, and its
// session (nil without login).
type viewer struct {
	actor   policy.Actor
	all     bool
	session *session
}

// scope is the actor a viewer's reads are limited to; "" for all.
func (v *viewer) scope() string {
	if v.all {
		return ""
	}
	return v.actor.Email
}

// authed resolves the viewer, or sends a browser to the login page.
func (c *console) authed(next func(http.ResponseWriter, *http.Request, *viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := c.viewerOf(r)
		if !ok {
			target := Prefix + "/login"
			if r.Method == http.MethodGet && r.URL.Path != Prefix+"/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next(w, r, v)
	}
}

// viewerOf authenticates a request by its session cookie (or as the
// anonymous actor when there is no login).
func (c *console) viewerOf(r *http.Request) (*viewer, bool) {
	if c.cfg.Auth == nil {
		a := policy.Actor{Email: c.cfg.AnonymousActor}
		return &viewer{actor: a, all: c.cfg.MayReadAll(a)}, true
	}
	s := c.sessionOf(r)
	if s == nil {
		return nil, false
	}
	a, ok := c.cfg.Auth(s.token)
	if !ok || a.Email == "" {
		return nil, false
	}
	return &viewer{actor: a, all: c.cfg.MayReadAll(a), session: s}, true
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// sessionOf returns the live session the request's cookie names.
func (c *console) sessionOf(r *http.Request) *session {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil
	}
	key := sessionKey(ck.Value)
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sessions[key]
	if s == nil {
		return nil
	}
	if !c.cfg.Now().Before(s.expires) {
		delete(c.sessions, key)
		return nil
	}
	return s
}

func randomText() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newSession stores a session for token and returns its id.
func (c *console) newSession(token string) string {
	id := randomText()
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.sessions {
		if !now.Before(s.expires) {
			delete(c.sessions, k)
		}
	}
	for len(c.sessions) >= c.cfg.MaxSessions {
		var oldest string
		for k, s := range c.sessions {
			if oldest == "" || s.expires.Before(c.sessions[oldest].expires) {
				oldest = k
			}
		}
		delete(c.sessions, oldest)
	}
	c.sessions[sessionKey(id)] = &session{token: token, csrf: randomText(), expires: now.Add(c.cfg.SessionTTL)}
	return id
}

func (c *console) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	}
}

// safeNext is where a login may send the browser: a console path only.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(u.Path, Prefix+"/") || strings.Contains(next, `\`) || strings.HasPrefix(next, "//") {
		return Prefix + "/"
	}
	return u.RequestURI()
}

func (c *console) loginForm(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Auth == nil {
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
		return
	}
	if _, ok := c.viewerOf(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.page(w, r, http.StatusOK, "login", &pageData{Title: "Log in", Next: safeNext(r.URL.Query().Get("next"))})
}

func (c *console) login(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Auth == nil {
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		c.page(w, r, http.StatusBadRequest, "login", &pageData{Title: "Log in", Message: "The form could not be read: " + err.Error()})
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	next := safeNext(r.PostForm.Get("next"))
	a, ok := c.cfg.Auth(token)
	if token == "" || !ok || a.Email == "" {
		msg := "That token was refused. Tokens are listed, by their sha256, under api_tokens in the policy file; make one with: enact-run token create EMAIL"
		if token == "" {
			msg = "Paste a token to log in."
		}
		c.page(w, r, http.StatusUnauthorized, "login", &pageData{Title: "Log in", Message: msg, Next: next})
		return
	}
	id := c.newSession(token)
	http.SetCookie(w, c.cookie(r, id, int(c.cfg.SessionTTL/time.Second)))
	c.log.Info("console: login", "actor", a.Email)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *console) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	_ = r.ParseForm()
	s := c.sessionOf(r)
	if s == nil {
		http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(s.csrf)) != 1 {
		c.page(w, r, http.StatusForbidden, "error", &pageData{Title: "Refused", Message: "The form's CSRF token is missing or wrong. Use the console's own logout button."})
		return
	}
	if ck, err := r.Cookie(CookieName); err == nil {
		c.mu.Lock()
		delete(c.sessions, sessionKey(ck.Value))
		c.mu.Unlock()
	}
	http.SetCookie(w, c.cookie(r, "", -1))
	http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
}

func (c *console) stylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(c.css)
}

// pageData is what every template gets.
type pageData struct {
	Title   string
	Viewer  *viewer
	Message string // an error or notice shown at the top
	Next    string // login: where to go after

	// runs
	Filter    filterForm
	Statuses  []string
	Items     []receiptview.Item
	OlderURL  string
	NewestURL string

	// run
	View       *receiptview.View
	ReceiptURL string
	Children   []receiptview.Summary

	// chain
	Chain *chainState

	// approvals, approval, and a held run's request
	Approvals      []receipts.ApprovalRequest
	Approval       *receipts.ApprovalRequest
	ApprovalFilter string
	MayVote        bool
	ApprovalStates []string
	HasApprovals   bool

	// keys
	Keys []keyRow
}

// Actor is the viewer's email, for the layout.
func (p *pageData) Actor() string {
	if p.Viewer == nil {
		return ""
	}
	return p.Viewer.actor.Email
}

// All reports whether the viewer reads every actor's runs.
func (p *pageData) All() bool { return p.Viewer != nil && p.Viewer.all }

// CSRF is the viewer's session's CSRF token ("" without a session).
func (p *pageData) CSRF() string {
	if p.Viewer == nil || p.Viewer.session == nil {
		return ""
	}
	return p.Viewer.session.csrf
}

// page renders a page with the layout.
func (c *console) page(w http.ResponseWriter, r *http.Request, status int, name string, d *pageData) {
	d.HasApprovals = c.cfg.Approvals != nil
	var b strings.Builder
	if err := c.pages[name].Execute(&b, d); err != nil {
		c.log.Error("console: rendering a page", "page", name, "path", r.URL.Path, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(b.String()))
	}
}

func (c *console) notFound(w http.ResponseWriter, r *http.Request, v *viewer, msg string) {
	c.page(w, r, http.StatusNotFound, "error", &pageData{Title: "Not found", Viewer: v, Message: msg})
}

func (c *console) internal(w http.ResponseWriter, r *http.Request, v *viewer, what string, err error) {
	c.log.Error("console: "+what, "path", r.URL.Path, "error", err)
	c.page(w, r, http.StatusInternalServerError, "error", &pageData{Title: "Error", Viewer: v, Message: what + ": " + err.Error()})
}

// filterForm is the runs page's filter, as typed.
type filterForm struct {
	Actor, Capability, Status, Since, Until string
	N                                       int
}

// query encodes the filter (without paging) for links.
func (f filterForm) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "capability": f.Capability, "status": f.Status, "since": f.Since, "until": f.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.N != DefaultPageSize {
		q.Set("n", strconv.Itoa(f.N))
	}
	return q
}

func (c *console) runs(w http.ResponseWriter, r *http.Request, v *viewer) {
	q := r.URL.Query()
	form := filterForm{
		Actor: strings.TrimSpace(q.Get("actor")), Capability: strings.TrimSpace(q.Get("capability")),
		Status: strings.TrimSpace(q.Get("status")), Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until")),
		N: DefaultPageSize,
	}
	d := &pageData{Title: "Runs", Viewer: v, Statuses: []string{"PASS", "BLOCK", "FAILED", "DENIED", "ATTENTION"}}
	var problems []string
	if s := q.Get("n"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			problems = append(problems, fmt.Sprintf("n %q: want a page size from 1 to %d", s, MaxPageSize))
		} else {
			form.N = n
		}
	}
	f := receiptview.Filter{Capability: form.Capability, Limit: form.N, Actor: form.Actor}
	if !v.all {
		f.Actor, form.Actor = v.actor.Email, ""
	}
	var err error
	if f.Status, err = receiptview.ParseStatus(form.Status); err != nil {
		problems = append(problems, err.Error())
	}
	form.Status = string(f.Status)
	now := c.cfg.Now()
	if f.Since, err = receiptview.ParseTime(form.Since, now); err != nil {
		problems = append(problems, "since: "+err.Error())
	}
	if f.Until, err = receiptview.ParseTime(form.Until, now); err != nil {
		problems = append(problems, "until: "+err.Error())
	}
	if s := q.Get("before"); s != "" {
		if f.Before, err = strconv.ParseInt(s, 10, 64); err != nil || f.Before < 1 {
			problems = append(problems, fmt.Sprintf("before %q: want a sequence number", s))
		}
	}
	d.Filter = form
	if len(problems) > 0 {
		d.Message = strings.Join(problems, "; ")
		c.page(w, r, http.StatusBadRequest, "runs", d)
		return
	}
	page, err := receiptview.List(r.Context(), c.cfg.Store, f)
	if err != nil {
		c.internal(w, r, v, "listing the runs", err)
		return
	}
	d.Items = page.Items
	base := form.query()
	if page.More {
		older := url.Values{}
		for k, vs := range base {
			older[k] = vs
		}
		older.Set("before", strconv.FormatInt(page.Next, 10))
		d.OlderURL = Prefix + "/?" + older.Encode()
	}
	if f.Before > 0 {
		d.NewestURL = Prefix + "/"
		if enc := base.Encode(); enc != "" {
			d.NewestURL += "?" + enc
		}
	}
	c.page(w, r, http.StatusOK, "runs", d)
}

// resolve finds the run the path names within the viewer's scope, or
// writes the error page.
func (c *console) resolve(w http.ResponseWriter, r *http.Request, v *viewer) (*receipts.Envelope, bool) {
	id := r.PathValue("id")
	env, err := receiptview.Resolve(r.Context(), c.cfg.Store, id, v.scope())
	switch {
	case errors.Is(err, receipts.ErrNotFound):
		c.notFound(w, r, v, "No run "+id+" that you may read.")
		return nil, false
	case errors.Is(err, receiptview.ErrAmbiguous):
		c.page(w, r, http.StatusNotFound, "error", &pageData{Title: "Ambiguous", Viewer: v, Message: strings.TrimPrefix(err.Error(), "receiptview: ")})
		return nil, false
	case err != nil:
		c.internal(w, r, v, "reading the receipt", err)
		return nil, false
	}
	return env, true
}

func (c *console) run(w http.ResponseWriter, r *http.Request, v *viewer) {
	env, ok := c.resolve(w, r, v)
	if !ok {
		return
	}
	view, err := receiptview.Build(env, c.cfg.Keys.Verifiers())
	if err != nil {
		c.internal(w, r, v, "reading the receipt", err)
		return
	}
	d := &pageData{Title: "Run " + shortID(view.RunID), Viewer: v, View: view, ReceiptURL: Prefix + "/runs/" + url.PathEscape(view.RunID) + "/receipt.json"}
	c.heldRequest(r, v, view, d)
	if c.cfg.Children != nil {
		ids, err := c.cfg.Children(r.Context(), view.RunID)
		if err != nil {
			c.log.Warn("console: listing child runs", "run_id", view.RunID, "error", err)
		}
		for _, id := range ids {
			child, err := receiptview.Resolve(r.Context(), c.cfg.Store, id, v.scope())
			if err != nil {
				continue
			}
			if cr, err := receiptview.Decode(child); err == nil {
				d.Children = append(d.Children, receiptview.Summarize(cr, child.Hash))
			}
		}
	}
	c.page(w, r, http.StatusOK, "run", d)
}

func (c *console) receipt(w http.ResponseWriter, r *http.Request, v *viewer) {
	env, ok := c.resolve(w, r, v)
	if !ok {
		return
	}
	data, err := env.MarshalJSON()
	if err != nil {
		c.internal(w, r, v, "encoding the receipt", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="receipt-`+r.PathValue("id")+`.json"`)
	_, _ = w.Write(data)
}

// chainState is the chain page's verification result.
type chainState struct {
	OK       bool
	Verified int64
	HeadSeq  int64
	HeadHash string
	Head     time.Time
	// BreakSeq, BreakRunID and BreakReason name the first broken link;
	// BreakRunID is empty when the viewer may not read that run.
	BreakSeq    int64
	BreakRunID  string
	BreakReason string
	Checked     time.Time
}

func (c *console) chain(w http.ResponseWriter, r *http.Request, v *viewer) {
	rep, err := c.cfg.Store.Verify(r.Context(), c.cfg.Keys.Verifiers())
	var ce *receipts.ChainError
	if err != nil && !errors.As(err, &ce) {
		c.internal(w, r, v, "verifying the chain", err)
		return
	}
	st := &chainState{OK: ce == nil, Verified: rep.Verified, HeadSeq: rep.HeadSeq, HeadHash: rep.HeadHash, Head: rep.Head, Checked: c.cfg.Now()}
	if ce != nil {
		st.BreakSeq, st.BreakReason = ce.Seq, strings.TrimPrefix(ce.Reason, "receipts: ")
		if ce.ID != "" {
			if _, err := receiptview.Resolve(r.Context(), c.cfg.Store, ce.ID, v.scope()); err == nil {
				st.BreakRunID = ce.ID
			}
		}
		// A reason may name another actor's run: only auditors, and the
		// actor whose run it is, read it.
		if !v.all && st.BreakRunID == "" {
			st.BreakReason = "the receipt stored there does not verify, or its link to the previous receipt is wrong (an auditor sees the details)"
		}
	}
	c.page(w, r, http.StatusOK, "chain", &pageData{Title: "Chain", Viewer: v, Chain: st})
}

// keyRow is one key on the keys page.
type keyRow struct {
	KeyID, Alg, PublicKey string
	Current               bool
}

func (c *console) keys(w http.ResponseWriter, r *http.Request, v *viewer) {
	pub := c.cfg.Keys.PublicKeys()
	current := map[string]bool{}
	for _, s := range c.cfg.Keys.Signers() {
		current[s.KeyID()] = true
	}
	var rows []keyRow
	for _, k := range c.cfg.Keys.Verifiers() {
		rows = append(rows, keyRow{KeyID: k.KeyID(), Alg: k.Alg(), PublicKey: pub[k.KeyID()], Current: current[k.KeyID()]})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Current != rows[j].Current {
			return rows[i].Current
		}
		return rows[i].KeyID < rows[j].KeyID
	})
	c.page(w, r, http.StatusOK, "keys", &pageData{Title: "Signing keys", Viewer: v, Keys: rows})
}
