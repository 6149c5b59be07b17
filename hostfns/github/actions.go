package github

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	gh "github.com/google/go-github/v60/github"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/lazyre"
)

// decodeArgs decodes an action's arguments strictly: unknown fields are
// refused, as the action's schema refuses them.
func decodeArgs(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalidArgs("arguments: %v", err)
	}
	if dec.More() {
		return invalidArgs("arguments: trailing data")
	}
	return nil
}

// branchName checks a branch argument and strips a leading "refs/heads/"
// or "heads/", as the policies do (policy.shortBranch), so that a policy
// and the connector always mean the same branch.
func branchName(field, s string) (string, error) {
	b := s
	if t, ok := strings.CutPrefix(b, "refs/heads/"); ok {
		b = t
	} else if t, ok := strings.CutPrefix(b, "heads/"); ok {
		b = t
	}
	if !validBranch(b) || strings.HasPrefix(b, "refs/") || strings.HasPrefix(b, "heads/") {
		return "", invalidArgs("%s %q is not a valid branch name", field, s)
	}
	return b, nil
}

// validBranch applies git check-ref-format's rules to a branch name.
func validBranch(b string) bool {
	if b == "" || len(b) > 255 || b == "@" || !utf8.ValidString(b) ||
		strings.HasPrefix(b, "/") || strings.HasPrefix(b, "-") || strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".") ||
		strings.Contains(b, "..") || strings.Contains(b, "//") || strings.Contains(b, "@{") {
		return false
	}
	for _, r := range b {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return false
		}
	}
	for _, comp := range strings.Split(b, "/") {
		if strings.HasPrefix(comp, ".") || strings.HasSuffix(comp, ".lock") {
			return false
		}
	}
	return true
}

// headRef checks a pull request head, "branch" or "owner:branch", and
// returns it as "owner:branch" (the form GitHub's filters take).
func (c *Connector) headRef(s string) (string, error) {
	owner, branch, ok := strings.Cut(s, ":")
	if !ok {
		owner, branch = c.owner, s
	} else if !ownerName.MatchString(owner) {
		return "", invalidArgs("head %q: %q is not a GitHub user or organization name", s, owner)
	}
	b, err := branchName("head", branch)
	if err != nil {
		return "", err
	}
	return owner + ":" + b, nil
}

var fullSHA = lazyre.New(`^[0-9a-fA-F]{40}$`)

// validPath reports whether p can name a file in a Git tree.
func validPath(p string) bool {
	if p == "" || len(p) > 4096 || !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
		return false
	}
	for _, comp := range strings.Split(p, "/") {
		if comp == "" || comp == "." || comp == ".." || strings.EqualFold(comp, ".git") {
			return false
		}
	}
	return true
}

var plainKey = lazyre.New(`^[A-Za-z0-9._:/@+=~-]{1,128}$`)

