package githubfake

import (
	"cmp"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// item is an issue or, with pull set, a pull request: GitHub numbers them
// together.
type item struct {
	number                   int
	title, body, state       string
	labels                   []string
	created, updated, closed time.Time
	updatedSeq               int
	pull                     *pull
}

type pull struct {
	head, base  string
	headSHA     string // the head's commit once the pull request is closed
	draft       bool
	merged      bool
	mergedAt    time.Time
	mergeCommit string
}

func (f *Fake) addItem(title, body string, labels []string, p *pull) *item {
	f.seq++
	now := time.Now().UTC()
	it := &item{number: len(f.items) + 1, title: title, body: body, state: "open", labels: labels,
		created: now, updated: now, updatedSeq: f.seq, pull: p}
	f.items = append(f.items, it)
	return it
}

func (f *Fake) touch(it *item) {
	f.seq++
	it.updated, it.updatedSeq = time.Now().UTC(), f.seq
}

func (f *Fake) close(it *item) {
	if p := it.pull; p != nil && it.state == "open" {
		p.headSHA = f.headSHA(it)
	}
	it.state, it.closed = "closed", time.Now().UTC()
	f.touch(it)
}

// headSHA is the commit at the head of a pull request: the head branch's
// while it is open, the one it had when it was closed after that.
func (f *Fake) headSHA(it *item) string {
	if it.state == "open" {
		if sha, ok := f.refs["heads/"+it.pull.head]; ok {
			return sha
		}
	}
	return it.pull.headSHA
}

func (f *Fake) lookup(number string) (*item, bool) {
	n, ok := parseNumber(number)
	if !ok || n > len(f.items) {
		return nil, false
	}
	return f.items[n-1], true
}

// createPull opens a pull request, with GitHub's checks.
func (f *Fake) createPull(head, base, title, body string, draft bool) (*item, *apiError) {
	if title == "" {
		return nil, validation("PullRequest", "title", "missing_field", "")
	}
	if owner, branch, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(owner, f.cfg.Owner) {
			return nil, validation("PullRequest", "head", "invalid", "")
		}
		head = branch
	}
	baseSHA, ok := f.refs["heads/"+base]
	if !ok {
		return nil, validation("PullRequest", "base", "invalid", "")
	}
	headSHA, ok := f.refs["heads/"+head]
	if !ok {
		return nil, validation("PullRequest", "head", "invalid", "")
	}
	for _, it := range f.items {
		if p := it.pull; p != nil && it.state == "open" && p.head == head && p.base == base {
			return nil, validation("PullRequest", "", "custom", fmt.Sprintf("A pull request already exists for %s:%s.", f.cfg.Owner, head))
		}
	}
	if f.ancestors(baseSHA)[headSHA] {
		return nil, validation("PullRequest", "", "custom", fmt.Sprintf("No commits between %s and %s", base, head))
	}
	return f.addItem(title, body, nil, &pull{head: head, base: base, draft: draft}), nil
}

// mergeTree merges a pull request's head into its base: the resulting
// files and the paths in conflict.
func (f *Fake) mergeTree(baseSHA, headSHA string) (map[string]entry, []string) {
	var ancestor map[string]entry
	if mb := f.mergeBase(baseSHA, headSHA); mb != "" {
		ancestor = f.trees[f.commits[mb].tree]
	}
	return merge3(ancestor, f.trees[f.commits[baseSHA].tree], f.trees[f.commits[headSHA].tree])
}

func (f *Fake) branchRef(branch, sha string) *github.PullRequestBranch {
	return &github.PullRequestBranch{
		Label: github.String(f.cfg.Owner + ":" + branch), Ref: github.String(branch), SHA: github.String(sha),
		Repo: f.repository(), User: &github.User{Login: github.String(f.cfg.Owner)},
	}
}

func ts(t time.Time) *github.Timestamp {
	if t.IsZero() {
		return nil
	}
	return &github.Timestamp{Time: t}
}

