// Package githubfake is an in-process fake of the GitHub REST API for
// tests: an httptest server holding one repository that a real go-github
// client (or the github connector) talks to. GitHub cannot be reached from
// the test machines, and a fake that only knew the happy path would prove
// nothing about retries, so this one models what the connector's
// check-before-act depends on:
//
//   - Git data: blobs, trees (base_tree, deletion by a null sha, 422 when
//     deleting a path that does not exist), commits, refs (422 "Reference
//     already exists" on a duplicate create, 422 "Update is not a fast
//     forward" without force, 422 "Reference does not exist"). Object ids
//     are real Git SHA-1 ids, so equal content gives equal trees.
//   - Branches (GET /branches/{branch}), commits lists, compare
//     (identical, ahead, behind, diverged).
//   - Pull requests: create (422 on a missing base or head, on no commits
//     between them, and "A pull request already exists for …" on a
//     duplicate open head/base), list with the head=owner:branch, base and
//     state filters, get (with mergeability), update (close, reopen), merge
//     (merge, squash, rebase; 405 when not mergeable, closed or already
//     merged; 409 when the head moved). Deleting a PR's head or base branch
//     closes it, as on GitHub.
//   - Issues (numbered together with pull requests, and listed with them as
//     GitHub does): create, list, get, update.
//   - Pagination of every list (per_page up to 100, page, Link headers).
//   - Authentication: 401 without the token or with another one.
//   - Rate limiting on demand: SetRateLimit makes the next requests fail
//     with 403 or 429 and Retry-After / X-RateLimit-* headers.
//
// Responses are go-github's own types, encoded as GitHub encodes them
// (their url and html_url point at the fake's server). Error messages
// follow GitHub's where they are documented; the status codes always do.
// The
// fake is safe for concurrent use; each request is atomic. Inspection
// methods (Branch, File, Log, PullRequests, Issues, Requests…) read its
// state directly, without a request.
//
// Typical use:
//
//	fake := githubfake.New(githubfake.Config{})
//	t.Cleanup(fake.Close)
//	conn, err := github.New(github.Config{Token: fake.Token(), Owner: fake.Owner(),
//		Repo: fake.Repo(), BaseURL: fake.URL()})
package githubfake

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

// Config describes the fake's repository. The zero value is usable.
type Config struct {
	// Token is the one token the fake accepts. Empty: a random one (see
	// Fake.Token).
	Token string
	// Owner and Repo name the repository; default "octo-org" and
	// "octo-repo". Other repositories do not exist (404).
	Owner, Repo string
	// DefaultBranch is created with one initial commit; default "main".
	DefaultBranch string
	// Login is the authenticated user's login; default "enact-bot".
	Login string
	// TreeLimit, when positive, is the most entries one tree listing
	// holds: past it the listing has its first TreeLimit entries and
	// "truncated": true, as GitHub answers a recursive listing past
	// 100,000 entries (or 7 MB). Zero: no limit.
	TreeLimit int
}

// RateLimit makes the fake refuse requests as GitHub does when a limit is
// exceeded.
type RateLimit struct {
	// Count is how many of the next requests are refused.
	Count int
	// Status is 403 (the default) or 429.
	Status int
	// Secondary selects a secondary ("abuse") limit: Retry-After and a
	// documentation_url ending in secondary-rate-limits. Otherwise the
	// primary limit: X-RateLimit-Remaining 0 and X-RateLimit-Reset.
	// Both kinds send Retry-After and X-RateLimit-Reset.
	Secondary bool
	// RetryAfter is the wait announced, in whole seconds (at least 1);
	// default 1s.
	RetryAfter time.Duration
}

// Request is one request the fake received.
type Request struct {
	Method string
	// Path is the request's path and query.
	Path   string
	Status int
}

// Commit is a commit of the fake's repository.
type Commit struct {
	SHA     string
	Tree    string
	Message string
	Parents []string
}

// PullRequest is a pull request as the fake holds it.
type PullRequest struct {
	Number         int
	Title, Body    string
	Head, Base     string // branch names
	HeadSHA        string
	State          string // "open" or "closed"
	Draft, Merged  bool
	MergeCommitSHA string
}

// Issue is an issue (not a pull request) as the fake holds it.
type Issue struct {
	Number      int
	Title, Body string
	State       string
	Labels      []string
}