// marker is how an idempotency key is written into a commit trailer or an
// HTML comment: the key itself when that is safe, its SHA-256 otherwise.
func marker(key string) string {
	if key == "" {
		return ""
	}
	if plainKey.MatchString(key) && !strings.Contains(key, "--") {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256-" + hex.EncodeToString(sum[:])
}

const trailerName = "Enact-Idempotency-Key: "

func hasTrailer(message, mark string) bool {
	for _, line := range strings.Split(message, "\n") {
		if strings.TrimSpace(line) == trailerName+mark {
			return true
		}
	}
	return false
}

func bodyMarker(mark string) string { return "<!-- enact-idempotency-key: " + mark + " -->" }

// withBodyMarker appends the marker to a pull request or issue body.
func withBodyMarker(body, mark string) string {
	if mark == "" {
		return body
	}
	if body == "" {
		return bodyMarker(mark)
	}
	return strings.TrimRight(body, "\n") + "\n\n" + bodyMarker(mark)
}

// --- lookups ---

// branchHead returns the commit a branch points at.
func (c *Connector) branchHead(ctx context.Context, branch string) (sha string, found bool, err error) {
	ref, resp, err := read(ctx, func() (*gh.Reference, *gh.Response, error) {
		return c.client.Git.GetRef(ctx, c.owner, c.repo, "heads/"+branch)
	})
	if is(resp, err, 404) {
		return "", false, nil
	}
	if err != nil {
		return "", false, c.fail(ctx, "get branch "+branch, resp, err)
	}
	return ref.GetObject().GetSHA(), true, nil
}

// defaultBranch is the repository's default branch.
func (c *Connector) defaultBranch(ctx context.Context) (string, error) {
	repo, resp, err := read(ctx, func() (*gh.Repository, *gh.Response, error) {
		return c.client.Repositories.Get(ctx, c.owner, c.repo)
	})
	if err != nil {
		return "", c.fail(ctx, "get repository "+c.owner+"/"+c.repo, resp, err)
	}
	return repo.GetDefaultBranch(), nil
}

// --- create_branch ---

type branchResult struct {
	Branch string `json:"branch"`
	SHA    string `json:"sha"`
}

// planBranch checks create_branch's arguments and resolves from to a
// commit.
func (c *Connector) planBranch(ctx context.Context, raw json.RawMessage) (branch, from string, err error) {
	var a struct {
		Branch string `json:"branch"`
		From   string `json:"from"`
	}
	if err := decodeArgs(raw, &a); err != nil {
		return "", "", err
	}
	if branch, err = branchName("branch", a.Branch); err != nil {
		return "", "", err
	}
	if from, err = c.resolveFrom(ctx, a.From); err != nil {
		return "", "", err
	}
	return branch, from, nil
}

func (c *Connector) createBranch(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	branch, from, err := c.planBranch(ctx, raw)
	if err != nil {
		return nil, false, err
	}
	if cur, found, err := c.branchHead(ctx, branch); err != nil {
		return nil, false, err
	} else if found {
		return c.existingBranch(ctx, branch, cur, from)
	}
	ref := &gh.Reference{Ref: gh.String("refs/heads/" + branch), Object: &gh.GitObject{SHA: gh.String(from)}}
	_, resp, err := c.client.Git.CreateRef(ctx, c.owner, c.repo, ref)
	if err != nil {
		if is(resp, err, 422) { // "Reference already exists": made meanwhile
			if cur, found, err2 := c.branchHead(ctx, branch); err2 == nil && found {
				return c.existingBranch(ctx, branch, cur, from)
			}
		}
		return nil, false, c.fail(ctx, "create branch "+branch, resp, err)
	}
	return branchResult{Branch: branch, SHA: from}, false, nil
}

// resolveFrom turns create_branch's from into a commit sha.
func (c *Connector) resolveFrom(ctx context.Context, from string) (string, error) {
	if fullSHA.MatchString(from) {
		sha := strings.ToLower(from)
		_, resp, err := read(ctx, func() (*gh.Commit, *gh.Response, error) {
			return c.client.Git.GetCommit(ctx, c.owner, c.repo, sha)
		})
		if is(resp, err, 404, 422) {
			return "", notFound("from: commit %s does not exist in %s/%s", sha, c.owner, c.repo)
		}
		if err != nil {
			return "", c.fail(ctx, "get commit "+sha, resp, err)
		}
		return sha, nil
	}
	var branch string
	if from == "" {
		b, err := c.defaultBranch(ctx)
		if err != nil {
			return "", err
		}
		branch = b
	} else {
		b, err := branchName("from", from)
		if err != nil {
			return "", err
		}
		branch = b
	}
	sha, found, err := c.branchHead(ctx, branch)
	if err != nil {
		return "", err
	}
	if !found {
		return "", notFound("from: branch %s does not exist in %s/%s", branch, c.owner, c.repo)
	}
	return sha, nil
}

// containsFrom is create_branch's check of a branch that is already
// there, at cur: an earlier try made it when from is in its history (it
// may have moved on since, by push_commit). status is GitHub's comparison
// of cur with from (identical, ahead, behind, diverged).
func (c *Connector) containsFrom(ctx context.Context, branch, cur, from string) (ok bool, status string, err error) {
	if cur == from {
		return true, "identical", nil
	}
	cmp, resp, err := read(ctx, func() (*gh.CommitsComparison, *gh.Response, error) {
		return c.client.Repositories.CompareCommits(ctx, c.owner, c.repo, from, cur, &gh.ListOptions{PerPage: 1})
	})
	if err != nil {
		return false, "", c.fail(ctx, "compare "+from+" with branch "+branch, resp, err)
	}
	return cmp.GetStatus() == "ahead", cmp.GetStatus(), nil
}

// existingBranch judges a branch that is already there: made by an
// earlier try when it contains the requested commit, a conflict
// otherwise. The result is the first try's: the branch and the commit it
// was created at.
func (c *Connector) existingBranch(ctx context.Context, branch, cur, from string) (any, bool, error) {
	ok, status, err := c.containsFrom(ctx, branch, cur, from)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, conflict("branch %s already exists at %s, which does not contain %s (%s)", branch, cur, from, status)
	}
	return branchResult{Branch: branch, SHA: from}, true, nil
}

