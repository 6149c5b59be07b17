package githubfake

import (
	"cmp"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// entry is a file of a tree: a blob (or a submodule commit) at a path.
type entry struct {
	mode, typ, sha string
}

type signature struct {
	name, email string
	when        time.Time
}

type commit struct {
	sha, tree, message string
	parents            []string
	author, committer  signature
	seq                int
}

// hashObject is Git's object id: SHA-1 of "<kind> <len>\0<data>".
func hashObject(kind string, data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func (f *Fake) storeBlob(content []byte) string {
	sha := hashObject("blob", content)
	f.blobs[sha] = slices.Clone(content)
	return sha
}

// child is a direct entry of a tree: a file, or a directory with its
// files (by path below it).
type child struct {
	name string
	e    entry
	sub  map[string]entry
}

// children splits a tree's files into its direct entries, in Git's order:
// by name, a directory's name compared as if it ended in '/'.
func children(files map[string]entry) []child {
	byName := map[string]*child{}
	for p, e := range files {
		if d, rest, ok := strings.Cut(p, "/"); ok {
			if byName[d] == nil {
				byName[d] = &child{name: d, sub: map[string]entry{}}
			}
			byName[d].sub[rest] = e
		} else {
			byName[p] = &child{name: p, e: e}
		}
	}
	key := func(c child) string {
		if c.sub != nil {
			return c.name + "/"
		}
		return c.name
	}
	out := make([]child, 0, len(byName))
	for _, c := range byName {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// storeTree stores a tree given as files by path, with every subtree, and
// returns its id, computed as Git does.
func (f *Fake) storeTree(files map[string]entry) string {
	var buf []byte
	for _, c := range children(files) {
		mode, sha := c.e.mode, c.e.sha
		if c.sub != nil {
			mode, sha = "40000", f.storeTree(c.sub)
		}
		raw, _ := hex.DecodeString(sha)
		buf = append(buf, mode+" "+c.name+"\x00"...)
		buf = append(buf, raw...)
	}
	sha := hashObject("tree", buf)
	f.trees[sha] = clone(files)
	return sha
}

func (f *Fake) storeCommit(tree, message string, parents []string, sig signature) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tree %s\n", tree)
	for _, p := range parents {
		fmt.Fprintf(&b, "parent %s\n", p)
	}
	stamp := func(s signature) string {
		return fmt.Sprintf("%s <%s> %d +0000", s.name, s.email, s.when.Unix())
	}
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\n%s", stamp(sig), stamp(sig), message)
	sha := hashObject("commit", []byte(b.String()))
	if _, ok := f.commits[sha]; !ok {
		f.seq++
		f.commits[sha] = &commit{sha: sha, tree: tree, message: message, parents: slices.Clone(parents), author: sig, committer: sig, seq: f.seq}
	}
	return sha
}

func (f *Fake) signature(t time.Time) signature {
	return signature{name: f.cfg.Login, email: f.cfg.Login + "@users.noreply.github.com", when: t.UTC().Truncate(time.Second)}
}

func clone(m map[string]entry) map[string]entry {
	if m == nil {
		return map[string]entry{}
	}
	return maps.Clone(m)
}

// setPath puts e at p, replacing a file that stood where p needs a
// directory and a directory that stood at p.
func setPath(files map[string]entry, p string, e entry) {
	removePath(files, p)
	for i, r := range p {
		if r == '/' {
			delete(files, p[:i])
		}
	}
	files[p] = e
}

// removePath deletes the file at p or everything under directory p and
// reports whether anything was there.
func removePath(files map[string]entry, p string) bool {
	found := false
	if _, ok := files[p]; ok {
		delete(files, p)
		found = true
	}
	for q := range files {
		if strings.HasPrefix(q, p+"/") {
			delete(files, q)
			found = true
		}
	}
	return found
}

// validRefName applies git check-ref-format's rules to a full ref name.
func validRefName(ref string) bool {
	if !strings.HasPrefix(ref, "refs/") || strings.Count(ref, "/") < 2 || strings.HasSuffix(ref, "/") ||
		strings.HasSuffix(ref, ".") || strings.HasSuffix(ref, ".lock") || strings.Contains(ref, "..") ||
		strings.Contains(ref, "//") || strings.Contains(ref, "@{") || ref == "@" || !utf8.ValidString(ref) {
		return false
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return false
		}
	}
	for _, comp := range strings.Split(ref, "/") {
		if strings.HasPrefix(comp, ".") {
			return false
		}
	}
	return true
}

// validPath reports whether p can name a file in a tree.
func validPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsRune(p, 0) {
		return false
	}
	for _, comp := range strings.Split(p, "/") {
		if comp == "" || comp == "." || comp == ".." || strings.EqualFold(comp, ".git") {
			return false
		}
	}
	return true
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// resolve turns a branch name, a full commit sha or a unique prefix of at
// least 7 hex digits into a commit sha.
func (f *Fake) resolve(rev string) (string, bool) {
	if sha, ok := f.refs["heads/"+rev]; ok {
		return sha, true
	}
	if sha, ok := f.refs["tags/"+rev]; ok {
		return sha, true
	}
	rev = strings.ToLower(rev)
	if _, ok := f.commits[rev]; ok {
		return rev, true
	}
	if len(rev) >= 7 && len(rev) < 40 {
		found := ""
		for sha := range f.commits {
			if strings.HasPrefix(sha, rev) {
				if found != "" {
					return "", false
				}
				found = sha
			}
		}
		return found, found != ""
	}
	return "", false
}

// ancestors is every commit reachable from sha, itself included.
func (f *Fake) ancestors(sha string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] || f.commits[s] == nil {
			continue
		}
		seen[s] = true
		stack = append(stack, f.commits[s].parents...)
	}
	return seen
}