// Fake is a fake GitHub REST API serving one repository.
type Fake struct {
	srv *httptest.Server
	cfg Config

	mu      sync.Mutex
	blobs   map[string][]byte
	trees   map[string]map[string]entry // tree sha → its files, by path
	commits map[string]*commit
	refs    map[string]string // "heads/main" → commit sha
	items   []*item           // issues and pull requests; number i+1 at index i
	seq     int               // orders commits and items in time
	log     []Request
	limit   RateLimit
	limited int
}

// New starts a fake. Close it when done.
func New(cfg Config) *Fake {
	if cfg.Token == "" {
		b := make([]byte, 20)
		rand.Read(b)
		cfg.Token = "ghp_fake" + hex.EncodeToString(b)
	}
	cfg.Owner = cmp.Or(cfg.Owner, "octo-org")
	cfg.Repo = cmp.Or(cfg.Repo, "octo-repo")
	cfg.DefaultBranch = cmp.Or(cfg.DefaultBranch, "main")
	cfg.Login = cmp.Or(cfg.Login, "enact-bot")
	f := &Fake{
		cfg:     cfg,
		blobs:   map[string][]byte{},
		trees:   map[string]map[string]entry{},
		commits: map[string]*commit{},
		refs:    map[string]string{},
	}
	readme := f.storeBlob([]byte("# " + cfg.Repo + "\n"))
	tree := f.storeTree(map[string]entry{"README.md": {mode: "100644", typ: "blob", sha: readme}})
	initial := f.storeCommit(tree, "Initial commit", nil, signature{name: cfg.Login, email: cfg.Login + "@users.noreply.github.com", when: time.Unix(1700000000, 0).UTC()})
	f.refs["heads/"+cfg.DefaultBranch] = initial
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	return f
}

// Close shuts the server down.
func (f *Fake) Close() { f.srv.Close() }

// URL is the root of the REST API, with a trailing slash (the BaseURL
// for go-github or the connector).
func (f *Fake) URL() string { return f.srv.URL + "/" }

// Token is the token the fake accepts.
func (f *Fake) Token() string { return f.cfg.Token }

// Owner is the repository's owner.
func (f *Fake) Owner() string { return f.cfg.Owner }

// Repo is the repository's name.
func (f *Fake) Repo() string { return f.cfg.Repo }

// DefaultBranch is the repository's default branch.
func (f *Fake) DefaultBranch() string { return f.cfg.DefaultBranch }

// SetRateLimited makes the next n requests fail with GitHub's primary rate
// limit answer (403, X-RateLimit-Remaining 0, reset and Retry-After in 1s).
func (f *Fake) SetRateLimited(n int) { f.SetRateLimit(RateLimit{Count: n}) }

// SetRateLimit makes the next l.Count requests fail as l describes.
func (f *Fake) SetRateLimit(l RateLimit) {
	if l.Status == 0 {
		l.Status = http.StatusForbidden
	}
	if l.RetryAfter < time.Second {
		l.RetryAfter = time.Second
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limit, f.limited = l, l.Count
}

// Requests is how many requests the fake has received, refused ones
// included.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.log)
}

// RequestLog lists the requests received, oldest first.
func (f *Fake) RequestLog() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// Branch returns the commit a branch points at.
func (f *Fake) Branch(name string) (sha string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sha, ok = f.refs["heads/"+name]
	return sha, ok
}