// --- push_commit ---

type fileArg struct {
	Path          string  `json:"path"`
	Content       *string `json:"content"`
	ContentBase64 *string `json:"content_base64"`
	Delete        bool    `json:"delete"`
}

type pushResult struct {
	SHA    string   `json:"sha"`
	Branch string   `json:"branch"`
	Files  []string `json:"files"`
}

// maxFiles bounds the files of one push_commit.
const maxFiles = 1000

// pushPlan is a checked push_commit.
type pushPlan struct {
	branch, message string
	files           []fileArg
	paths           []string
	blobs           []*gh.Blob // what to create for each file; nil: delete
	data            [][]byte   // each written file's bytes; nil: delete
	mark            string     // the key's trailer value, "" without a key
	// covered marks deletions inside a directory the push also deletes.
	covered []bool
}

func parsePush(raw json.RawMessage, key string) (*pushPlan, error) {
	var a struct {
		Branch  string    `json:"branch"`
		Message string    `json:"message"`
		Files   []fileArg `json:"files"`
	}
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if strings.TrimSpace(a.Message) == "" {
		return nil, invalidArgs("message is empty")
	}
	return planFiles(a.Branch, a.Message, a.Files, key)
}

// planFiles checks the branch and files of a push_commit (or of the
// list_changes that measures one).
func planFiles(branchArg, message string, files []fileArg, key string) (*pushPlan, error) {
	branch, err := branchName("branch", branchArg)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 || len(files) > maxFiles {
		return nil, invalidArgs("files has %d entries; 1 to %d are allowed", len(files), maxFiles)
	}
	a := struct{ Files []fileArg }{files}
	p := &pushPlan{
		branch: branch, message: message, files: a.Files, mark: marker(key),
		paths: make([]string, len(a.Files)), blobs: make([]*gh.Blob, len(a.Files)), data: make([][]byte, len(a.Files)),
		covered: make([]bool, len(a.Files)),
	}
	seen := map[string]bool{}
	for i, f := range a.Files {
		if !validPath(f.Path) {
			return nil, invalidArgs("files[%d].path %q is not a valid path in a repository", i, f.Path)
		}
		if seen[f.Path] {
			return nil, invalidArgs("files[%d].path %q appears twice", i, f.Path)
		}
		seen[f.Path] = true
		p.paths[i] = f.Path
		switch {
		case f.Delete && f.Content == nil && f.ContentBase64 == nil:
		case !f.Delete && f.Content != nil && f.ContentBase64 == nil:
			p.blobs[i] = &gh.Blob{Content: f.Content, Encoding: gh.String("utf-8")}
			p.data[i] = []byte(*f.Content)
		case !f.Delete && f.Content == nil && f.ContentBase64 != nil:
			b, err := base64.StdEncoding.DecodeString(*f.ContentBase64)
			if err != nil {
				return nil, invalidArgs("files[%d].content_base64: %v", i, err)
			}
			p.blobs[i] = &gh.Blob{Content: f.ContentBase64, Encoding: gh.String("base64")}
			p.data[i] = b
		default:
			return nil, invalidArgs("files[%d] must have exactly one of content, content_base64 and delete: true", i)
		}
	}
	// A path inside another entry's path is refused unless both are
	// deletions: GitHub documents no order for the entries of one tree,
	// so "delete src" with "write src/a.go" has no one meaning. A deletion
	// inside a deleted directory is covered by it and not sent.
	index := make(map[string]int, len(p.paths))
	for i, path := range p.paths {
		index[path] = i
	}
	for i, path := range p.paths {
		for j := strings.IndexByte(path, '/'); j >= 0; j = nextSlash(path, j) {
			k, ok := index[path[:j]]
			if !ok {
				continue
			}
			if p.data[i] != nil || p.data[k] != nil {
				return nil, invalidArgs("files[%d].path %q lies inside files[%d].path %q; a commit may not both write a path and name another inside it", i, path, k, p.paths[k])
			}
			p.covered[i] = true
		}
	}
	return p, nil
}

