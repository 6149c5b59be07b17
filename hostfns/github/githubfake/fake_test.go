package githubfake_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/enact-run/enact/hostfns/github/githubfake"
)

func start(t *testing.T) (*githubfake.Fake, *github.Client) {
	t.Helper()
	f := githubfake.New(githubfake.Config{})
	t.Cleanup(f.Close)
	return f, client(t, f, f.Token())
}

func client(t *testing.T, f *githubfake.Fake, token string) *github.Client {
	t.Helper()
	c, err := github.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(f.URL(), f.URL())
	if err != nil {
		t.Fatal(err)
	}
	// WithEnterpriseURLs appends api/v3/; the fake serves at its root.
	c.BaseURL, _ = c.BaseURL.Parse(f.URL())
	return c
}

// wantError checks a go-github error's status and message.
func wantError(t *testing.T, err error, status int, message string) {
	t.Helper()
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("error %v, want a %d ErrorResponse", err, status)
	}
	got := er.Message
	for _, e := range er.Errors {
		got += " / " + e.Message
	}
	if er.Response.StatusCode != status || !strings.Contains(got, message) {
		t.Fatalf("%d %q, want %d containing %q", er.Response.StatusCode, got, status, message)
	}
}

// The object ids are Git's: these are the ids git itself gives the same
// content (git hash-object, git write-tree).
func TestObjectIDsAreGits(t *testing.T) {
	t.Parallel()
	f, c := start(t)
	ctx := t.Context()
	o, r := f.Owner(), f.Repo()
	main, _, err := c.Git.GetRef(ctx, o, r, "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	head, _, err := c.Git.GetCommit(ctx, o, r, main.GetObject().GetSHA())
	if err != nil {
		t.Fatal(err)
	}
	if got := head.GetTree().GetSHA(); got != "3e6c15e46545c4ec692083bf0e99333b30ed8f3e" {
		t.Errorf("initial tree %s", got)
	}
	blob, _, err := c.Git.CreateBlob(ctx, o, r, &github.Blob{Content: github.String("aGk="), Encoding: github.String("base64")})
	if err != nil || blob.GetSHA() != "32f95c0d1244a78b2be1bab8de17906fabb2c4a8" {
		t.Fatalf("blob %s, %v", blob.GetSHA(), err)
	}
	tree, _, err := c.Git.CreateTree(ctx, o, r, head.GetTree().GetSHA(), []*github.TreeEntry{
		{Path: github.String("docs/a/x.txt"), Mode: github.String("100644"), Type: github.String("blob"), SHA: blob.SHA},
		{Path: github.String("docs.txt"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("b")},
	})
	if err != nil || tree.GetSHA() != "b95d2aa4ccbf7101f18a4ca41995db1a3e623dcc" {
		t.Fatalf("tree %s, %v", tree.GetSHA(), err)
	}
	full, _, err := c.Git.GetTree(ctx, o, r, tree.GetSHA(), true)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range full.Entries {
		paths = append(paths, e.GetType()+" "+e.GetPath())
	}
	if diff := cmp.Diff([]string{"blob README.md", "blob docs.txt", "tree docs", "tree docs/a", "blob docs/a/x.txt"}, paths); diff != "" {
		t.Errorf("recursive tree (-want +got):\n%s", diff)
	}
	// Deleting by a null sha, and deleting what is not there.
	del := []*github.TreeEntry{{Path: github.String("docs.txt"), Mode: github.String("100644"), Type: github.String("blob")}}
	if back, _, err := c.Git.CreateTree(ctx, o, r, tree.GetSHA(), del); err != nil || back.GetSHA() == tree.GetSHA() {
		t.Fatalf("delete: %v %v", back, err)
	}
	_, _, err = c.Git.CreateTree(ctx, o, r, head.GetTree().GetSHA(), del)
	wantError(t, err, 422, "no such path")
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f, _ := start(t)
	resp, err := http.Get(f.URL() + "repos/" + f.Owner() + "/" + f.Repo())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	_, _, err = client(t, f, "ghp_wrong").Repositories.Get(t.Context(), f.Owner(), f.Repo())
	wantError(t, err, 401, "Bad credentials")
	if f.Requests() != 2 {
		t.Errorf("Requests = %d", f.Requests())
	}
}

func TestRefs(t *testing.T) {
	t.Parallel()
	f, c := start(t)
	ctx := t.Context()
	o, r := f.Owner(), f.Repo()
	mainSHA, _ := f.Branch("main")
	ref := func(name, sha string) *github.Reference {
		return &github.Reference{Ref: github.String("refs/heads/" + name), Object: &github.GitObject{SHA: github.String(sha)}}
	}
	if _, _, err := c.Git.CreateRef(ctx, o, r, ref("agent/x", mainSHA)); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Git.CreateRef(ctx, o, r, ref("agent/x", mainSHA))
	wantError(t, err, 422, "Reference already exists")
	_, _, err = c.Git.CreateRef(ctx, o, r, ref("bad..name", mainSHA))
	wantError(t, err, 422, "invalid")
	_, _, err = c.Git.CreateRef(ctx, o, r, ref("y", strings.Repeat("0", 40)))
	wantError(t, err, 422, "Object does not exist")

	ahead, err := f.Push("agent/x", "ahead", map[string]string{"a": "a"})
	if err != nil {
		t.Fatal(err)
	}
	// Back to main is not a fast forward unless forced.
	_, _, err = c.Git.UpdateRef(ctx, o, r, ref("agent/x", mainSHA), false)
	wantError(t, err, 422, "Update is not a fast forward")
	if _, _, err := c.Git.UpdateRef(ctx, o, r, ref("agent/x", mainSHA), true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Git.UpdateRef(ctx, o, r, ref("agent/x", ahead), false); err != nil {
		t.Fatalf("fast forward: %v", err)
	}
	got, _, err := c.Git.GetRef(ctx, o, r, "heads/agent/x")
	if err != nil || got.GetObject().GetSHA() != ahead {
		t.Fatalf("GetRef = %v, %v", got, err)
	}
	b, _, err := c.Repositories.GetBranch(ctx, o, r, "agent/x", 0)
	if err != nil || b.GetName() != "agent/x" || b.GetCommit().GetSHA() != ahead || b.GetCommit().GetCommit().GetMessage() != "ahead" {
		t.Fatalf("GetBranch = %v, %v", b, err)
	}

	cmpr, _, err := c.Repositories.CompareCommits(ctx, o, r, "main", "agent/x", nil)
	if err != nil || cmpr.GetStatus() != "ahead" || cmpr.GetAheadBy() != 1 || cmpr.GetBehindBy() != 0 {
		t.Fatalf("compare = %v, %v", cmpr, err)
	}
	if _, err := f.Push("main", "main moves", map[string]string{"m": "m"}); err != nil {
		t.Fatal(err)
	}
	cmpr, _, _ = c.Repositories.CompareCommits(ctx, o, r, "main", "agent/x", nil)
	if cmpr.GetStatus() != "diverged" || cmpr.GetMergeBaseCommit().GetSHA() != mainSHA {
		t.Errorf("compare after main moved: %s, merge base %s", cmpr.GetStatus(), cmpr.GetMergeBaseCommit().GetSHA())
	}

	if _, err := c.Git.DeleteRef(ctx, o, r, "heads/agent/x"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Git.DeleteRef(ctx, o, r, "heads/agent/x")
	wantError(t, err, 422, "Reference does not exist")
	_, _, err = c.Git.GetRef(ctx, o, r, "heads/agent/x")
	wantError(t, err, 404, "Not Found")
	_, err = c.Git.DeleteRef(ctx, o, r, "heads/main")
	wantError(t, err, 422, "default branch")
}

func TestPullRequestLifecycle(t *testing.T) {
	t.Parallel()
	f, c := start(t)
	ctx := t.Context()
	o, r := f.Owner(), f.Repo()
	if _, err := f.Push("agent/x", "work", map[string]string{"x": "x"}); err != nil {
		t.Fatal(err)
	}
	newPR := func(head, base string) (*github.PullRequest, error) {
		pr, _, err := c.PullRequests.Create(ctx, o, r, &github.NewPullRequest{Title: github.String("T"), Head: github.String(head), Base: github.String(base)})
		return pr, err
	}
	pr, err := newPR("agent/x", "main")
	if err != nil || pr.GetNumber() != 1 || pr.GetState() != "open" || pr.GetHead().GetRef() != "agent/x" {
		t.Fatalf("create: %v %v", pr, err)
	}
	_, err = newPR(o+":agent/x", "main")
	wantError(t, err, 422, "A pull request already exists for "+o+":agent/x.")
	_, err = newPR("main", "main")
	wantError(t, err, 422, "No commits between main and main")
	_, err = newPR("missing", "main")
	wantError(t, err, 422, "Validation Failed")

	list, _, err := c.PullRequests.List(ctx, o, r, &github.PullRequestListOptions{Head: o + ":agent/x", Base: "main"})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	list, _, _ = c.PullRequests.List(ctx, o, r, &github.PullRequestListOptions{Head: "someone-else:agent/x"})
	if len(list) != 0 {
		t.Errorf("head of another owner matched %d", len(list))
	}

	got, _, err := c.PullRequests.Get(ctx, o, r, 1)
	if err != nil || !got.GetMergeable() || got.GetMergeableState() != "clean" {
		t.Fatalf("get: %v %v", got, err)
	}
	_, _, err = c.PullRequests.Merge(ctx, o, r, 1, "", &github.PullRequestOptions{SHA: strings.Repeat("1", 40)})
	wantError(t, err, 409, "Head branch was modified")
	res, _, err := c.PullRequests.Merge(ctx, o, r, 1, "", nil)
	if err != nil || !res.GetMerged() {
		t.Fatalf("merge: %v %v", res, err)
	}
	_, _, err = c.PullRequests.Merge(ctx, o, r, 1, "", nil)
	wantError(t, err, 405, "not mergeable")
	if merged, _, err := c.PullRequests.IsMerged(ctx, o, r, 1); err != nil || !merged {
		t.Errorf("IsMerged = %v, %v", merged, err)
	}
	mainSHA, _ := f.Branch("main")
	if log := f.Log("main"); mainSHA != res.GetSHA() || len(log[0].Parents) != 2 {
		t.Errorf("main = %s, merge commit %s with parents %v", mainSHA, res.GetSHA(), log[0].Parents)
	}
	_, _, err = c.PullRequests.Edit(ctx, o, r, 1, &github.PullRequest{State: github.String("open")})
	wantError(t, err, 422, "merged")

	// Deleting a head branch closes its open pull request.
	if _, err := f.Push("agent/y", "work", map[string]string{"y": "y"}); err != nil {
		t.Fatal(err)
	}
	if _, err := newPR("agent/y", "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Git.DeleteRef(ctx, o, r, "heads/agent/y"); err != nil {
		t.Fatal(err)
	}
	prs := f.PullRequests()
	if prs[1].State != "closed" || prs[1].Merged {
		t.Errorf("after deleting its head: %+v", prs[1])
	}
	_, _, err = c.PullRequests.Edit(ctx, o, r, 2, &github.PullRequest{State: github.String("open")})
	wantError(t, err, 422, "deleted")
}

func TestMergeMethods(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method  string
		parents int // of main's new head
		added   int // commits main gains
	}{{"merge", 2, 3}, {"squash", 1, 1}, {"rebase", 1, 2}} {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			f, c := start(t)
			ctx := t.Context()
			f.Push("agent/m", "one", map[string]string{"a": "1"})
			f.Push("agent/m", "two", map[string]string{"b": "2"})
			f.Push("agent/clash", "clash", map[string]string{"c": "other"})
			f.Push("main", "main moves", map[string]string{"c": "3"})
			if _, err := f.OpenPullRequest("agent/m", "main", "M"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.OpenPullRequest("agent/clash", "main", "C"); err != nil {
				t.Fatal(err)
			}
			before := len(f.Log("main"))
			if _, _, err := c.PullRequests.Merge(ctx, f.Owner(), f.Repo(), 1, "", &github.PullRequestOptions{MergeMethod: tc.method}); err != nil {
				t.Fatal(err)
			}
			log := f.Log("main")
			if len(log)-before != tc.added || len(log[0].Parents) != tc.parents {
				t.Errorf("main gained %d commits, head has %d parents; want %d, %d", len(log)-before, len(log[0].Parents), tc.added, tc.parents)
			}
			for _, p := range []string{"a", "b", "c", "README.md"} {
				if _, ok := f.File("main", p); !ok {
					t.Errorf("main lacks %s", p)
				}
			}
			pr, _, _ := c.PullRequests.Get(ctx, f.Owner(), f.Repo(), 2)
			if pr.GetMergeable() || pr.GetMergeableState() != "dirty" {
				t.Errorf("conflicting PR: mergeable %v %s", pr.GetMergeable(), pr.GetMergeableState())
			}
			_, _, err := c.PullRequests.Merge(ctx, f.Owner(), f.Repo(), 2, "", &github.PullRequestOptions{MergeMethod: tc.method})
			wantError(t, err, 405, "")
		})
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	f, c := start(t)
	for i := range 45 {
		f.OpenIssue(fmt.Sprintf("issue %d", i+1), "")
	}
	f.Push("agent/p", "p", map[string]string{"p": "p"})
	if _, err := f.OpenPullRequest("agent/p", "main", "a pull request"); err != nil {
		t.Fatal(err)
	}
	opts := &github.IssueListByRepoOptions{ListOptions: github.ListOptions{PerPage: 20}}
	var numbers []int
	for {
		page, resp, err := c.Issues.ListByRepo(t.Context(), f.Owner(), f.Repo(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if resp.LastPage != 0 && resp.LastPage != 3 {
			t.Errorf("last page %d", resp.LastPage)
		}
		for _, is := range page {
			numbers = append(numbers, is.GetNumber())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	// Newest first, pull requests included, as GitHub lists them.
	if len(numbers) != 46 || numbers[0] != 46 || numbers[45] != 1 {
		t.Errorf("numbers %v", numbers)
	}
	page, _, _ := c.Issues.ListByRepo(t.Context(), f.Owner(), f.Repo(), &github.IssueListByRepoOptions{ListOptions: github.ListOptions{PerPage: 500}})
	if len(page) != 46 || !page[0].IsPullRequest() {
		t.Errorf("per_page 500: %d issues", len(page))
	}
	_, resp, _ := c.Issues.ListByRepo(t.Context(), f.Owner(), f.Repo(), &github.IssueListByRepoOptions{ListOptions: github.ListOptions{PerPage: 10, Page: 2}})
	if resp.NextPage != 3 || resp.PrevPage != 1 || resp.FirstPage != 1 || resp.LastPage != 5 {
		t.Errorf("links of page 2: %+v", resp)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	f, c := start(t)
	f.SetRateLimit(githubfake.RateLimit{Count: 1})
	_, _, err := c.Repositories.Get(t.Context(), f.Owner(), f.Repo())
	var rle *github.RateLimitError
	if !errors.As(err, &rle) || rle.Rate.Remaining != 0 || !rle.Rate.Reset.After(time.Now()) {
		t.Fatalf("primary: %v", err)
	}

	f2, c2 := start(t)
	f2.SetRateLimit(githubfake.RateLimit{Count: 2, Secondary: true, RetryAfter: 3 * time.Second})
	_, _, err = c2.Repositories.Get(t.Context(), f2.Owner(), f2.Repo())
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.RetryAfter == nil || *abuse.RetryAfter != 3*time.Second {
		t.Fatalf("secondary: %v", err)
	}

	f3, _ := start(t)
	f3.SetRateLimit(githubfake.RateLimit{Count: 1, Status: http.StatusTooManyRequests})
	req, _ := http.NewRequest("GET", f3.URL()+"user", nil)
	req.Header.Set("Authorization", "Bearer "+f3.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after the limit: %d", resp.StatusCode)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f, c := start(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := c.Issues.Create(context.Background(), f.Owner(), f.Repo(), &github.IssueRequest{Title: github.String(fmt.Sprint(i))}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, is := range f.Issues() {
		seen[is.Number] = true
	}
	if len(seen) != 20 || !seen[1] || !seen[20] {
		t.Errorf("numbers %v", seen)
	}
}