// Branches lists the branches, sorted.
func (f *Fake) Branches() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for ref := range f.refs {
		if name, ok := strings.CutPrefix(ref, "heads/"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Log lists the commits reachable from a branch, newest first (nil when
// the branch does not exist).
func (f *Fake) Log(branch string) []Commit {
	f.mu.Lock()
	defer f.mu.Unlock()
	head, ok := f.refs["heads/"+branch]
	if !ok {
		return nil
	}
	var out []Commit
	for _, c := range f.history(head) {
		out = append(out, Commit{SHA: c.sha, Tree: c.tree, Message: c.message, Parents: slices.Clone(c.parents)})
	}
	return out
}

// File returns the content of a file at a branch's head.
func (f *Fake) File(branch, path string) (content string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	head, ok := f.refs["heads/"+branch]
	if !ok {
		return "", false
	}
	e, ok := f.trees[f.commits[head].tree][path]
	if !ok || e.typ != "blob" {
		return "", false
	}
	return string(f.blobs[e.sha]), true
}

// PullRequests lists the pull requests, by number.
func (f *Fake) PullRequests() []PullRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []PullRequest
	for _, it := range f.items {
		if p := it.pull; p != nil {
			out = append(out, PullRequest{
				Number: it.number, Title: it.title, Body: it.body, Head: p.head, Base: p.base,
				HeadSHA: f.headSHA(it), State: it.state, Draft: p.draft, Merged: p.merged, MergeCommitSHA: p.mergeCommit,
			})
		}
	}
	return out
}

// Issues lists the issues that are not pull requests, by number.
func (f *Fake) Issues() []Issue {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Issue
	for _, it := range f.items {
		if it.pull == nil {
			out = append(out, Issue{Number: it.number, Title: it.title, Body: it.body, State: it.state, Labels: slices.Clone(it.labels)})
		}
	}
	return out
}

// Push commits files onto a branch as someone else would, creating the
// branch from the default branch when it does not exist. It is for
// setting up a test; the files map paths to contents.
func (f *Fake) Push(branch, message string, files map[string]string) (sha string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !validRefName("refs/heads/" + branch) {
		return "", fmt.Errorf("githubfake: invalid branch name %q", branch)
	}
	parent, ok := f.refs["heads/"+branch]
	if !ok {
		parent = f.refs["heads/"+f.cfg.DefaultBranch]
	}
	tree := clone(f.trees[f.commits[parent].tree])
	for p, content := range files {
		if !validPath(p) {
			return "", fmt.Errorf("githubfake: invalid path %q", p)
		}
		setPath(tree, p, entry{mode: "100644", typ: "blob", sha: f.storeBlob([]byte(content))})
	}
	sha = f.storeCommit(f.storeTree(tree), message, []string{parent}, f.signature(time.Now()))
	f.refs["heads/"+branch] = sha
	return sha, nil
}

// OpenIssue creates an open issue as someone else would and returns its
// number. It is for setting up a test.
func (f *Fake) OpenIssue(title, body string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addItem(title, body, nil, nil).number
}

// OpenPullRequest opens a pull request as someone else would, with the
// checks of the API, and returns its number. It is for setting up a test.
func (f *Fake) OpenPullRequest(head, base, title string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, apiErr := f.createPull(head, base, title, "", false)
	if apiErr != nil {
		return 0, fmt.Errorf("githubfake: %d %s", apiErr.status, apiErr.message())
	}
	return it.number, nil
}

// --- serving ---

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (f *Fake) serveHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() { f.log = append(f.log, Request{Method: r.Method, Path: r.URL.RequestURI(), Status: sw.status}) }()
	sw.Header().Set("X-GitHub-Request-Id", fmt.Sprintf("FAKE:%d", len(f.log)+1))
	if !f.authorized(sw, r) {
		return
	}
	if f.limited > 0 {
		f.limited--
		f.refuseRateLimited(sw)
		return
	}
	h := sw.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4999") // the fake meters nothing on its own
	h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	if e := f.route(sw, r); e != nil {
		e.write(sw)
	}
}

func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		(&apiError{status: http.StatusUnauthorized, msg: "Requires authentication", doc: "https://docs.github.com/rest"}).write(w)
		return false
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(auth, "token ")
	}
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(f.cfg.Token)) != 1 {
		(&apiError{status: http.StatusUnauthorized, msg: "Bad credentials", doc: "https://docs.github.com/rest"}).write(w)
		return false
	}
	return true
}

func (f *Fake) refuseRateLimited(w http.ResponseWriter) {
	l := f.limit
	secs := int64((l.RetryAfter + time.Second - 1) / time.Second)
	h := w.Header()
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Duration(secs)*time.Second).Unix()+1, 10))
	h.Set("X-RateLimit-Resource", "core")
	e := &apiError{status: l.Status}
	if l.Secondary {
		h.Set("X-RateLimit-Remaining", "4999")
		e.msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
		e.doc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	} else {
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Used", "5000")
		e.msg = "API rate limit exceeded for user " + f.cfg.Login + "."
		e.doc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
	}
	e.write(w)
}