// nextSlash is the index of the next '/' in s after i, or -1.
func nextSlash(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// pushState is what push_commit's check-before-act found on a branch.
type pushState struct {
	// done is the commit that holds the push's effect, "" when none.
	done string
	// evidence says what was found.
	evidence string
	// baseTree is the head commit's tree, and entries its entries at the
	// push's paths (files or directories; absent paths have none). Unset
	// when a commit carries the trailer.
	baseTree string
	entries  map[string]*gh.TreeEntry
}

// pushed is push_commit's check-before-act on the branch at head: one of
// the branch's 30 newest commits carries the key's trailer, or head's tree
// already holds every written file (same bytes, mode 100644) and none of
// the deleted paths. It only reads.
func (c *Connector) pushed(ctx context.Context, p *pushPlan, head string) (*pushState, error) {
	if p.mark != "" {
		recent, resp, err := read(ctx, func() ([]*gh.RepositoryCommit, *gh.Response, error) {
			return c.client.Repositories.ListCommits(ctx, c.owner, c.repo, &gh.CommitsListOptions{SHA: head, ListOptions: gh.ListOptions{PerPage: 30}})
		})
		if err != nil {
			return nil, c.fail(ctx, "list commits of "+p.branch, resp, err)
		}
		for _, rc := range recent {
			if hasTrailer(rc.GetCommit().GetMessage(), p.mark) {
				return &pushState{done: rc.GetSHA(), evidence: fmt.Sprintf("commit %s of branch %s carries the trailer %s%s", rc.GetSHA(), p.branch, trailerName, p.mark)}, nil
			}
		}
	}
	headCommit, resp, err := read(ctx, func() (*gh.Commit, *gh.Response, error) {
		return c.client.Git.GetCommit(ctx, c.owner, c.repo, head)
	})
	if err != nil {
		return nil, c.fail(ctx, "get commit "+head, resp, err)
	}
	st := &pushState{baseTree: headCommit.GetTree().GetSHA()}
	if st.entries, err = c.treeEntries(ctx, st.baseTree, p.paths); err != nil {
		return nil, err
	}
	for i, path := range p.paths {
		e := st.entries[path]
		var differs bool
		if p.data[i] == nil {
			differs = e != nil
		} else {
			differs = e == nil || e.GetType() != "blob" || e.GetMode() != "100644" || !strings.EqualFold(e.GetSHA(), blobSHA(p.data[i], e.GetSHA()))
		}
		if differs {
			st.evidence = fmt.Sprintf("branch %s is at %s, whose tree differs at %s", p.branch, head, path)
			if p.mark != "" {
				st.evidence = fmt.Sprintf("none of the 30 newest commits of branch %s carries the trailer %s%s, and its head %s differs at %s", p.branch, trailerName, p.mark, head, path)
			}
			return st, nil
		}
	}
	st.done = head
	st.evidence = fmt.Sprintf("the head %s of branch %s already holds the files", head, p.branch)
	return st, nil
}

// blobSHA is the Git object id of content as a blob: SHA-1, or SHA-256
// when like (an id from the same repository) has 64 digits.
func blobSHA(content []byte, like string) string {
	header := fmt.Sprintf("blob %d\x00", len(content))
	if len(like) == 64 {
		h := sha256.New()
		h.Write([]byte(header))
		h.Write(content)
		return hex.EncodeToString(h.Sum(nil))
	}
	h := sha1.New()
	h.Write([]byte(header))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// treeEntries returns the entries of a tree at paths: a file's blob, a
// directory's tree, none for a path that is not there. It reads the tree
// recursively and, when GitHub truncates that listing, directory by
// directory.
func (c *Connector) treeEntries(ctx context.Context, treeSHA string, paths []string) (map[string]*gh.TreeEntry, error) {
	getTree := func(sha string, recursive bool) (*gh.Tree, error) {
		tree, resp, err := read(ctx, func() (*gh.Tree, *gh.Response, error) {
			return c.client.Git.GetTree(ctx, c.owner, c.repo, sha, recursive)
		})
		if err != nil {
			return nil, c.fail(ctx, "get tree "+sha, resp, err)
		}
		return tree, nil
	}
	tree, err := getTree(treeSHA, true)
	if err != nil {
		return nil, err
	}
	out := map[string]*gh.TreeEntry{}
	if !tree.GetTruncated() {
		want := map[string]bool{}
		for _, p := range paths {
			want[p] = true
		}
		for _, e := range tree.Entries {
			if want[e.GetPath()] {
				out[e.GetPath()] = e
			}
		}
		return out, nil
	}
	listed := map[string][]*gh.TreeEntry{} // by tree sha
	list := func(sha string) ([]*gh.TreeEntry, error) {
		if entries, ok := listed[sha]; ok {
			return entries, nil
		}
		t, err := getTree(sha, false)
		if err != nil {
			return nil, err
		}
		if t.GetTruncated() {
			return nil, &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: "tree " + sha + " has too many entries for GitHub to list"}
		}
		listed[sha] = t.Entries
		return t.Entries, nil
	}
	for _, p := range paths {
		dir := treeSHA
		names := strings.Split(p, "/")
		for i, name := range names {
			entries, err := list(dir)
			if err != nil {
				return nil, err
			}
			var found *gh.TreeEntry
			for _, e := range entries {
				if e.GetPath() == name {
					found = e
					break
				}
			}
			if found == nil {
				break
			}
			if i == len(names)-1 {
				out[p] = found
			} else if found.GetType() != "tree" {
				break
			}
			dir = found.GetSHA()
		}
	}
	return out, nil
}

func (c *Connector) pushCommit(ctx context.Context, raw json.RawMessage, key string) (any, bool, error) {
	p, err := parsePush(raw, key)
	if err != nil {
		return nil, false, err
	}
	branch := p.branch
	head, found, err := c.branchHead(ctx, branch)
	if err != nil {
		return nil, false, err
	}
	if !found {
		return nil, false, notFound("branch %s does not exist in %s/%s; create it first", branch, c.owner, c.repo)
	}
	done := func(sha string) (any, bool, error) {
		return pushResult{SHA: sha, Branch: branch, Files: p.paths}, true, nil
	}
	st, err := c.pushed(ctx, p, head)
	if err != nil {
		return nil, false, err
	}
	if st.done != "" {
		return done(st.done)
	}
	var entries []*gh.TreeEntry
	for i, f := range p.files {
		if p.blobs[i] == nil {
			// GitHub refuses to delete a path that is not there, and a
			// retried deletion must change nothing rather than fail. A
			// deletion inside a deleted directory is gone with it.
			if e := st.entries[f.Path]; e != nil && !p.covered[i] {
				// A null sha deletes the path: the file, or the directory
				// with everything under it. The entry keeps the path's
				// own mode and type (040000 tree for a directory).
				entries = append(entries, &gh.TreeEntry{Path: gh.String(f.Path), Mode: gh.String(e.GetMode()), Type: gh.String(e.GetType())})
			}
			continue
		}
		blob, resp, err := c.client.Git.CreateBlob(ctx, c.owner, c.repo, p.blobs[i])
		if err != nil {
			return nil, false, c.fail(ctx, "create blob for "+f.Path, resp, err)
		}
		entries = append(entries, &gh.TreeEntry{Path: gh.String(f.Path), Mode: gh.String("100644"), Type: gh.String("blob"), SHA: blob.SHA})
	}
	if len(entries) == 0 {
		return done(head) // only deletions of files that are not there
	}
	tree, resp, err := c.client.Git.CreateTree(ctx, c.owner, c.repo, st.baseTree, entries)
	if err != nil {
		return nil, false, c.fail(ctx, "create tree", resp, err)
	}
	if tree.GetSHA() == st.baseTree {
		return done(head) // the content is already there
	}
	message := p.message
	if p.mark != "" {
		message = strings.TrimRight(message, "\n") + "\n\n" + trailerName + p.mark
	}
	commit, resp, err := c.client.Git.CreateCommit(ctx, c.owner, c.repo, &gh.Commit{
		Message: gh.String(message), Tree: &gh.Tree{SHA: tree.SHA}, Parents: []*gh.Commit{{SHA: gh.String(head)}},
	}, nil)
	if err != nil {
		return nil, false, c.fail(ctx, "create commit", resp, err)
	}
	ref := &gh.Reference{Ref: gh.String("refs/heads/" + branch), Object: &gh.GitObject{SHA: commit.SHA}}
	if _, resp, err := c.client.Git.UpdateRef(ctx, c.owner, c.repo, ref, false); err != nil {
		if is(resp, err, 422) {
			return nil, false, conflict("branch %s moved while the commit was made (not a fast forward from %s); nothing was pushed", branch, head)
		}
		return nil, false, c.fail(ctx, "update branch "+branch, resp, err)
	}
	return pushResult{SHA: commit.GetSHA(), Branch: branch, Files: p.paths}, false, nil
}

// --- pull requests ---

type prResult struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
	State  string `json:"state"`
}