// history lists the commits reachable from sha, newest first.
func (f *Fake) history(sha string) []*commit {
	var out []*commit
	for s := range f.ancestors(sha) {
		out = append(out, f.commits[s])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq > out[j].seq })
	return out
}

// mergeBase is the newest common ancestor of a and b ("" if none).
func (f *Fake) mergeBase(a, b string) string {
	inA := f.ancestors(a)
	best := ""
	for s := range f.ancestors(b) {
		if inA[s] && (best == "" || f.commits[s].seq > f.commits[best].seq) {
			best = s
		}
	}
	return best
}

// merge3 merges the changes from base to ours and from base to theirs,
// file by file; conflicts lists the paths changed differently on both
// sides.
func merge3(base, ours, theirs map[string]entry) (merged map[string]entry, conflicts []string) {
	merged = map[string]entry{}
	paths := map[string]bool{}
	for _, m := range []map[string]entry{base, ours, theirs} {
		for p := range m {
			paths[p] = true
		}
	}
	for p := range paths {
		b, inB := base[p]
		o, inO := ours[p]
		t, inT := theirs[p]
		switch {
		case inO == inT && o == t:
			if inO {
				merged[p] = o
			}
		case inO == inB && o == b:
			if inT {
				merged[p] = t
			}
		case inT == inB && t == b:
			if inO {
				merged[p] = o
			}
		default:
			conflicts = append(conflicts, p)
		}
	}
	sort.Strings(conflicts)
	return merged, conflicts
}

// --- JSON shapes ---

func (f *Fake) refJSON(name, sha string) *github.Reference {
	return &github.Reference{
		Ref:    github.String("refs/" + name),
		URL:    github.String(f.apiURL("git/refs/%s", name)),
		NodeID: github.String("REF_" + name),
		Object: &github.GitObject{Type: github.String("commit"), SHA: github.String(sha), URL: github.String(f.apiURL("git/commits/%s", sha))},
	}
}

func author(s signature) *github.CommitAuthor {
	return &github.CommitAuthor{Name: github.String(s.name), Email: github.String(s.email), Date: &github.Timestamp{Time: s.when}}
}

func (f *Fake) commitJSON(c *commit) *github.Commit {
	out := &github.Commit{
		SHA:       github.String(c.sha),
		NodeID:    github.String("C_" + c.sha),
		URL:       github.String(f.apiURL("git/commits/%s", c.sha)),
		HTMLURL:   github.String(f.htmlURL("commit/%s", c.sha)),
		Author:    author(c.author),
		Committer: author(c.committer),
		Message:   github.String(c.message),
		Tree:      &github.Tree{SHA: github.String(c.tree)},
		Verification: &github.SignatureVerification{
			Verified: github.Bool(false), Reason: github.String("unsigned"),
		},
	}
	out.Parents = []*github.Commit{}
	for _, p := range c.parents {
		out.Parents = append(out.Parents, &github.Commit{SHA: github.String(p), URL: github.String(f.apiURL("git/commits/%s", p))})
	}
	return out
}

