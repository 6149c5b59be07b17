package github_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/connectortest"
	"github.com/enact-run/enact/hostfns/github"
	"github.com/enact-run/enact/hostfns/github/githubfake"
)

// Recovery asks the connector whether an action took effect; the
// contract then holds it to Check's rules.
var _ hostfns.Checker = (*github.Connector)(nil)

func check(t testing.TB, c *github.Connector, action, args, key string) hostfns.CheckResult {
	t.Helper()
	return connectortest.Check(t, c, action, args, key)
}

var wantPerformed = connectortest.WantPerformed

// Check only reads: over a whole agent flow, before and after each step,
// it sends GET requests alone.
func TestCheckOnlyReads(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	steps := []struct{ action, args string }{
		{"create_branch", `{"branch": "agent/r"}`},
		{"push_commit", `{"branch": "agent/r", "message": "m", "files": [{"path": "a/b.txt", "content": "b"}, {"path": "README.md", "delete": true}]}`},
		{"create_pr", `{"head": "agent/r", "base": "main", "title": "R"}`},
		{"merge_pr", `{"number": 1}`},
		{"delete_branch", `{"branch": "agent/r"}`},
		{"create_issue", `{"title": "R"}`},
	}
	for i, s := range steps {
		key := fmt.Sprintf("run-r:%d", i)
		before := len(f.RequestLog())
		check(t, c, s.action, s.args, key)
		for _, r := range f.RequestLog()[before:] {
			if r.Method != http.MethodGet {
				t.Errorf("check %s sent %s %s", s.action, r.Method, r.Path)
			}
		}
		must(t, c, s.action, s.args, key)
		before = len(f.RequestLog())
		if res := check(t, c, s.action, s.args, key); !res.Performed {
			t.Errorf("check %s after it: %+v", s.action, res)
		}
		for _, r := range f.RequestLog()[before:] {
			if r.Method != http.MethodGet {
				t.Errorf("check %s sent %s %s", s.action, r.Method, r.Path)
			}
		}
	}
}

func TestCheckCreatePR(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	if _, err := f.Push("feature", "work", map[string]string{"f.txt": "f"}); err != nil {
		t.Fatal(err)
	}
	const args = `{"head": "feature", "base": "main", "title": "F"}`
	// A branch with no pull request.
	wantPerformed(t, check(t, c, "create_pr", args, "run:1"), false, "no open pull request for "+f.Owner()+":feature → main")
	// Someone else's pull request for the same head and base is the one,
	// whoever opened it: check-before-act judges so too.
	n, err := f.OpenPullRequest("feature", "main", "Theirs")
	if err != nil {
		t.Fatal(err)
	}
	res := check(t, c, "create_pr", args, "run:1")
	wantPerformed(t, res, true, fmt.Sprintf("pull request #%d", n))
	if want := fmt.Sprintf(`"number":%d`, n); !strings.Contains(string(res.Result), want) {
		t.Errorf("result %s lacks %s", res.Result, want)
	}
	// Another base is another pull request.
	wantPerformed(t, check(t, c, "create_pr", `{"head": "feature", "base": "other", "title": "F"}`, "run:1"), false, "no open pull request")

	// A merged pull request counts only with the key's marker.
	if _, err := f.Push("agent/m", "work", map[string]string{"m.txt": "m"}); err != nil {
		t.Fatal(err)
	}
	const mine = `{"head": "agent/m", "base": "main", "title": "M"}`
	pr, _ := must(t, c, "create_pr", mine, "run:2")
	must(t, c, "merge_pr", fmt.Sprintf(`{"number": %v}`, pr["number"]), "run:3")
	wantPerformed(t, check(t, c, "create_pr", mine, "run:2"), true, "is merged")
	wantPerformed(t, check(t, c, "create_pr", mine, "other-run:2"), false, "no closed one carrying the key's marker")
	wantPerformed(t, check(t, c, "create_pr", mine, ""), false, "no open pull request")
}

