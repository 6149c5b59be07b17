// Package github is the GitHub connector: it acts on one repository
// through the REST API (go-github), with the token held host-side.
//
// # Actions
//
// Arguments and results are JSON Schemas in Actions; in short:
//
//	github.create_branch {branch, from?}                          → {branch, sha}
//	github.push_commit   {branch, message, files: [file…]}         → {sha, branch, files: [path…]}
//	    file: {path, content} | {path, content_base64} | {path, delete: true}
//	github.create_pr     {head, base, title, body?, draft?}        → {number, url, state}
//	github.merge_pr      {number, base?, method?}                  → {merged, sha}
//	github.delete_branch {branch}                                  → {branch, deleted}
//	github.create_issue  {title, body?, labels?}                   → {number, url}
//	github.get_branch    {branch}                                  → {found, branch, sha?, protected?}
//	github.list_pulls    {head?, base?, state?, limit?}            → {pulls: [pull…], truncated}
//	    pull: {number, url, state, title, head, base, draft}
//	github.list_changes  {branch, files: [file…], message?}
//	    → {branch, measured, head, entries, count, added, modified, deleted, changes: [{path, change}…], truncated}
//
// Branch arguments (branch, from, base, and head after an optional
// "owner:") name branches; a leading "refs/heads/" or "heads/" is
// stripped, exactly as the policies strip it, so a policy and the
// connector always mean the same branch. from may instead be a 40-digit
// commit sha; it defaults to the repository's default branch. method is
// merge (the default), squash or rebase; state is open (the default),
// closed or all; a pull's state is open, closed or merged. merge_pr's base,
// when given, must be the pull request's base branch (conflict otherwise):
// policies such as no_push_to_main judge a merge by it. url is the web page.
//
// push_commit writes one commit through the Git Data API (blobs → tree
// with the branch head's tree as base → commit → fast-forward ref
// update). It never force-pushes: if the branch moved meanwhile, it
// answers conflict and the branch is left as it was. The branch must
// exist. Files are written with mode 100644. A deletion whose path is a
// directory deletes the directory with everything under it (a tree entry
// with a null sha, sent with the path's own mode and type); a write whose
// path is a directory replaces the directory by the file. A path inside
// another entry's path is refused (invalid_args) unless both are
// deletions, since GitHub documents no order for a tree's entries.
//
// list_changes measures a push_commit with the same branch and files
// without making it: the files whose presence, mode or content would
// differ from the branch head's tree, every directory deletion and every
// write over a directory or through a file expanded to the files it
// removes. count is their number; changes lists the first 100 by path.
// head is the commit measured: the branch's head, or, when the branch does
// not exist (a run that creates it first; a dry run plans the creation),
// the default branch's head, which measured names.
// It reads the head's tree recursively and, when GitHub truncates that
// listing, each named path and each named directory's subtree; when a
// subtree is too large to list the lookup fails, and a policy that needs
// the measure (max_files_per_commit, as the fact github.commit_changes)
// fails closed.
//
// # Check-before-act
//
// Every mutating action first looks for its effect and answers
// already_existed, changing nothing, when it is there, so a retried run
// never duplicates a side effect:
//
//   - create_branch: the branch exists at the requested commit or at a
//     descendant of it (a retry after push_commit); sha is, as on the
//     first try, the requested commit. A branch without that commit in its
//     history is a conflict.
//   - push_commit: one of the branch's 30 newest commits carries the
//     trailer "Enact-Idempotency-Key: <key>" that the connector adds to
//     every commit message, or the head's tree already holds the content
//     (each written file with the same bytes and mode 100644, judged by
//     the blob's Git object id, and none of the deleted paths); sha is that
//     commit or the head. Deleting a file that is not there changes
//     nothing.
//   - create_pr: an open pull request for the same head and base exists, or
//     a closed or merged one whose body carries the marker
//     "<!-- enact-idempotency-key: <key> -->" that the connector appends to
//     the body.
//   - create_issue: an open issue carries the same body marker (the
//     newest 5000 open issues are searched).
//   - merge_pr: the pull request is already merged.
//   - delete_branch: the branch does not exist.
//
// The key is CallOptions.IdempotencyKey (the gate makes one per action of
// a run); a key with characters other than letters, digits and ._:/@+=~-
// (or with "--") is written as sha256-<hex of its SHA-256>. Without a key
// only the content checks apply.
//
// Check (hostfns.Checker) makes these same lookups with GET requests
// alone and answers performed exactly when a retry would answer
// already_existed. create_issue, which has only the key to go by, cannot
// be checked without one (invalid_args).
//
// # Errors and retries
//
// GitHub's answers become stable codes: 401 and 403 unauthorized; 403
// with X-RateLimit-Remaining 0 or Retry-After, and 429, rate_limited;
// 404 not_found; 405, 409 and 422 conflict (when check-before-act does
// not resolve them); 5xx and network failures unavailable; the context's
// end timeout. A rate-limited read (GET) is retried once after the wait
// GitHub announces (Retry-After, X-RateLimit-Reset), when that wait ends
// before the context's deadline and within a minute; a write is never
// retried. The token is sent only to the API's own host and never
// appears in a result or an error.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/lazyre"
)