func (f *Fake) pullJSON(it *item, detail bool) *github.PullRequest {
	p := it.pull
	headSHA := f.headSHA(it)
	out := &github.PullRequest{
		ID:        github.Int64(int64(1000 + it.number)),
		NodeID:    github.String(fmt.Sprintf("PR_%d", it.number)),
		Number:    github.Int(it.number),
		State:     github.String(it.state),
		Title:     github.String(it.title),
		Body:      github.String(it.body),
		Draft:     github.Bool(p.draft),
		CreatedAt: ts(it.created), UpdatedAt: ts(it.updated), ClosedAt: ts(it.closed), MergedAt: ts(p.mergedAt),
		HTMLURL:  github.String(f.htmlURL("pull/%d", it.number)),
		URL:      github.String(f.apiURL("pulls/%d", it.number)),
		IssueURL: github.String(f.apiURL("issues/%d", it.number)),
		User:     f.user(),
		Head:     f.branchRef(p.head, headSHA),
		Base:     f.branchRef(p.base, f.refs["heads/"+p.base]),
	}
	if p.mergeCommit != "" {
		out.MergeCommitSHA = github.String(p.mergeCommit)
	}
	if detail {
		out.Merged = github.Bool(p.merged)
		switch {
		case it.state != "open":
			out.MergeableState = github.String("unknown")
		case p.draft:
			out.MergeableState = github.String("draft")
			out.Mergeable = github.Bool(true)
		default:
			_, conflicts := f.mergeTree(f.refs["heads/"+p.base], headSHA)
			out.Mergeable = github.Bool(len(conflicts) == 0)
			out.MergeableState = github.String(map[bool]string{true: "clean", false: "dirty"}[len(conflicts) == 0])
		}
	}
	return out
}

func (f *Fake) routePulls(w http.ResponseWriter, r *http.Request, rest string) *apiError {
	number, sub, _ := strings.Cut(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		return f.listPulls(w, r)
	case rest == "" && r.Method == http.MethodPost:
		var req struct {
			Title, Head, Base, Body string
			Draft                   bool
		}
		if e := decode(r, &req); e != nil {
			return e
		}
		it, e := f.createPull(req.Head, req.Base, req.Title, req.Body, req.Draft)
		if e != nil {
			return e
		}
		w.Header().Set("Location", f.apiURL("pulls/%d", it.number))
		writeJSON(w, http.StatusCreated, f.pullJSON(it, true))
		return nil
	}
	it, ok := f.lookup(number)
	if !ok || it.pull == nil {
		return errNotFound
	}
	switch {
	case sub == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.pullJSON(it, true))
		return nil
	case sub == "" && r.Method == http.MethodPatch:
		return f.updatePull(w, r, it)
	case sub == "merge" && r.Method == http.MethodGet:
		if !it.pull.merged {
			return errNotFound
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case sub == "merge" && r.Method == http.MethodPut:
		return f.mergePull(w, r, it)
	}
	return errNotFound
}

