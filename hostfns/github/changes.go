package github

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/enact-run/enact/hostfns"
)

// maxListedChanges bounds the changes list_changes lists one by one; the
// counts are always complete.
const maxListedChanges = 100

// fileChange is one file a commit would change.
type fileChange struct {
	Path string `json:"path"`
	// Change is added, modified or deleted.
	Change string `json:"change"`
}

// changesResult is list_changes' answer: the effect a push_commit with the
// same branch and files would have on the branch's head tree.
type changesResult struct {
	Branch string `json:"branch"`
	// Measured is the branch whose head was measured: Branch, or the
	// default branch when Branch does not exist (yet).
	Measured string `json:"measured"`
	// Head is the commit the effect is measured against.
	Head string `json:"head"`
	// Entries is the number of entries of the request's files.
	Entries  int `json:"entries"`
	Count    int `json:"count"`
	Added    int `json:"added"`
	Modified int `json:"modified"`
	Deleted  int `json:"deleted"`
	// Changes lists the first maxListedChanges changed files by path;
	// Truncated says there are more.
	Changes   []fileChange `json:"changes"`
	Truncated bool         `json:"truncated"`
}

// treeFile is a file of a tree (a blob, or a submodule's commit).
type treeFile struct{ mode, sha string }

// listChanges measures what push_commit would change: it expands every
// deletion of a directory and every write over a directory (or through a
// file) against the branch head's tree, and counts the files whose
// presence, mode or content would differ. It only reads. It fails (and a
// policy that needs it fails closed) when the base tree cannot be read.
func (c *Connector) listChanges(ctx context.Context, raw json.RawMessage, _ string) (any, bool, error) {
	var a struct {
		Branch  string    `json:"branch"`
		Message string    `json:"message"`
		Files   []fileArg `json:"files"`
	}
	if err := decodeArgs(raw, &a); err != nil {
		return nil, false, err
	}
	p, err := planFiles(a.Branch, a.Message, a.Files, "")
	if err != nil {
		return nil, false, err
	}
	measured := p.branch
	head, found, err := c.branchHead(ctx, p.branch)
	if err != nil {
		return nil, false, err
	}
	if !found {
		// A push to a branch that does not exist fails; the branch a run
		// is about to create (a dry run plans it) starts, by default, at
		// the default branch, so that is the tree measured.
		if measured, err = c.defaultBranch(ctx); err != nil {
			return nil, false, err
		}
		if head, found, err = c.branchHead(ctx, measured); err != nil {
			return nil, false, err
		}
		if !found {
			return nil, false, notFound("neither branch %s nor the default branch %s exists in %s/%s", p.branch, measured, c.owner, c.repo)
		}
	}
	headCommit, resp, err := read(ctx, func() (*gh.Commit, *gh.Response, error) {
		return c.client.Git.GetCommit(ctx, c.owner, c.repo, head)
	})
	if err != nil {
		return nil, false, c.fail(ctx, "get commit "+head, resp, err)
	}
	base, err := c.baseFiles(ctx, headCommit.GetTree().GetSHA(), p.paths)
	if err != nil {
		return nil, false, err
	}
	res := effectOf(p, base, head)
	res.Measured = measured
	return res, false, nil
}

// effectOf applies the push's entries to the base files, as GitHub's
// create-a-tree applies them to base_tree, and compares.
func effectOf(p *pushPlan, base map[string]treeFile, head string) changesResult {
	after := make(map[string]treeFile, len(base))
	for k, v := range base {
		after[k] = v
	}
	like := ""
	for _, f := range base {
		like = f.sha
		break
	}
	for i, path := range p.paths {
		removeUnder(after, path)
		if p.data[i] == nil {
			continue
		}
		// A file standing where the path needs a directory goes.
		for j := strings.IndexByte(path, '/'); j >= 0; j = nextSlash(path, j) {
			delete(after, path[:j])
		}
		after[path] = treeFile{mode: "100644", sha: blobSHA(p.data[i], like)}
	}
	res := changesResult{Branch: p.branch, Head: head, Entries: len(p.paths), Changes: []fileChange{}}
	var changes []fileChange
	for path, b := range base {
		if x, ok := after[path]; !ok {
			changes = append(changes, fileChange{path, "deleted"})
			res.Deleted++
		} else if x.mode != b.mode || !strings.EqualFold(x.sha, b.sha) {
			changes = append(changes, fileChange{path, "modified"})
			res.Modified++
		}
	}
	for path := range after {
		if _, ok := base[path]; !ok {
			changes = append(changes, fileChange{path, "added"})
			res.Added++
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	res.Count = len(changes)
	if len(changes) > maxListedChanges {
		changes, res.Truncated = changes[:maxListedChanges], true
	}
	res.Changes = append(res.Changes, changes...)
	return res
}

// removeUnder deletes the file at path and every file under it.
func removeUnder(files map[string]treeFile, path string) {
	delete(files, path)
	for q := range files {
		if strings.HasPrefix(q, path+"/") {
			delete(files, q)
		}
	}
}

// baseFiles returns the files of a tree that a push at paths can change:
// those at each path, under it (a directory), and at each of its parent
// directories' paths (a file where a directory is needed). It reads the
// whole tree recursively and, when GitHub truncates that listing, the
// entries along each path and each directory's subtree; a subtree GitHub
// truncates too is an error, since its files cannot be counted.
func (c *Connector) baseFiles(ctx context.Context, treeSHA string, paths []string) (map[string]treeFile, error) {
	getTree := func(sha string) (*gh.Tree, error) {
		tree, resp, err := read(ctx, func() (*gh.Tree, *gh.Response, error) {
			return c.client.Git.GetTree(ctx, c.owner, c.repo, sha, true)
		})
		if err != nil {
			return nil, c.fail(ctx, "get tree "+sha, resp, err)
		}
		return tree, nil
	}
	files := map[string]treeFile{}
	addFiles := func(prefix string, entries []*gh.TreeEntry) {
		for _, e := range entries {
			if e.GetType() != "tree" {
				files[prefix+e.GetPath()] = treeFile{mode: e.GetMode(), sha: e.GetSHA()}
			}
		}
	}
	tree, err := getTree(treeSHA)
	if err != nil {
		return nil, err
	}
	if !tree.GetTruncated() {
		addFiles("", tree.Entries)
		return files, nil
	}
	var along []string
	for _, p := range paths {
		for j := strings.IndexByte(p, '/'); j >= 0; j = nextSlash(p, j) {
			along = append(along, p[:j])
		}
		along = append(along, p)
	}
	entries, err := c.treeEntries(ctx, treeSHA, along)
	if err != nil {
		return nil, err
	}
	for path, e := range entries {
		if e.GetType() != "tree" {
			files[path] = treeFile{mode: e.GetMode(), sha: e.GetSHA()}
		}
	}
	for _, p := range paths {
		e := entries[p]
		if e == nil || e.GetType() != "tree" {
			continue
		}
		sub, err := getTree(e.GetSHA())
		if err != nil {
			return nil, err
		}
		if sub.GetTruncated() {
			return nil, &hostfns.ConnectorError{Code: hostfns.CodeConnectorError,
				Message: fmt.Sprintf("directory %s has too many entries for GitHub to list; the files a commit changes under it cannot be counted", p)}
		}
		addFiles(p+"/", sub.Entries)
	}
	return files, nil
}