func pullState(pr *gh.PullRequest) string {
	if pr.GetMerged() || pr.MergedAt != nil {
		return "merged"
	}
	return pr.GetState()
}

// maxBody bounds a pull request or issue body: GitHub takes 65536
// characters, and the idempotency marker needs room.
const maxBody = 60000

// maxPages bounds the pages (of 100) a lookup reads.
const maxPages = 50

// prPlan is a checked create_pr; head is "owner:branch".
type prPlan struct {
	head, base, title, body string
	draft                   bool
}

func (c *Connector) planPR(raw json.RawMessage) (*prPlan, error) {
	var a struct {
		Head  string `json:"head"`
		Base  string `json:"base"`
		Title string `json:"title"`
		Body  string `json:"body"`
		Draft bool   `json:"draft"`
	}
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	head, err := c.headRef(a.Head)
	if err != nil {
		return nil, err
	}
	base, err := branchName("base", a.Base)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(a.Title) == "" || utf8.RuneCountInString(a.Title) > 256 {
		return nil, invalidArgs("title must have 1 to 256 characters")
	}
	if utf8.RuneCountInString(a.Body) > maxBody {
		return nil, invalidArgs("body has more than %d characters", maxBody)
	}
	return &prPlan{head: head, base: base, title: a.Title, body: a.Body, draft: a.Draft}, nil
}

