package githubfake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

func (f *Fake) issueJSON(it *item) *github.Issue {
	out := &github.Issue{
		ID:        github.Int64(int64(1000 + it.number)),
		NodeID:    github.String(fmt.Sprintf("I_%d", it.number)),
		Number:    github.Int(it.number),
		State:     github.String(it.state),
		Title:     github.String(it.title),
		Body:      github.String(it.body),
		User:      f.user(),
		Labels:    []*github.Label{},
		CreatedAt: ts(it.created), UpdatedAt: ts(it.updated), ClosedAt: ts(it.closed),
		HTMLURL: github.String(f.htmlURL("issues/%d", it.number)),
		URL:     github.String(f.apiURL("issues/%d", it.number)),
	}
	for _, l := range it.labels {
		out.Labels = append(out.Labels, &github.Label{Name: github.String(l)})
	}
	if it.pull != nil {
		out.HTMLURL = github.String(f.htmlURL("pull/%d", it.number))
		out.PullRequestLinks = &github.PullRequestLinks{
			URL: github.String(f.apiURL("pulls/%d", it.number)), HTMLURL: github.String(f.htmlURL("pull/%d", it.number)),
		}
	}
	return out
}

func (f *Fake) routeIssues(w http.ResponseWriter, r *http.Request, rest string) *apiError {
	switch {
	case rest == "" && r.Method == http.MethodGet:
		return f.listIssues(w, r)
	case rest == "" && r.Method == http.MethodPost:
		var req struct {
			Title  *string
			Body   string
			Labels []string
		}
		if e := decode(r, &req); e != nil {
			return e
		}
		if req.Title == nil || *req.Title == "" {
			return validation("Issue", "title", "missing_field", "")
		}
		it := f.addItem(*req.Title, req.Body, slices.Clone(req.Labels), nil)
		w.Header().Set("Location", f.apiURL("issues/%d", it.number))
		writeJSON(w, http.StatusCreated, f.issueJSON(it))
		return nil
	}
	it, ok := f.lookup(rest)
	if !ok {
		return errNotFound
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, f.issueJSON(it))
		return nil
	case http.MethodPatch:
		var req struct {
			Title, Body, State *string
			Labels             *[]string
		}
		if e := decode(r, &req); e != nil {
			return e
		}
		if req.State != nil && *req.State != it.state {
			switch *req.State {
			case "closed":
				f.close(it)
			case "open":
				if it.pull != nil && it.pull.merged {
					return validation("Issue", "state", "custom", "state cannot be changed. The pull request has been merged.")
				}
				it.state, it.closed = "open", time.Time{}
			default:
				return validation("Issue", "state", "invalid", "")
			}
		}
		if req.Title != nil {
			it.title = *req.Title
		}
		if req.Body != nil {
			it.body = *req.Body
		}
		if req.Labels != nil {
			it.labels = slices.Clone(*req.Labels)
		}
		f.touch(it)
		writeJSON(w, http.StatusOK, f.issueJSON(it))
		return nil
	}
	return errNotFound
}

// listIssues lists issues and pull requests together, as GitHub does.
func (f *Fake) listIssues(w http.ResponseWriter, r *http.Request) *apiError {
	q := r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	var labels []string
	if l := q.Get("labels"); l != "" {
		labels = strings.Split(l, ",")
	}
	creator := q.Get("creator")
	var list []*item
	for _, it := range f.items {
		if state != "all" && it.state != state {
			continue
		}
		if creator != "" && !strings.EqualFold(creator, f.cfg.Login) {
			continue
		}
		if !hasAll(it.labels, labels) {
			continue
		}
		list = append(list, it)
	}
	sortItems(list, cmp.Or(q.Get("sort"), "created"), cmp.Or(q.Get("direction"), "desc"))
	lo, hi := f.paginate(w, r, len(list))
	out := []*github.Issue{}
	for _, it := range list[lo:hi] {
		out = append(out, f.issueJSON(it))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, strings.TrimSpace(w)) }) {
			return false
		}
	}
	return true
}