func (f *Fake) repoCommitJSON(c *commit) *github.RepositoryCommit {
	gc := f.commitJSON(c)
	parents := gc.Parents
	gc.SHA, gc.Parents, gc.NodeID, gc.HTMLURL = nil, nil, nil, nil
	return &github.RepositoryCommit{
		SHA:     github.String(c.sha),
		NodeID:  github.String("C_" + c.sha),
		Commit:  gc,
		Parents: parents,
		URL:     github.String(f.apiURL("commits/%s", c.sha)),
		HTMLURL: github.String(f.htmlURL("commit/%s", c.sha)),
		Author:  f.user(), Committer: f.user(),
	}
}

// --- /git ---

func (f *Fake) routeGit(w http.ResponseWriter, r *http.Request, rest string) *apiError {
	m := r.Method
	switch {
	case strings.HasPrefix(rest, "ref/") && m == http.MethodGet:
		name := strings.TrimPrefix(rest, "ref/")
		sha, ok := f.refs[name]
		if !ok {
			return errNotFound
		}
		writeJSON(w, http.StatusOK, f.refJSON(name, sha))
		return nil
	case rest == "refs" && m == http.MethodGet:
		return f.listRefs(w, r, "", false)
	case rest == "refs" && m == http.MethodPost:
		return f.createRef(w, r)
	case strings.HasPrefix(rest, "matching-refs/") && m == http.MethodGet:
		return f.listRefs(w, r, strings.TrimPrefix(rest, "matching-refs/"), false)
	case strings.HasPrefix(rest, "refs/"):
		name := strings.TrimPrefix(rest, "refs/")
		switch m {
		case http.MethodGet:
			if sha, ok := f.refs[name]; ok {
				writeJSON(w, http.StatusOK, f.refJSON(name, sha))
				return nil
			}
			return f.listRefs(w, r, name+"/", true)
		case http.MethodPatch:
			return f.updateRef(w, r, name)
		case http.MethodDelete:
			return f.deleteRef(w, name)
		}
	case rest == "blobs" && m == http.MethodPost:
		return f.createBlob(w, r)
	case strings.HasPrefix(rest, "blobs/") && m == http.MethodGet:
		sha := strings.TrimPrefix(rest, "blobs/")
		content, ok := f.blobs[sha]
		if !ok {
			return errNotFound
		}
		writeJSON(w, http.StatusOK, &github.Blob{
			SHA: github.String(sha), Size: github.Int(len(content)), URL: github.String(f.apiURL("git/blobs/%s", sha)),
			Encoding: github.String("base64"), Content: github.String(base64.StdEncoding.EncodeToString(content)),
		})
		return nil
	case rest == "trees" && m == http.MethodPost:
		return f.createTree(w, r)
	case strings.HasPrefix(rest, "trees/") && m == http.MethodGet:
		return f.getTree(w, r, strings.TrimPrefix(rest, "trees/"))
	case rest == "commits" && m == http.MethodPost:
		return f.createCommit(w, r)
	case strings.HasPrefix(rest, "commits/") && m == http.MethodGet:
		c, ok := f.commits[strings.TrimPrefix(rest, "commits/")]
		if !ok {
			return errNotFound
		}
		writeJSON(w, http.StatusOK, f.commitJSON(c))
		return nil
	}
	return errNotFound
}