func prResultOf(pr *gh.PullRequest) prResult {
	return prResult{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), State: pullState(pr)}
}

func (c *Connector) createPR(ctx context.Context, raw json.RawMessage, key string) (any, bool, error) {
	p, err := c.planPR(raw)
	if err != nil {
		return nil, false, err
	}
	head, base := p.head, p.base
	mark := marker(key)
	found := func() (any, bool, error) {
		pr, err := c.findPull(ctx, head, base, mark)
		if err != nil || pr == nil {
			return nil, false, err
		}
		return prResultOf(pr), true, nil
	}
	if res, existed, err := found(); err != nil || existed {
		return res, existed, err
	}
	newHead := head
	if owner, branch, _ := strings.Cut(head, ":"); owner == c.owner {
		newHead = branch
	}
	pr, resp, err := c.client.PullRequests.Create(ctx, c.owner, c.repo, &gh.NewPullRequest{
		Title: gh.String(p.title), Head: gh.String(newHead), Base: gh.String(base),
		Body: gh.String(withBodyMarker(p.body, mark)), Draft: gh.Bool(p.draft),
	})
	if err != nil {
		if is(resp, err, 422) { // "A pull request already exists": opened meanwhile
			if res, existed, err2 := found(); err2 == nil && existed {
				return res, true, nil
			}
		}
		return nil, false, c.fail(ctx, "create pull request "+head+" → "+base, resp, err)
	}
	return prResultOf(pr), false, nil
}