func (f *Fake) listPulls(w http.ResponseWriter, r *http.Request) *apiError {
	q := r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	var headOwner, headBranch string
	if h := q.Get("head"); h != "" {
		var ok bool
		if headOwner, headBranch, ok = strings.Cut(h, ":"); !ok {
			headOwner = h
		}
	}
	var list []*item
	for _, it := range f.items {
		p := it.pull
		switch {
		case p == nil,
			state != "all" && it.state != state,
			headOwner != "" && !strings.EqualFold(headOwner, f.cfg.Owner),
			headBranch != "" && p.head != headBranch,
			q.Get("base") != "" && p.base != q.Get("base"):
			continue
		}
		list = append(list, it)
	}
	sortItems(list, cmp.Or(q.Get("sort"), "created"), q.Get("direction"))
	lo, hi := f.paginate(w, r, len(list))
	out := []*github.PullRequest{}
	for _, it := range list[lo:hi] {
		out = append(out, f.pullJSON(it, false))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// sortItems orders a list as GitHub does: by creation or last update,
// newest first unless direction says asc (descending by default only
// when sorting by creation).
func sortItems(list []*item, by, direction string) {
	desc := direction == "desc" || (direction == "" && by == "created")
	key := func(it *item) int {
		if by == "updated" {
			return it.updatedSeq
		}
		return it.number
	}
	sort.SliceStable(list, func(i, j int) bool {
		if desc {
			return key(list[i]) > key(list[j])
		}
		return key(list[i]) < key(list[j])
	})
}

func (f *Fake) updatePull(w http.ResponseWriter, r *http.Request, it *item) *apiError {
	var req struct {
		Title, Body, State, Base *string
	}
	if e := decode(r, &req); e != nil {
		return e
	}
	p := it.pull
	if req.Base != nil {
		if _, ok := f.refs["heads/"+*req.Base]; !ok {
			return validation("PullRequest", "base", "invalid", "")
		}
	}
	if req.State != nil && *req.State != it.state {
		switch *req.State {
		case "closed":
			f.close(it)
		case "open":
			if p.merged {
				return validation("PullRequest", "state", "custom", "state cannot be changed. The pull request has been merged.")
			}
			if _, ok := f.refs["heads/"+p.head]; !ok {
				return validation("PullRequest", "state", "custom", "state cannot be changed. The "+p.head+" branch has been deleted.")
			}
			for _, other := range f.items {
				if q := other.pull; q != nil && other.state == "open" && q.head == p.head && q.base == p.base {
					return validation("PullRequest", "", "custom", fmt.Sprintf("A pull request already exists for %s:%s.", f.cfg.Owner, p.head))
				}
			}
			it.state, it.closed = "open", time.Time{}
		default:
			return validation("PullRequest", "state", "invalid", "")
		}
	}
	if req.Title != nil {
		it.title = *req.Title
	}
	if req.Body != nil {
		it.body = *req.Body
	}
	if req.Base != nil {
		p.base = *req.Base
	}
	f.touch(it)
	writeJSON(w, http.StatusOK, f.pullJSON(it, true))
	return nil
}

func (f *Fake) mergePull(w http.ResponseWriter, r *http.Request, it *item) *apiError {
	var req struct {
		CommitTitle   string  `json:"commit_title"`
		CommitMessage *string `json:"commit_message"`
		SHA           string  `json:"sha"`
		MergeMethod   string  `json:"merge_method"`
	}
	if e := decode(r, &req); e != nil {
		return e
	}
	p := it.pull
	notMergeable := &apiError{status: http.StatusMethodNotAllowed, msg: "Pull Request is not mergeable",
		doc: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request"}
	if p.merged || it.state != "open" {
		return notMergeable
	}
	method := cmp.Or(req.MergeMethod, "merge")
	if method != "merge" && method != "squash" && method != "rebase" {
		return validation("PullRequest", "merge_method", "invalid", "")
	}
	if p.draft {
		return &apiError{status: http.StatusMethodNotAllowed, msg: "Pull Request is still a draft"}
	}
	headSHA, baseSHA := f.headSHA(it), f.refs["heads/"+p.base]
	if req.SHA != "" && req.SHA != headSHA {
		return &apiError{status: http.StatusConflict, msg: "Head branch was modified. Review and try the merge again.",
			doc: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request"}
	}
	files, conflicts := f.mergeTree(baseSHA, headSHA)
	if len(conflicts) > 0 {
		return notMergeable
	}
	message := func(title string) string {
		title = cmp.Or(req.CommitTitle, title)
		if req.CommitMessage != nil {
			return title + "\n\n" + *req.CommitMessage
		}
		return title + "\n\n" + it.title
	}
	now := f.signature(time.Now())
	var sha string
	switch method {
	case "merge":
		sha = f.storeCommit(f.storeTree(files), message(fmt.Sprintf("Merge pull request #%d from %s/%s", it.number, f.cfg.Owner, p.head)),
			[]string{baseSHA, headSHA}, now)
	case "squash":
		sha = f.storeCommit(f.storeTree(files), message(fmt.Sprintf("%s (#%d)", it.title, it.number)), []string{baseSHA}, now)
	case "rebase":
		// Replay the head's commits, oldest first, onto the base.
		inBase := f.ancestors(baseSHA)
		var replay []*commit
		for s := range f.ancestors(headSHA) {
			if !inBase[s] {
				replay = append(replay, f.commits[s])
			}
		}
		sort.Slice(replay, func(i, j int) bool { return replay[i].seq < replay[j].seq })
		sha = baseSHA
		for _, c := range replay {
			var parentTree map[string]entry
			if len(c.parents) > 0 {
				parentTree = f.trees[f.commits[c.parents[0]].tree]
			}
			tree, conflicts := merge3(parentTree, f.trees[f.commits[sha].tree], f.trees[c.tree])
			if len(conflicts) > 0 {
				return &apiError{status: http.StatusMethodNotAllowed, msg: "This branch can't be rebased"}
			}
			sha = f.storeCommit(f.storeTree(tree), c.message, []string{sha}, now)
		}
	}
	f.refs["heads/"+p.base] = sha
	p.merged, p.mergedAt, p.mergeCommit = true, time.Now().UTC(), sha
	f.close(it)
	writeJSON(w, http.StatusOK, &github.PullRequestMergeResult{
		SHA: github.String(sha), Merged: github.Bool(true), Message: github.String("Pull Request successfully merged"),
	})
	return nil
}