func TestCheckPushCommit(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	const one = `{"branch": "agent/p", "message": "one", "files": [{"path": "a.txt", "content": "1"}]}`
	wantPerformed(t, check(t, c, "push_commit", one, "k:1"), false, "branch agent/p does not exist")
	must(t, c, "create_branch", `{"branch": "agent/p"}`, "")
	wantPerformed(t, check(t, c, "push_commit", one, "k:1"), false, "differs at a.txt")
	first, _ := must(t, c, "push_commit", one, "k:1")
	must(t, c, "push_commit", `{"branch": "agent/p", "message": "two", "files": [{"path": "a.txt", "content": "2"}]}`, "k:2")

	// The head no longer holds the first push's content, but its commit
	// carries the trailer.
	res := check(t, c, "push_commit", one, "k:1")
	wantPerformed(t, res, true, "carries the trailer Enact-Idempotency-Key: k:1")
	if !strings.Contains(string(res.Result), first["sha"].(string)) {
		t.Errorf("result %s, want the first push's commit %s", res.Result, first["sha"])
	}
	// Without the key only the content counts.
	wantPerformed(t, check(t, c, "push_commit", one, ""), false, "differs at a.txt")
	wantPerformed(t, check(t, c, "push_commit", one, "k:other"), false, "none of the 30 newest commits")
	wantPerformed(t, check(t, c, "push_commit", `{"branch": "agent/p", "message": "x", "files": [{"path": "a.txt", "content_base64": "Mg=="}]}`, ""), true, "already holds the files")
	// Deleting a path that is not there, file or directory, is done.
	wantPerformed(t, check(t, c, "push_commit", `{"branch": "agent/p", "message": "x", "files": [{"path": "gone.txt", "delete": true}]}`, ""), true, "already holds the files")
	wantPerformed(t, check(t, c, "push_commit", `{"branch": "agent/p", "message": "x", "files": [{"path": "a.txt", "delete": true}]}`, ""), false, "differs at a.txt")
	// A file where the push wants a directory, and the reverse.
	wantPerformed(t, check(t, c, "push_commit", `{"branch": "agent/p", "message": "x", "files": [{"path": "a.txt/b", "content": "2"}]}`, ""), false, "differs at a.txt/b")
	must(t, c, "push_commit", `{"branch": "agent/p", "message": "dir", "files": [{"path": "d/e.txt", "content": "e"}]}`, "")
	wantPerformed(t, check(t, c, "push_commit", `{"branch": "agent/p", "message": "x", "files": [{"path": "d", "content": "e"}]}`, ""), false, "differs at d")
	wantPerformed(t, check(t, c, "push_commit", `{"branch": "agent/p", "message": "x", "files": [{"path": "d", "delete": true}]}`, ""), false, "differs at d")
	wantPerformed(t, check(t, c, "push_commit", `{"branch": "agent/p", "message": "x", "files": [{"path": "d/e.txt", "content": "e"}, {"path": "d/f", "delete": true}]}`, ""), true, "already holds the files")
}

// truncating makes GitHub's recursive tree listings come back truncated,
// with only the top level, as GitHub does for very large trees.
func truncating(t *testing.T, listings *int) *http.Client {
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil || !strings.Contains(r.URL.Path, "/git/trees/") || r.URL.Query().Get("recursive") == "" {
			if err == nil && strings.Contains(r.URL.Path, "/git/trees/") {
				*listings++
			}
			return resp, err
		}
		defer resp.Body.Close()
		var tree map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&tree); err != nil {
			t.Errorf("tree listing: %v", err)
			return nil, err
		}
		var top []any
		for _, e := range tree["tree"].([]any) {
			if !strings.Contains(e.(map[string]any)["path"].(string), "/") {
				top = append(top, e)
			}
		}
		tree["tree"], tree["truncated"] = top, true
		b, _ := json.Marshal(tree)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return resp, nil
	})}
}

// When GitHub truncates the tree, the lookup walks it directory by
// directory, and Check and push_commit still judge by the content.
func TestPushLookupWalksATruncatedTree(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	if _, err := f.Push("big", "deep files", map[string]string{"x/y/z.txt": "z", "x/w.txt": "w", "top.txt": "t"}); err != nil {
		t.Fatal(err)
	}
	listings := 0
	c := connect(t, f, truncating(t, &listings))
	for _, tc := range []struct {
		files     string
		performed bool
	}{
		{`[{"path": "x/y/z.txt", "content": "z"}, {"path": "x/w.txt", "content": "w"}, {"path": "top.txt", "content": "t"}]`, true},
		{`[{"path": "x/y/z.txt", "content": "Z"}]`, false},
		{`[{"path": "x/y/new.txt", "delete": true}, {"path": "x/q/r", "delete": true}, {"path": "top.txt/s", "delete": true}]`, true},
		{`[{"path": "x/y", "delete": true}]`, false},
		{`[{"path": "x/y/z.txt/deeper", "content": "z"}]`, false},
	} {
		res := check(t, c, "push_commit", `{"branch": "big", "message": "m", "files": `+tc.files+`}`, "")
		if res.Performed != tc.performed {
			t.Errorf("files %s: %+v, want performed %v", tc.files, res, tc.performed)
		}
	}
	if listings == 0 {
		t.Fatal("the lookup never listed a directory: the tree was not truncated")
	}
	// push_commit deletes what the walk finds, and only that.
	m, existed := must(t, c, "push_commit", `{"branch": "big", "message": "rm", "files": [{"path": "x/y/z.txt", "delete": true}, {"path": "x/none", "delete": true}]}`, "")
	if existed {
		t.Fatalf("delete through a truncated tree: %v already_existed", m)
	}
	if _, ok := f.File("big", "x/y/z.txt"); ok {
		t.Error("x/y/z.txt is still there")
	}
	if got, _ := f.File("big", "x/w.txt"); got != "w" {
		t.Errorf("x/w.txt = %q", got)
	}
}