// findPull returns the pull request an earlier try made: the open one for
// head and base, or else a closed one carrying the marker.
func (c *Connector) findPull(ctx context.Context, head, base, mark string) (*gh.PullRequest, error) {
	var marked *gh.PullRequest
	opts := &gh.PullRequestListOptions{State: "all", Head: head, Base: base, ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < maxPages; page++ {
		prs, resp, err := read(ctx, func() ([]*gh.PullRequest, *gh.Response, error) {
			return c.client.PullRequests.List(ctx, c.owner, c.repo, opts)
		})
		if err != nil {
			return nil, c.fail(ctx, "list pull requests "+head+" → "+base, resp, err)
		}
		for _, pr := range prs {
			if pr.GetState() == "open" {
				return pr, nil
			}
			if marked == nil && mark != "" && strings.Contains(pr.GetBody(), bodyMarker(mark)) {
				marked = pr
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return marked, nil
}

type mergeResult struct {
	Merged bool   `json:"merged"`
	SHA    string `json:"sha"`
}

// mergePlan is a checked merge_pr.
type mergePlan struct {
	number       int
	base, method string // base "" when not given
	what         string // "pull request #N", for messages
}

func planMerge(raw json.RawMessage) (*mergePlan, error) {
	var a struct {
		Number int    `json:"number"`
		Base   string `json:"base"`
		Method string `json:"method"`
	}
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.Number < 1 {
		return nil, invalidArgs("number must be a pull request number (1 or more)")
	}
	p := &mergePlan{number: a.Number, method: cmp.Or(a.Method, "merge"), what: fmt.Sprintf("pull request #%d", a.Number)}
	if a.Base != "" {
		b, err := branchName("base", a.Base)
		if err != nil {
			return nil, err
		}
		p.base = b
	}
	if p.method != "merge" && p.method != "squash" && p.method != "rebase" {
		return nil, invalidArgs("method %q is not merge, squash or rebase", a.Method)
	}
	return p, nil
}

// getPull reads a pull request.
func (c *Connector) getPull(ctx context.Context, p *mergePlan) (*gh.PullRequest, error) {
	pr, resp, err := read(ctx, func() (*gh.PullRequest, *gh.Response, error) {
		return c.client.PullRequests.Get(ctx, c.owner, c.repo, p.number)
	})
	if err != nil {
		return nil, c.fail(ctx, "get "+p.what, resp, err)
	}
	return pr, nil
}

func (c *Connector) mergePR(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	p, err := planMerge(raw)
	if err != nil {
		return nil, false, err
	}
	base, method, what := p.base, p.method, p.what
	get := func() (*gh.PullRequest, error) { return c.getPull(ctx, p) }
	pr, err := get()
	if err != nil {
		return nil, false, err
	}
	if base != "" && pr.GetBase().GetRef() != base {
		return nil, false, conflict("%s merges into %s, not %s", what, pr.GetBase().GetRef(), base)
	}
	if pr.GetMerged() {
		return mergeResult{Merged: true, SHA: pr.GetMergeCommitSHA()}, true, nil
	}
	if pr.GetState() != "open" {
		return nil, false, conflict("%s is closed without being merged", what)
	}
	res, resp, err := c.client.PullRequests.Merge(ctx, c.owner, c.repo, p.number, "", &gh.PullRequestOptions{
		MergeMethod: method, SHA: pr.GetHead().GetSHA(),
	})
	if err != nil {
		if is(resp, err, 405, 409, 422) { // merged meanwhile?
			if again, err2 := get(); err2 == nil && again.GetMerged() {
				return mergeResult{Merged: true, SHA: again.GetMergeCommitSHA()}, true, nil
			}
		}
		return nil, false, c.fail(ctx, "merge "+what, resp, err)
	}
	return mergeResult{Merged: res.GetMerged(), SHA: res.GetSHA()}, false, nil
}

type pullItem struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
	State  string `json:"state"`
	Title  string `json:"title"`
	Head   string `json:"head"`
	Base   string `json:"base"`
	Draft  bool   `json:"draft"`
}

func (c *Connector) listPulls(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	var a struct {
		Head  string `json:"head"`
		Base  string `json:"base"`
		State string `json:"state"`
		Limit int    `json:"limit"`
	}
	if err := decodeArgs(raw, &a); err != nil {
		return nil, false, err
	}
	opts := &gh.PullRequestListOptions{State: cmp.Or(a.State, "open"), ListOptions: gh.ListOptions{PerPage: 100}}
	if opts.State != "open" && opts.State != "closed" && opts.State != "all" {
		return nil, false, invalidArgs("state %q is not open, closed or all", a.State)
	}
	if a.Head != "" {
		h, err := c.headRef(a.Head)
		if err != nil {
			return nil, false, err
		}
		opts.Head = h
	}
	if a.Base != "" {
		b, err := branchName("base", a.Base)
		if err != nil {
			return nil, false, err
		}
		opts.Base = b
	}
	limit := a.Limit
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 1000 {
		return nil, false, invalidArgs("limit %d is not between 1 and 1000", a.Limit)
	}
	pulls := []pullItem{}
	for len(pulls) <= limit {
		prs, resp, err := read(ctx, func() ([]*gh.PullRequest, *gh.Response, error) {
			return c.client.PullRequests.List(ctx, c.owner, c.repo, opts)
		})
		if err != nil {
			return nil, false, c.fail(ctx, "list pull requests", resp, err)
		}
		for _, pr := range prs {
			pulls = append(pulls, pullItem{
				Number: pr.GetNumber(), URL: pr.GetHTMLURL(), State: pullState(pr), Title: pr.GetTitle(),
				Head: pr.GetHead().GetRef(), Base: pr.GetBase().GetRef(), Draft: pr.GetDraft(),
			})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	truncated := len(pulls) > limit
	if truncated {
		pulls = pulls[:limit]
	}
	return map[string]any{"pulls": pulls, "truncated": truncated}, false, nil
}

// --- branches ---

// planBranchOnly checks the arguments of an action that names one branch.
func planBranchOnly(raw json.RawMessage) (string, error) {
	var a struct {
		Branch string `json:"branch"`
	}
	if err := decodeArgs(raw, &a); err != nil {
		return "", err
	}
	return branchName("branch", a.Branch)
}

func deleteResult(branch string, deleted bool) map[string]any {
	return map[string]any{"branch": branch, "deleted": deleted}
}

func (c *Connector) deleteBranch(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	branch, err := planBranchOnly(raw)
	if err != nil {
		return nil, false, err
	}
	gone := deleteResult(branch, false)
	if _, found, err := c.branchHead(ctx, branch); err != nil {
		return nil, false, err
	} else if !found {
		return gone, true, nil
	}
	resp, err := c.client.Git.DeleteRef(ctx, c.owner, c.repo, "heads/"+branch)
	if err != nil {
		if is(resp, err, 404, 422) { // "Reference does not exist": deleted meanwhile?
			if _, found, err2 := c.branchHead(ctx, branch); err2 == nil && !found {
				return gone, true, nil
			}
		}
		return nil, false, c.fail(ctx, "delete branch "+branch, resp, err)
	}
	return deleteResult(branch, true), false, nil
}

func (c *Connector) getBranch(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	branch, err := planBranchOnly(raw)
	if err != nil {
		return nil, false, err
	}
	b, resp, err := read(ctx, func() (*gh.Branch, *gh.Response, error) {
		return c.client.Repositories.GetBranch(ctx, c.owner, c.repo, branch, 1)
	})
	if is(resp, err, 404) {
		return map[string]any{"found": false, "branch": branch}, false, nil
	}
	if err != nil {
		return nil, false, c.fail(ctx, "get branch "+branch, resp, err)
	}
	return map[string]any{"found": true, "branch": b.GetName(), "sha": b.GetCommit().GetSHA(), "protected": b.GetProtected()}, false, nil
}

// --- issues ---

// issuePlan is a checked create_issue.
type issuePlan struct {
	title, body string
	labels      []string
	mark        string // the key's body marker value, "" without a key
}

func planIssue(raw json.RawMessage, key string) (*issuePlan, error) {
	var a struct {
		Title  string   `json:"title"`
		Body   string   `json:"body"`
		Labels []string `json:"labels"`
	}
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if strings.TrimSpace(a.Title) == "" || utf8.RuneCountInString(a.Title) > 256 {
		return nil, invalidArgs("title must have 1 to 256 characters")
	}
	if utf8.RuneCountInString(a.Body) > maxBody {
		return nil, invalidArgs("body has more than %d characters", maxBody)
	}
	if len(a.Labels) > 100 {
		return nil, invalidArgs("at most 100 labels")
	}
	for i, l := range a.Labels {
		if strings.TrimSpace(l) == "" || utf8.RuneCountInString(l) > 50 {
			return nil, invalidArgs("labels[%d] %q is not a label name", i, l)
		}
	}
	return &issuePlan{title: a.Title, body: a.Body, labels: a.Labels, mark: marker(key)}, nil
}

func issueResult(issue *gh.Issue) map[string]any {
	return map[string]any{"number": issue.GetNumber(), "url": issue.GetHTMLURL()}
}

func (c *Connector) createIssue(ctx context.Context, raw json.RawMessage, key string) (any, bool, error) {
	p, err := planIssue(raw, key)
	if err != nil {
		return nil, false, err
	}
	mark := p.mark
	if mark != "" {
		issue, err := c.findIssue(ctx, bodyMarker(mark))
		if err != nil {
			return nil, false, err
		}
		if issue != nil {
			return issueResult(issue), true, nil
		}
	}
	req := &gh.IssueRequest{Title: gh.String(p.title), Body: gh.String(withBodyMarker(p.body, mark))}
	if len(p.labels) > 0 {
		req.Labels = &p.labels
	}
	issue, resp, err := c.client.Issues.Create(ctx, c.owner, c.repo, req)
	if err != nil {
		return nil, false, c.fail(ctx, "create issue", resp, err)
	}
	return issueResult(issue), false, nil
}

// findIssue returns the newest open issue (not pull request) whose body
// contains the marker, searching the newest maxPages×100 open ones.
func (c *Connector) findIssue(ctx context.Context, bodyMark string) (*gh.Issue, error) {
	opts := &gh.IssueListByRepoOptions{State: "open", Sort: "created", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < maxPages; page++ {
		issues, resp, err := read(ctx, func() ([]*gh.Issue, *gh.Response, error) {
			return c.client.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
		})
		if err != nil {
			return nil, c.fail(ctx, "list issues", resp, err)
		}
		for _, issue := range issues {
			if !issue.IsPullRequest() && strings.Contains(issue.GetBody(), bodyMark) {
				return issue, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return nil, nil
}