// Config configures a Connector.
type Config struct {
	// Token is the GitHub token (a fine-grained or classic personal access
	// token, or an installation token). Required.
	Token string
	// Owner and Repo name the repository the connector acts on. Required.
	Owner, Repo string
	// BaseURL is the REST API's root: default https://api.github.com/; for
	// GitHub Enterprise Server https://HOST/api/v3/. It must be https,
	// except on a loopback address (tests).
	BaseURL string
	// HTTPClient makes the requests; default a client with a 60 s timeout.
	// It is copied, not changed.
	HTTPClient *http.Client
}

// Connector is the GitHub connector. It is safe for concurrent use.
type Connector struct {
	client      *gh.Client
	owner, repo string
	token       string
}

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("github: invalid configuration")

var (
	ownerName = lazyre.New(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	repoName  = lazyre.New(`^[A-Za-z0-9._-]{1,100}$`)
)

// New checks cfg and returns a connector. It makes no request.
func New(cfg Config) (*Connector, error) {
	if cfg.Token == "" || strings.ContainsAny(cfg.Token, " \t\r\n") {
		return nil, fmt.Errorf("%w: a token without white space is required", ErrConfig)
	}
	if !ownerName.MatchString(cfg.Owner) {
		return nil, fmt.Errorf("%w: owner %q is not a GitHub user or organization name", ErrConfig, cfg.Owner)
	}
	if !repoName.MatchString(cfg.Repo) || cfg.Repo == "." || cfg.Repo == ".." {
		return nil, fmt.Errorf("%w: repo %q is not a repository name", ErrConfig, cfg.Repo)
	}
	base := cfg.BaseURL
	if base == "" {
		base = "https://api.github.com/"
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: base URL %q is not an absolute http(s) URL", ErrConfig, base)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, fmt.Errorf("%w: base URL %q must use https (plain http only on a loopback address)", ErrConfig, base)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	hc := &http.Client{Timeout: 60 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	transport := hc.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	hc.Transport = &authTransport{base: transport, scheme: u.Scheme, host: u.Host, token: cfg.Token}
	client := gh.NewClient(hc)
	client.BaseURL = u
	client.UserAgent = "enact-run"
	return &Connector{client: client, owner: cfg.Owner, repo: cfg.Repo, token: cfg.Token}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authTransport adds the token to requests for the API's own host only,
// so a redirect elsewhere never carries it.
type authTransport struct {
	base         http.RoundTripper
	scheme, host string
	token        string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == t.scheme && req.URL.Host == t.host {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.base.RoundTrip(req)
}

// Name implements hostfns.Connector.
func (c *Connector) Name() string { return "github" }

const (
	branchSchema  = `{"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\s~^:?*\\[\\\\]+$"}`
	headSchema    = `{"type": "string", "minLength": 1, "maxLength": 295, "pattern": "^([A-Za-z0-9-]{1,39}:)?[^\\s~^:?*\\[\\\\]+$"}`
	shaSchema     = `{"type": "string", "pattern": "^[0-9a-f]{40}$"}`
	pathSchema    = `{"type": "string", "minLength": 1, "maxLength": 4096}`
	urlSchema     = `{"type": "string"}`
	numberSchema  = `{"type": "integer", "minimum": 1}`
	titleSchema   = `{"type": "string", "minLength": 1, "maxLength": 256}`
	bodySchema    = `{"type": "string", "maxLength": 60000}`
	prStateSchema = `{"enum": ["open", "closed", "merged"]}`
	fileSchema    = `{"oneOf": [
		{"type": "object", "additionalProperties": false, "required": ["path", "content"],
		 "properties": {"path": ` + pathSchema + `, "content": {"type": "string"}, "delete": {"const": false}}},
		{"type": "object", "additionalProperties": false, "required": ["path", "content_base64"],
		 "properties": {"path": ` + pathSchema + `, "content_base64": {"type": "string", "pattern": "^[A-Za-z0-9+/]*={0,2}$"}, "delete": {"const": false}}},
		{"type": "object", "additionalProperties": false, "required": ["path", "delete"],
		 "properties": {"path": ` + pathSchema + `, "delete": {"const": true}}}]}`
	pullSchema = `{"type": "object", "required": ["number", "url", "state", "title", "head", "base", "draft"], "properties": {
		"number": ` + numberSchema + `, "url": ` + urlSchema + `, "state": ` + prStateSchema + `, "title": {"type": "string"},
		"head": {"type": "string"}, "base": {"type": "string"}, "draft": {"type": "boolean"}}}`
)

// Actions implements hostfns.Connector.
func (c *Connector) Actions() []hostfns.ActionSpec {
	obj := func(props, required string) json.RawMessage {
		return json.RawMessage(`{"type": "object", "additionalProperties": false, "properties": {` + props + `}, "required": [` + required + `]}`)
	}
	return []hostfns.ActionSpec{
		{
			Name: "create_branch", Mutating: true,
			Description: "Create a branch at a commit (from: a branch or a commit sha; default the default branch).",
			Args:        obj(`"branch": `+branchSchema+`, "from": {"anyOf": [`+branchSchema+`, `+shaSchema+`]}`, `"branch"`),
			Result:      obj(`"branch": {"type": "string"}, "sha": `+shaSchema, `"branch", "sha"`),
		},
		{
			Name: "push_commit", Mutating: true,
			Description: "Commit files (write or delete) on top of a branch and move the branch to the commit, without force.",
			Args: obj(`"branch": `+branchSchema+`, "message": {"type": "string", "minLength": 1, "maxLength": 60000},
				"files": {"type": "array", "minItems": 1, "maxItems": 1000, "items": `+fileSchema+`}`, `"branch", "message", "files"`),
			Result: obj(`"sha": `+shaSchema+`, "branch": {"type": "string"}, "files": {"type": "array", "items": {"type": "string"}}`, `"sha", "branch", "files"`),
		},
		{
			Name: "create_pr", Mutating: true,
			Description: "Open a pull request from head (branch or owner:branch) into base.",
			Args: obj(`"head": `+headSchema+`, "base": `+branchSchema+`, "title": `+titleSchema+`, "body": `+bodySchema+`,
				"draft": {"type": "boolean", "default": false}`, `"head", "base", "title"`),
			Result: obj(`"number": `+numberSchema+`, "url": `+urlSchema+`, "state": `+prStateSchema, `"number", "url", "state"`),
		},
		{
			Name: "merge_pr", Mutating: true,
			Description: "Merge a pull request (base, when given, must be its base branch).",
			Args: obj(`"number": `+numberSchema+`, "base": `+branchSchema+`,
				"method": {"enum": ["merge", "squash", "rebase"], "default": "merge"}`, `"number"`),
			Result: obj(`"merged": {"type": "boolean"}, "sha": `+shaSchema, `"merged", "sha"`),
		},
		{
			Name: "delete_branch", Mutating: true,
			Description: "Delete a branch; a no-op when it does not exist.",
			Args:        obj(`"branch": `+branchSchema, `"branch"`),
			Result:      obj(`"branch": {"type": "string"}, "deleted": {"type": "boolean"}`, `"branch", "deleted"`),
		},
		{
			Name: "create_issue", Mutating: true,
			Description: "Open an issue.",
			Args: obj(`"title": `+titleSchema+`, "body": `+bodySchema+`,
				"labels": {"type": "array", "maxItems": 100, "uniqueItems": true, "items": {"type": "string", "minLength": 1, "maxLength": 50}}`, `"title"`),
			Result: obj(`"number": `+numberSchema+`, "url": `+urlSchema, `"number", "url"`),
		},
		{
			Name:        "get_branch",
			Description: "Look a branch up: where it points and whether it is protected.",
			Args:        obj(`"branch": `+branchSchema, `"branch"`),
			Result:      obj(`"found": {"type": "boolean"}, "branch": {"type": "string"}, "sha": `+shaSchema+`, "protected": {"type": "boolean"}`, `"found", "branch"`),
		},
		{
			Name: "list_changes",
			Description: "Measure a push_commit without making it: the files it would add, modify or delete against the branch's head " +
				"(directory deletions and writes over directories expanded). Policies use it as the fact github.commit_changes.",
			Args: obj(`"branch": `+branchSchema+`, "message": {"type": "string", "maxLength": 60000},
				"files": {"type": "array", "minItems": 1, "maxItems": 1000, "items": `+fileSchema+`}`, `"branch", "files"`),
			Result: obj(`"branch": {"type": "string"}, "measured": {"type": "string"}, "head": `+shaSchema+`, "entries": {"type": "integer", "minimum": 1},
				"count": {"type": "integer", "minimum": 0}, "added": {"type": "integer", "minimum": 0},
				"modified": {"type": "integer", "minimum": 0}, "deleted": {"type": "integer", "minimum": 0},
				"changes": {"type": "array", "maxItems": 100, "items": {"type": "object", "required": ["path", "change"],
					"properties": {"path": {"type": "string"}, "change": {"enum": ["added", "modified", "deleted"]}}}},
				"truncated": {"type": "boolean"}`, `"branch", "measured", "head", "entries", "count", "added", "modified", "deleted", "changes", "truncated"`),
		},
		{
			Name:        "list_pulls",
			Description: "List pull requests, newest first, filtered by head, base and state.",
			Args: obj(`"head": `+headSchema+`, "base": `+branchSchema+`, "state": {"enum": ["open", "closed", "all"], "default": "open"},
				"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}`, ``),
			Result: obj(`"pulls": {"type": "array", "items": `+pullSchema+`}, "truncated": {"type": "boolean"}`, `"pulls", "truncated"`),
		},
	}
}

type action func(c *Connector, ctx context.Context, args json.RawMessage, key string) (result any, existed bool, err error)

var actions = map[string]action{
	"create_branch": (*Connector).createBranch,
	"push_commit":   (*Connector).pushCommit,
	"create_pr":     (*Connector).createPR,
	"merge_pr":      (*Connector).mergePR,
	"delete_branch": (*Connector).deleteBranch,
	"create_issue":  (*Connector).createIssue,
	"get_branch":    (*Connector).getBranch,
	"list_pulls":    (*Connector).listPulls,
	"list_changes":  (*Connector).listChanges,
}

// Call implements hostfns.Connector.
func (c *Connector) Call(ctx context.Context, name string, args json.RawMessage, opts hostfns.CallOptions) (hostfns.Outcome, error) {
	act, ok := actions[name]
	if !ok {
		return hostfns.Outcome{}, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action github." + name}
	}
	res, existed, err := act(c, ctx, args, opts.IdempotencyKey)
	if err != nil {
		return hostfns.Outcome{}, c.connectorError(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return hostfns.Outcome{}, &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: "encoding the result: " + err.Error()}
	}
	return hostfns.Outcome{Result: json.RawMessage(c.redact(string(b))), AlreadyExisted: existed}, nil
}

// connectorError is err as a *hostfns.ConnectorError, token removed.
func (c *Connector) connectorError(err error) error {
	var ce *hostfns.ConnectorError
	if !errors.As(err, &ce) {
		ce = &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: err.Error()}
	}
	return &hostfns.ConnectorError{Code: ce.Code, Message: c.redact(ce.Message)}
}

// redact removes the token from text that leaves the connector, in case a
// server echoed it back.
func (c *Connector) redact(s string) string {
	return strings.ReplaceAll(s, c.token, "[redacted]")
}