func TestCheckBranchesMergesAndIssues(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	mainSHA, _ := f.Branch("main")

	// create_branch: a branch elsewhere in history is not this one.
	if _, err := f.Push("other", "someone's work", map[string]string{"o.txt": "o"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Push("main", "main moves on", map[string]string{"m.txt": "m"}); err != nil {
		t.Fatal(err)
	}
	wantPerformed(t, check(t, c, "create_branch", `{"branch": "other"}`, ""), false, "does not contain")
	wantPerformed(t, check(t, c, "create_branch", `{"branch": "other", "from": "`+mainSHA+`"}`, ""), true, "(ahead)")
	wantPerformed(t, check(t, c, "create_branch", `{"branch": "fresh"}`, ""), false, "does not exist")

	// merge_pr: open, merged, merged into another base, closed.
	if _, err := f.OpenPullRequest("other", "main", "Other"); err != nil {
		t.Fatal(err)
	}
	wantPerformed(t, check(t, c, "merge_pr", `{"number": 1}`, ""), false, "is open, not merged")
	must(t, c, "merge_pr", `{"number": 1}`, "")
	wantPerformed(t, check(t, c, "merge_pr", `{"number": 1, "base": "main"}`, ""), true, "is merged into main")
	wantPerformed(t, check(t, c, "merge_pr", `{"number": 1, "base": "release"}`, ""), false, "merges into main, not release")
	if _, err := f.Push("closing", "w", map[string]string{"c.txt": "c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.OpenPullRequest("closing", "main", "Closing"); err != nil {
		t.Fatal(err)
	}
	must(t, c, "delete_branch", `{"branch": "closing"}`, "") // closes PR 2
	wantPerformed(t, check(t, c, "merge_pr", `{"number": 2}`, ""), false, "is closed, not merged")
	if _, err := c.Check(context.Background(), "merge_pr", json.RawMessage(`{"number": 99}`), hostfns.CallOptions{}); !isCode(err, hostfns.CodeNotFound) {
		t.Errorf("check merge_pr of a pull request that does not exist: %v, want not_found", err)
	}

	// delete_branch.
	wantPerformed(t, check(t, c, "delete_branch", `{"branch": "closing"}`, ""), true, "does not exist")
	wantPerformed(t, check(t, c, "delete_branch", `{"branch": "other"}`, ""), false, "exists, at")

	// create_issue: found by the key's marker alone; without a key it
	// cannot be checked.
	f.OpenIssue("Same title", "A body without a marker.")
	wantPerformed(t, check(t, c, "create_issue", `{"title": "Same title", "body": "A body without a marker."}`, "run:9"), false, "none of the newest 5000 open issues")
	if _, err := c.Check(context.Background(), "create_issue", json.RawMessage(`{"title": "t"}`), hostfns.CallOptions{}); !isCode(err, hostfns.CodeInvalidArgs) {
		t.Errorf("check create_issue without a key: %v, want invalid_args", err)
	}
}

// A GitHub that cannot be reached or answers 5xx is an error, never "not
// performed".
func TestCheckUnreachableIsAnError(t *testing.T) {
	t.Parallel()
	closed := githubfake.New(githubfake.Config{})
	closed.Close()
	c := connect(t, closed, nil)
	_, err := c.Check(context.Background(), "delete_branch", json.RawMessage(`{"branch": "agent/x"}`), hostfns.CallOptions{})
	if !isCode(err, hostfns.CodeUnavailable) {
		t.Errorf("check against a closed server: %v, want unavailable", err)
	}
	f := newFake(t)
	c = connect(t, f, &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusBadGateway, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"message": "Server Error"}`)), Request: r}, nil
	})})
	_, err = c.Check(context.Background(), "create_issue", json.RawMessage(`{"title": "t"}`), hostfns.CallOptions{IdempotencyKey: "k"})
	if !isCode(err, hostfns.CodeUnavailable) {
		t.Errorf("check against a 502: %v, want unavailable", err)
	}
}

func isCode(err error, code string) bool {
	ce, ok := err.(*hostfns.ConnectorError)
	return ok && ce.Code == code
}