// listRefs lists the refs under prefix; GET /git/refs/{prefix} answers
// 404 when there are none, GET /git/matching-refs/{prefix} an empty list.
func (f *Fake) listRefs(w http.ResponseWriter, r *http.Request, prefix string, emptyIsNotFound bool) *apiError {
	var names []string
	for name := range f.refs {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	if len(names) == 0 && emptyIsNotFound {
		return errNotFound
	}
	sort.Strings(names)
	lo, hi := f.paginate(w, r, len(names))
	out := []*github.Reference{}
	for _, name := range names[lo:hi] {
		out = append(out, f.refJSON(name, f.refs[name]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Fake) createRef(w http.ResponseWriter, r *http.Request) *apiError {
	var req struct {
		Ref *string `json:"ref"`
		SHA *string `json:"sha"`
	}
	if e := decode(r, &req); e != nil {
		return e
	}
	if req.Ref == nil || req.SHA == nil {
		return validation("Reference", "ref", "missing_field", "ref and sha are required")
	}
	if !validRefName(*req.Ref) {
		return unprocessable("Reference name is invalid")
	}
	if _, ok := f.commits[*req.SHA]; !ok {
		return unprocessable("Object does not exist")
	}
	name := strings.TrimPrefix(*req.Ref, "refs/")
	if _, ok := f.refs[name]; ok {
		return unprocessable("Reference already exists")
	}
	f.refs[name] = *req.SHA
	w.Header().Set("Location", f.apiURL("git/refs/%s", name))
	writeJSON(w, http.StatusCreated, f.refJSON(name, *req.SHA))
	return nil
}

func (f *Fake) updateRef(w http.ResponseWriter, r *http.Request, name string) *apiError {
	var req struct {
		SHA   *string `json:"sha"`
		Force bool    `json:"force"`
	}
	if e := decode(r, &req); e != nil {
		return e
	}
	old, ok := f.refs[name]
	if !ok {
		return unprocessable("Reference does not exist")
	}
	if req.SHA == nil {
		return validation("Reference", "sha", "missing_field", "sha is required")
	}
	if _, ok := f.commits[*req.SHA]; !ok {
		return unprocessable("Object does not exist")
	}
	if !req.Force && !f.ancestors(*req.SHA)[old] {
		return unprocessable("Update is not a fast forward")
	}
	f.refs[name] = *req.SHA
	writeJSON(w, http.StatusOK, f.refJSON(name, *req.SHA))
	return nil
}

func (f *Fake) deleteRef(w http.ResponseWriter, name string) *apiError {
	if _, ok := f.refs[name]; !ok {
		return unprocessable("Reference does not exist")
	}
	if name == "heads/"+f.cfg.DefaultBranch {
		return unprocessable("Cannot delete the default branch")
	}
	delete(f.refs, name)
	// GitHub closes the open pull requests whose head or base is gone.
	if branch, ok := strings.CutPrefix(name, "heads/"); ok {
		for _, it := range f.items {
			if p := it.pull; p != nil && it.state == "open" && (p.head == branch || p.base == branch) {
				p.headSHA = f.headSHA(it)
				f.close(it)
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (f *Fake) createBlob(w http.ResponseWriter, r *http.Request) *apiError {
	var req struct {
		Content  *string `json:"content"`
		Encoding string  `json:"encoding"`
	}
	if e := decode(r, &req); e != nil {
		return e
	}
	if req.Content == nil {
		return validation("Blob", "content", "missing_field", "content is required")
	}
	var content []byte
	switch req.Encoding {
	case "", "utf-8":
		content = []byte(*req.Content)
	case "base64":
		b, err := base64.StdEncoding.DecodeString(*req.Content)
		if err != nil {
			return validation("Blob", "content", "invalid", "content is not valid Base64")
		}
		content = b
	default:
		return validation("Blob", "encoding", "invalid", "encoding must be utf-8 or base64")
	}
	sha := f.storeBlob(content)
	w.Header().Set("Location", f.apiURL("git/blobs/%s", sha))
	writeJSON(w, http.StatusCreated, &github.Blob{SHA: github.String(sha), URL: github.String(f.apiURL("git/blobs/%s", sha))})
	return nil
}

func (f *Fake) createTree(w http.ResponseWriter, r *http.Request) *apiError {
	var req struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path    string          `json:"path"`
			Mode    string          `json:"mode"`
			Type    string          `json:"type"`
			SHA     json.RawMessage `json:"sha"`
			Content *string         `json:"content"`
		} `json:"tree"`
	}
	if e := decode(r, &req); e != nil {
		return e
	}
	files := map[string]entry{}
	if req.BaseTree != "" {
		base, ok := f.trees[req.BaseTree]
		if !ok {
			return unprocessable("base_tree is not a valid tree oid")
		}
		files = clone(base)
	}
	if req.Tree == nil {
		return validation("Tree", "tree", "missing_field", "tree is required")
	}
	for _, e := range req.Tree {
		if !validPath(e.Path) {
			return unprocessable("tree.path contains a malformed path component")
		}
		hasSHA := len(e.SHA) > 0 && string(e.SHA) != "null"
		switch {
		case hasSHA && e.Content != nil, !hasSHA && e.Content != nil && len(e.SHA) > 0:
			return unprocessable("Must supply either tree.sha or tree.content. Request will be rejected if both are present.")
		case e.Content == nil && len(e.SHA) == 0:
			return unprocessable("Must supply either tree.sha or tree.content. Request will be rejected if both are present.")
		case e.Content == nil && !hasSHA: // "sha": null deletes
			if !removePath(files, e.Path) {
				return unprocessable("tree.sha for path " + e.Path + " is null, but there is no such path in base_tree")
			}
			continue
		}
		switch e.Mode {
		case "100644", "100755", "120000", "040000", "160000":
		default:
			return validation("Tree", "mode", "invalid", "tree.mode must be one of 100644, 100755, 040000, 160000, 120000")
		}
		var sha string
		if e.Content != nil {
			sha = f.storeBlob([]byte(*e.Content))
		} else if err := json.Unmarshal(e.SHA, &sha); err != nil {
			return badJSON(err)
		}
		switch {
		case e.Mode == "040000" || e.Type == "tree":
			sub, ok := f.trees[sha]
			if !ok {
				return unprocessable("tree.sha " + sha + " is not a valid tree")
			}
			removePath(files, e.Path)
			for p, x := range sub {
				setPath(files, e.Path+"/"+p, x)
			}
		case e.Mode == "160000" || e.Type == "commit":
			setPath(files, e.Path, entry{mode: "160000", typ: "commit", sha: sha})
		default:
			if _, ok := f.blobs[sha]; !ok {
				return unprocessable("tree.sha " + sha + " is not a valid blob")
			}
			setPath(files, e.Path, entry{mode: e.Mode, typ: "blob", sha: sha})
		}
	}
	sha := f.storeTree(files)
	w.Header().Set("Location", f.apiURL("git/trees/%s", sha))
	writeJSON(w, http.StatusCreated, f.treeJSON(sha, false))
	return nil
}

// treeJSON lists a tree as GitHub does: entries in Git's order and, when
// recursive, each subtree's entries right after the subtree.
func (f *Fake) treeJSON(sha string, recursive bool) *github.Tree {
	out := &github.Tree{SHA: github.String(sha), Truncated: github.Bool(false), Entries: []*github.TreeEntry{}}
	var walk func(prefix string, files map[string]entry)
	walk = func(prefix string, files map[string]entry) {
		for _, c := range children(files) {
			te := &github.TreeEntry{Path: github.String(prefix + c.name)}
			if c.sub != nil {
				sub := f.storeTree(c.sub)
				te.Mode, te.Type, te.SHA = github.String("040000"), github.String("tree"), github.String(sub)
				te.URL = github.String(f.apiURL("git/trees/%s", sub))
			} else {
				te.Mode, te.Type, te.SHA = github.String(c.e.mode), github.String(c.e.typ), github.String(c.e.sha)
				if c.e.typ == "blob" {
					te.Size = github.Int(len(f.blobs[c.e.sha]))
					te.URL = github.String(f.apiURL("git/blobs/%s", c.e.sha))
				}
			}
			out.Entries = append(out.Entries, te)
			if c.sub != nil && recursive {
				walk(prefix+c.name+"/", c.sub)
			}
		}
	}
	walk("", f.trees[sha])
	if n := f.cfg.TreeLimit; n > 0 && len(out.Entries) > n {
		out.Entries, out.Truncated = out.Entries[:n], github.Bool(true)
	}
	return out
}

func (f *Fake) getTree(w http.ResponseWriter, r *http.Request, rev string) *apiError {
	sha := rev
	if _, ok := f.trees[sha]; !ok {
		c, ok := f.resolve(rev)
		if !ok {
			return errNotFound
		}
		sha = f.commits[c].tree
	}
	recursive := r.URL.Query().Get("recursive")
	writeJSON(w, http.StatusOK, f.treeJSON(sha, recursive != "" && recursive != "0" && recursive != "false"))
	return nil
}

func (f *Fake) createCommit(w http.ResponseWriter, r *http.Request) *apiError {
	var req struct {
		Message *string  `json:"message"`
		Tree    *string  `json:"tree"`
		Parents []string `json:"parents"`
		Author  *struct {
			Name, Email string
			Date        *time.Time
		} `json:"author"`
	}
	if e := decode(r, &req); e != nil {
		return e
	}
	if req.Message == nil || req.Tree == nil {
		return validation("Commit", "message", "missing_field", "message and tree are required")
	}
	if _, ok := f.trees[*req.Tree]; !ok {
		return unprocessable("Tree SHA does not exist")
	}
	for _, p := range req.Parents {
		if _, ok := f.commits[p]; !ok {
			return unprocessable("Parent SHA does not exist or is not a commit object")
		}
	}
	sig := f.signature(time.Now())
	if a := req.Author; a != nil && a.Name != "" && a.Email != "" {
		sig.name, sig.email = a.Name, a.Email
		if a.Date != nil {
			sig.when = a.Date.UTC().Truncate(time.Second)
		}
	}
	sha := f.storeCommit(*req.Tree, *req.Message, req.Parents, sig)
	w.Header().Set("Location", f.apiURL("git/commits/%s", sha))
	writeJSON(w, http.StatusCreated, f.commitJSON(f.commits[sha]))
	return nil
}

// --- branches, commits, compare ---

func (f *Fake) branchJSON(name, sha string) *github.Branch {
	return &github.Branch{Name: github.String(name), Commit: f.repoCommitJSON(f.commits[sha]), Protected: github.Bool(false)}
}

func (f *Fake) getBranch(w http.ResponseWriter, name string) *apiError {
	sha, ok := f.refs["heads/"+name]
	if !ok {
		return &apiError{status: http.StatusNotFound, msg: "Branch not found", doc: "https://docs.github.com/rest/branches/branches#get-a-branch"}
	}
	writeJSON(w, http.StatusOK, f.branchJSON(name, sha))
	return nil
}

func (f *Fake) listBranches(w http.ResponseWriter, r *http.Request) *apiError {
	var names []string
	for ref := range f.refs {
		if name, ok := strings.CutPrefix(ref, "heads/"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	lo, hi := f.paginate(w, r, len(names))
	out := []*github.Branch{}
	for _, name := range names[lo:hi] {
		sha := f.refs["heads/"+name]
		out = append(out, &github.Branch{Name: github.String(name), Protected: github.Bool(false),
			Commit: &github.RepositoryCommit{SHA: github.String(sha), URL: github.String(f.apiURL("commits/%s", sha))}})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Fake) listCommits(w http.ResponseWriter, r *http.Request) *apiError {
	rev := cmp.Or(r.URL.Query().Get("sha"), f.cfg.DefaultBranch)
	head, ok := f.resolve(rev)
	if !ok {
		return errNotFound
	}
	all := f.history(head)
	lo, hi := f.paginate(w, r, len(all))
	out := []*github.RepositoryCommit{}
	for _, c := range all[lo:hi] {
		out = append(out, f.repoCommitJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Fake) compare(w http.ResponseWriter, spec string) *apiError {
	baseRev, headRev, ok := strings.Cut(spec, "...")
	if !ok {
		return errNotFound
	}
	strip := func(rev string) string {
		if i := strings.IndexByte(rev, ':'); i >= 0 {
			return rev[i+1:]
		}
		return rev
	}
	base, ok1 := f.resolve(strip(baseRev))
	head, ok2 := f.resolve(strip(headRev))
	if !ok1 || !ok2 {
		return errNotFound
	}
	inBase, inHead := f.ancestors(base), f.ancestors(head)
	var ahead []*commit
	behind := 0
	for s := range inHead {
		if !inBase[s] {
			ahead = append(ahead, f.commits[s])
		}
	}
	for s := range inBase {
		if !inHead[s] {
			behind++
		}
	}
	sort.Slice(ahead, func(i, j int) bool { return ahead[i].seq < ahead[j].seq })
	status := "diverged"
	switch {
	case base == head:
		status = "identical"
	case behind == 0:
		status = "ahead"
	case len(ahead) == 0:
		status = "behind"
	}
	out := &github.CommitsComparison{
		Status:       github.String(status),
		AheadBy:      github.Int(len(ahead)),
		BehindBy:     github.Int(behind),
		TotalCommits: github.Int(len(ahead)),
		BaseCommit:   f.repoCommitJSON(f.commits[base]),
		HTMLURL:      github.String(f.htmlURL("compare/%s...%s", baseRev, headRev)),
		URL:          github.String(f.apiURL("compare/%s...%s", baseRev, headRev)),
		Commits:      []*github.RepositoryCommit{},
	}
	if mb := f.mergeBase(base, head); mb != "" {
		out.MergeBaseCommit = f.repoCommitJSON(f.commits[mb])
	}
	for _, c := range ahead[:min(len(ahead), 250)] {
		out.Commits = append(out.Commits, f.repoCommitJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseNumber parses an issue or pull request number from a path.
func parseNumber(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}