// route dispatches a request; a returned error is written as the answer.
func (f *Fake) route(w http.ResponseWriter, r *http.Request) *apiError {
	path := r.URL.Path
	if path == "/user" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, f.user())
		return nil
	}
	rest, ok := strings.CutPrefix(path, "/repos/")
	if !ok {
		return errNotFound
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || !strings.EqualFold(parts[0], f.cfg.Owner) || !strings.EqualFold(parts[1], f.cfg.Repo) {
		return errNotFound
	}
	rest = ""
	if len(parts) == 3 {
		rest = parts[2]
	}
	m := r.Method
	switch {
	case rest == "" && m == http.MethodGet:
		writeJSON(w, http.StatusOK, f.repository())
		return nil
	case strings.HasPrefix(rest, "git/"):
		return f.routeGit(w, r, strings.TrimPrefix(rest, "git/"))
	case rest == "commits" && m == http.MethodGet:
		return f.listCommits(w, r)
	case rest == "branches" && m == http.MethodGet:
		return f.listBranches(w, r)
	case strings.HasPrefix(rest, "branches/") && m == http.MethodGet:
		return f.getBranch(w, strings.TrimPrefix(rest, "branches/"))
	case strings.HasPrefix(rest, "compare/") && m == http.MethodGet:
		return f.compare(w, strings.TrimPrefix(rest, "compare/"))
	case rest == "pulls" || strings.HasPrefix(rest, "pulls/"):
		return f.routePulls(w, r, strings.TrimPrefix(strings.TrimPrefix(rest, "pulls"), "/"))
	case rest == "issues" || strings.HasPrefix(rest, "issues/"):
		return f.routeIssues(w, r, strings.TrimPrefix(strings.TrimPrefix(rest, "issues"), "/"))
	}
	return errNotFound
}

// --- errors and encoding ---

// apiError is an error answer in GitHub's shape.
type apiError struct {
	status int
	msg    string
	doc    string
	errs   []github.Error
}

var errNotFound = &apiError{status: http.StatusNotFound, msg: "Not Found", doc: "https://docs.github.com/rest"}

func validation(resource, field, code, message string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, msg: "Validation Failed",
		errs: []github.Error{{Resource: resource, Field: field, Code: code, Message: message}}}
}

func unprocessable(msg string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, msg: msg}
}

func badJSON(err error) *apiError {
	return &apiError{status: http.StatusBadRequest, msg: "Problems parsing JSON: " + err.Error()}
}

func (e *apiError) message() string {
	s := e.msg
	for _, x := range e.errs {
		if x.Message != "" {
			s += ": " + x.Message
		}
	}
	return s
}

func (e *apiError) write(w http.ResponseWriter) {
	body := struct {
		Message          string         `json:"message"`
		Errors           []github.Error `json:"errors,omitempty"`
		DocumentationURL string         `json:"documentation_url"`
		Status           string         `json:"status"`
	}{e.msg, e.errs, cmp.Or(e.doc, "https://docs.github.com/rest"), strconv.Itoa(e.status)}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

func decode(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 100<<20))
	if err := dec.Decode(v); err != nil {
		return badJSON(err)
	}
	return nil
}

// paginate applies per_page (default 30, at most 100) and page (from 1)
// to n items, sets the Link header and returns the bounds of the page.
func (f *Fake) paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	last := max(1, (n+per-1)/per)
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		return "<" + f.srv.URL + u.String() + `>; rel="` + rel + `"`
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(min(page-1, last), "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo = min((page-1)*per, n)
	return lo, min(lo+per, n)
}

func (f *Fake) apiURL(format string, args ...any) string {
	return f.srv.URL + fmt.Sprintf("/repos/%s/%s/", f.cfg.Owner, f.cfg.Repo) + fmt.Sprintf(format, args...)
}

func (f *Fake) htmlURL(format string, args ...any) string {
	return f.srv.URL + fmt.Sprintf("/%s/%s/", f.cfg.Owner, f.cfg.Repo) + fmt.Sprintf(format, args...)
}

func (f *Fake) user() *github.User {
	return &github.User{Login: github.String(f.cfg.Login), ID: github.Int64(1), Type: github.String("User")}
}

func (f *Fake) repository() *github.Repository {
	return &github.Repository{
		ID:            github.Int64(1),
		Name:          github.String(f.cfg.Repo),
		FullName:      github.String(f.cfg.Owner + "/" + f.cfg.Repo),
		Owner:         &github.User{Login: github.String(f.cfg.Owner), Type: github.String("Organization")},
		DefaultBranch: github.String(f.cfg.DefaultBranch),
		Private:       github.Bool(true),
		HTMLURL:       github.String(f.htmlURL("")),
		URL:           github.String(strings.TrimSuffix(f.apiURL(""), "/")),
		Permissions:   map[string]bool{"admin": false, "push": true, "pull": true},
	}
}
