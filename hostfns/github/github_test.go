package github_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/connectortest"
	"github.com/enact-run/enact/hostfns/github"
	"github.com/enact-run/enact/hostfns/github/githubfake"
)

func newFake(t testing.TB) *githubfake.Fake {
	t.Helper()
	f := githubfake.New(githubfake.Config{})
	t.Cleanup(f.Close)
	return f
}

func connect(t testing.TB, f *githubfake.Fake, hc *http.Client) *github.Connector {
	t.Helper()
	c, err := github.New(github.Config{Token: f.Token(), Owner: f.Owner(), Repo: f.Repo(), BaseURL: f.URL(), HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hook runs before on every request, then sends it.
type hook func(*http.Request)

func (h hook) client() *http.Client {
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		h(r)
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type result = map[string]any

func call(t testing.TB, c hostfns.Connector, action, args, key string) (result, bool, error) {
	t.Helper()
	return callCtx(context.Background(), t, c, action, args, key)
}

func callCtx(ctx context.Context, t testing.TB, c hostfns.Connector, action, args, key string) (result, bool, error) {
	t.Helper()
	out, err := c.Call(ctx, action, json.RawMessage(args), hostfns.CallOptions{IdempotencyKey: key})
	if err != nil {
		return nil, false, err
	}
	var m result
	if err := json.Unmarshal(out.Result, &m); err != nil {
		t.Fatalf("%s: result %s: %v", action, out.Result, err)
	}
	return m, out.AlreadyExisted, nil
}

func must(t testing.TB, c hostfns.Connector, action, args, key string) (result, bool) {
	t.Helper()
	m, existed, err := call(t, c, action, args, key)
	if err != nil {
		t.Fatalf("%s %s: %v", action, args, err)
	}
	return m, existed
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var ce *hostfns.ConnectorError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("error %v, want a ConnectorError with code %s", err, code)
	}
}

func TestContract(t *testing.T) {
	connectortest.Run(t, func(t *testing.T) hostfns.Connector { return connect(t, newFake(t), nil) }, connectortest.Contract{
		Mutations: []connectortest.Call{
			{Action: "create_branch", Args: `{"branch": "agent/contract"}`},
			{Action: "push_commit", Args: `{"branch": "agent/contract", "message": "Add a file", "files": [{"path": "a/b.txt", "content": "b\n"}, {"path": "README.md", "delete": true}]}`},
			{Action: "create_pr", Args: `{"head": "agent/contract", "base": "main", "title": "Contract"}`},
			{Action: "merge_pr", Args: `{"number": 1, "base": "main", "method": "squash"}`},
			{Action: "delete_branch", Args: `{"branch": "agent/contract"}`},
			{Action: "create_issue", Args: `{"title": "Contract", "body": "Filed by the contract suite.", "labels": ["test"]}`},
		},
		Reads: []connectortest.Call{
			{Action: "get_branch", Args: `{"branch": "main"}`},
			{Action: "get_branch", Args: `{"branch": "agent/contract"}`},
			{Action: "list_pulls", Args: `{"state": "all"}`},
			{Action: "list_changes", Args: `{"branch": "main", "files": [{"path": "docs", "delete": true}, {"path": "a.txt", "content": "a"}]}`},
		},
	})
}

func TestNamesFollowTheReadWriteConvention(t *testing.T) {
	t.Parallel()
	c := connect(t, newFake(t), nil)
	for _, a := range c.Actions() {
		read := strings.HasPrefix(a.Name, "get_") || strings.HasPrefix(a.Name, "list_")
		if read == a.Mutating {
			t.Errorf("%s: Mutating = %v", a.Name, a.Mutating)
		}
	}
}

// The reference agent flow, run twice with the same keys, then once more
// without keys: the retries change nothing, and the fake holds one new
// branch, one new commit and one pull request.
func TestAgentPRFlowRetriedChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	steps := []struct{ action, args string }{
		{"create_branch", `{"branch": "agent/x"}`},
		{"push_commit", `{"branch": "agent/x", "message": "Add greeting", "files": [
			{"path": "hello.txt", "content": "hello\n"},
			{"path": "docs/logo.bin", "content_base64": "AAEC/w=="}]}`},
		{"create_pr", `{"head": "agent/x", "base": "main", "title": "Add greeting", "body": "Made by an agent."}`},
		{"list_pulls", `{"head": "agent/x", "base": "main"}`},
	}
	mainBefore, _ := f.Branch("main")
	run := func(runKey string) (results []result, existed []bool) {
		for i, s := range steps {
			key := ""
			if runKey != "" {
				key = fmt.Sprintf("%s:%d", runKey, i+1)
			}
			m, ex := must(t, c, s.action, s.args, key)
			results, existed = append(results, m), append(existed, ex)
		}
		return results, existed
	}
	first, existed := run("run-1")
	if diff := cmp.Diff([]bool{false, false, false, false}, existed); diff != "" {
		t.Fatalf("first run already_existed (-want +got):\n%s", diff)
	}
	for _, retry := range []string{"run-1", ""} {
		again, existed := run(retry)
		if diff := cmp.Diff([]bool{true, true, true, false}, existed); diff != "" {
			t.Errorf("retry %q: already_existed (-want +got):\n%s", retry, diff)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("retry %q: results differ (-first +retry):\n%s", retry, diff)
		}
	}

	if diff := cmp.Diff([]string{"agent/x", "main"}, f.Branches()); diff != "" {
		t.Errorf("branches (-want +got):\n%s", diff)
	}
	log := f.Log("agent/x")
	if len(log) != 2 || log[1].SHA != mainBefore || log[0].SHA != first[1]["sha"] {
		t.Errorf("agent/x history = %+v, want one commit on top of main's %s", log, mainBefore)
	}
	if !strings.Contains(log[0].Message, "Enact-Idempotency-Key: run-1:2") {
		t.Errorf("commit message %q lacks the idempotency trailer", log[0].Message)
	}
	if got, _ := f.File("agent/x", "hello.txt"); got != "hello\n" {
		t.Errorf("hello.txt = %q", got)
	}
	if got, _ := f.File("agent/x", "docs/logo.bin"); got != "\x00\x01\x02\xff" {
		t.Errorf("docs/logo.bin = %q", got)
	}
	if mainNow, _ := f.Branch("main"); mainNow != mainBefore {
		t.Error("main moved")
	}
	prs := f.PullRequests()
	if len(prs) != 1 || prs[0].Head != "agent/x" || prs[0].Base != "main" || prs[0].State != "open" {
		t.Fatalf("pull requests = %+v, want one open agent/x → main", prs)
	}
	if !strings.Contains(prs[0].Body, "Made by an agent.") || !strings.Contains(prs[0].Body, "<!-- enact-idempotency-key: run-1:3 -->") {
		t.Errorf("pull request body = %q", prs[0].Body)
	}
	pulls := first[3]["pulls"].([]any)
	if len(pulls) != 1 || pulls[0].(result)["number"] != first[2]["number"] {
		t.Errorf("list_pulls = %v, want the pull request %v", first[3], first[2])
	}
}

func TestCreateBranch(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	mainSHA, _ := f.Branch("main")
	other, err := f.Push("other", "Someone else's work", map[string]string{"x.txt": "x"})
	if err != nil {
		t.Fatal(err)
	}

	m, existed := must(t, c, "create_branch", `{"branch": "refs/heads/agent/a", "from": "`+other+`"}`, "")
	if existed || m["branch"] != "agent/a" || m["sha"] != other {
		t.Fatalf("create from a sha: %v %v", m, existed)
	}
	if sha, ok := f.Branch("agent/a"); !ok || sha != other {
		t.Fatalf("agent/a = %q %v", sha, ok)
	}
	// The same branch again, from the branch that sha came from.
	if _, existed := must(t, c, "create_branch", `{"branch": "agent/a", "from": "other"}`, ""); !existed {
		t.Error("same branch at the same commit: not already_existed")
	}
	// main is an ancestor of agent/a: a retry from main after the branch
	// moved on is the same branch.
	if m, existed := must(t, c, "create_branch", `{"branch": "agent/a", "from": "main"}`, ""); !existed || m["sha"] != mainSHA {
		t.Errorf("branch ahead of from: %v %v", m, existed)
	}
	// A branch whose history lacks the commit is a conflict.
	if _, err := f.Push("main", "Main moves on", map[string]string{"y.txt": "y"}); err != nil {
		t.Fatal(err)
	}
	_, _, err = call(t, c, "create_branch", `{"branch": "agent/a", "from": "main"}`, "")
	wantCode(t, err, hostfns.CodeConflict)
	if sha, _ := f.Branch("agent/a"); sha != other {
		t.Error("a conflicting create_branch moved the branch")
	}

	_, _, err = call(t, c, "create_branch", `{"branch": "agent/b", "from": "no-such-branch"}`, "")
	wantCode(t, err, hostfns.CodeNotFound)
	_, _, err = call(t, c, "create_branch", `{"branch": "agent/b", "from": "`+strings.Repeat("ab", 20)+`"}`, "")
	wantCode(t, err, hostfns.CodeNotFound)
	if m, _ := must(t, c, "create_branch", `{"branch": "agent/b", "from": "`+mainSHA+`"}`, ""); m["sha"] != mainSHA {
		t.Errorf("from the old main: %v", m)
	}
	for _, bad := range []string{"", "a..b", "a b", "-x", "x.lock", "refs/heads/refs/heads/main", "heads/heads/x", "a:b", "x/"} {
		_, _, err := call(t, c, "create_branch", fmt.Sprintf(`{"branch": %q}`, bad), "")
		wantCode(t, err, hostfns.CodeInvalidArgs)
	}
	_, _, err = call(t, c, "create_branch", `{"branch": "x", "force": true}`, "")
	wantCode(t, err, hostfns.CodeInvalidArgs)
}

// Two calls racing to create the same branch: the loser finds the
// winner's branch (422 Reference already exists) and answers
// already_existed.
func TestCreateBranchLosesARace(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var once sync.Once
	c := connect(t, f, hook(func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git/refs") {
			once.Do(func() { f.Push("agent/race", "", nil) })
		}
	}).client())
	_, existed := must(t, c, "create_branch", `{"branch": "agent/race"}`, "")
	if !existed {
		t.Error("not already_existed after losing the race")
	}
}

func TestPushCommit(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	must(t, c, "create_branch", `{"branch": "agent/p"}`, "")

	first, _ := must(t, c, "push_commit", `{"branch": "agent/p", "message": "one", "files": [{"path": "a.txt", "content": "1"}]}`, "k:1")
	second, _ := must(t, c, "push_commit", `{"branch": "agent/p", "message": "two", "files": [{"path": "a.txt", "content": "2"}]}`, "k:2")
	// Retrying the first push after the second: its content is no longer
	// the head's, but the trailer says it was pushed; nothing is reverted.
	again, existed := must(t, c, "push_commit", `{"branch": "agent/p", "message": "one", "files": [{"path": "a.txt", "content": "1"}]}`, "k:1")
	if !existed || again["sha"] != first["sha"] {
		t.Errorf("retried first push: %v %v, want already_existed at %v", again, existed, first["sha"])
	}
	if got, _ := f.File("agent/p", "a.txt"); got != "2" {
		t.Errorf("a.txt = %q, want the second push's content", got)
	}
	// Without a key, the same content is already there.
	if m, existed := must(t, c, "push_commit", `{"branch": "agent/p", "message": "again", "files": [{"path": "a.txt", "content": "2"}]}`, ""); !existed || m["sha"] != second["sha"] {
		t.Errorf("same content: %v %v", m, existed)
	}
	// Deleting, then deleting again.
	del, existed := must(t, c, "push_commit", `{"branch": "agent/p", "message": "remove", "files": [{"path": "a.txt", "delete": true}]}`, "")
	if existed {
		t.Error("first delete already_existed")
	}
	if _, ok := f.File("agent/p", "a.txt"); ok {
		t.Error("a.txt still there")
	}
	if m, existed := must(t, c, "push_commit", `{"branch": "agent/p", "message": "remove", "files": [{"path": "a.txt", "delete": true}]}`, ""); !existed || m["sha"] != del["sha"] {
		t.Errorf("repeated delete: %v %v", m, existed)
	}
	if n := len(f.Log("agent/p")); n != 4 {
		t.Errorf("agent/p has %d commits, want 4 (initial, one, two, remove)", n)
	}

	_, _, err := call(t, c, "push_commit", `{"branch": "nope", "message": "m", "files": [{"path": "a", "content": ""}]}`, "")
	wantCode(t, err, hostfns.CodeNotFound)
	for _, bad := range []string{
		`{"branch": "agent/p", "message": "m", "files": []}`,
		`{"branch": "agent/p", "message": "", "files": [{"path": "a", "content": ""}]}`,
		`{"branch": "agent/p", "message": "m", "files": [{"path": "../a", "content": ""}]}`,
		`{"branch": "agent/p", "message": "m", "files": [{"path": ".git/config", "content": ""}]}`,
		`{"branch": "agent/p", "message": "m", "files": [{"path": "/a", "content": ""}]}`,
		`{"branch": "agent/p", "message": "m", "files": [{"path": "a", "content": "", "content_base64": ""}]}`,
		`{"branch": "agent/p", "message": "m", "files": [{"path": "a", "content": "", "delete": true}]}`,
		`{"branch": "agent/p", "message": "m", "files": [{"path": "a"}]}`,
		`{"branch": "agent/p", "message": "m", "files": [{"path": "a", "content_base64": "!!"}]}`,
		`{"branch": "agent/p", "message": "m", "files": [{"path": "a", "content": "x"}, {"path": "a", "content": "y"}]}`,
	} {
		_, _, err := call(t, c, "push_commit", bad, "")
		wantCode(t, err, hostfns.CodeInvalidArgs)
	}
}

// Someone pushes between the connector's read of the head and its ref
// update: the update is not a fast forward, the connector answers
// conflict and never forces.
func TestPushCommitNeverForces(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var once sync.Once
	c := connect(t, f, hook(func(r *http.Request) {
		if r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/git/refs/heads/agent/f") {
			once.Do(func() { f.Push("agent/f", "concurrent", map[string]string{"other.txt": "theirs"}) })
		}
	}).client())
	must(t, c, "create_branch", `{"branch": "agent/f"}`, "")
	_, _, err := call(t, c, "push_commit", `{"branch": "agent/f", "message": "mine", "files": [{"path": "mine.txt", "content": "ours"}]}`, "")
	wantCode(t, err, hostfns.CodeConflict)
	if got, _ := f.File("agent/f", "other.txt"); got != "theirs" {
		t.Error("the concurrent push was overwritten")
	}
	if _, ok := f.File("agent/f", "mine.txt"); ok {
		t.Error("the conflicting push landed")
	}
}

func TestCreatePR(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	if _, err := f.Push("feature", "work", map[string]string{"f.txt": "f"}); err != nil {
		t.Fatal(err)
	}
	// Someone else's open PR for the same head and base is the one.
	n, err := f.OpenPullRequest("feature", "main", "Theirs")
	if err != nil {
		t.Fatal(err)
	}
	m, existed := must(t, c, "create_pr", `{"head": "`+f.Owner()+`:feature", "base": "main", "title": "Mine"}`, "k")
	if !existed || m["number"] != float64(n) || m["state"] != "open" {
		t.Errorf("existing open PR: %v %v", m, existed)
	}
	_, _, err = call(t, c, "create_pr", `{"head": "nope", "base": "main", "title": "t"}`, "")
	wantCode(t, err, hostfns.CodeConflict)
	_, _, err = call(t, c, "create_pr", `{"head": "main", "base": "main", "title": "t"}`, "")
	wantCode(t, err, hostfns.CodeConflict)
	_, _, err = call(t, c, "create_pr", `{"head": "feature", "base": "main", "title": ""}`, "")
	wantCode(t, err, hostfns.CodeInvalidArgs)

	// A merged PR carrying this call's marker is not opened again.
	if _, err := f.Push("agent/m", "work", map[string]string{"m.txt": "m"}); err != nil {
		t.Fatal(err)
	}
	pr, _ := must(t, c, "create_pr", `{"head": "agent/m", "base": "main", "title": "M", "draft": false}`, "run:3")
	must(t, c, "merge_pr", fmt.Sprintf(`{"number": %v, "base": "main"}`, pr["number"]), "run:4")
	if _, err := f.Push("agent/m", "more work", map[string]string{"m2.txt": "m"}); err != nil {
		t.Fatal(err)
	}
	if m, existed := must(t, c, "create_pr", `{"head": "agent/m", "base": "main", "title": "M"}`, "run:3"); !existed || m["state"] != "merged" || m["number"] != pr["number"] {
		t.Errorf("retry after merge: %v %v", m, existed)
	}
	if got := len(f.PullRequests()); got != 2 {
		t.Errorf("%d pull requests, want 2", got)
	}
}

// The create races with another: GitHub answers 422 "A pull request
// already exists", and the connector returns that pull request.
func TestCreatePRLosesARace(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	if _, err := f.Push("agent/r", "work", map[string]string{"r.txt": "r"}); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	c := connect(t, f, hook(func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pulls") {
			once.Do(func() { f.OpenPullRequest("agent/r", "main", "The winner") })
		}
	}).client())
	m, existed := must(t, c, "create_pr", `{"head": "agent/r", "base": "main", "title": "The loser"}`, "")
	if !existed || m["number"] != 1.0 {
		t.Errorf("lost race: %v %v", m, existed)
	}
	if n := len(f.PullRequests()); n != 1 {
		t.Errorf("%d pull requests", n)
	}
}

func TestMergePR(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	for _, b := range []string{"agent/ok", "agent/clash", "agent/closed"} {
		if _, err := f.Push(b, "work", map[string]string{"shared.txt": b}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.OpenPullRequest(b, "main", b); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := call(t, c, "merge_pr", `{"number": 1, "base": "release"}`, "")
	wantCode(t, err, hostfns.CodeConflict) // its base is main
	m, existed := must(t, c, "merge_pr", `{"number": 1, "base": "refs/heads/main"}`, "")
	mainSHA, _ := f.Branch("main")
	if existed || m["merged"] != true || m["sha"] != mainSHA {
		t.Fatalf("merge: %v %v (main at %s)", m, existed, mainSHA)
	}
	if again, existed := must(t, c, "merge_pr", `{"number": 1, "base": "main"}`, ""); !existed || again["sha"] != m["sha"] {
		t.Errorf("merge again: %v %v", again, existed)
	}
	// agent/clash changed shared.txt as agent/ok did: not mergeable (405).
	_, _, err = call(t, c, "merge_pr", `{"number": 2, "base": "main"}`, "")
	wantCode(t, err, hostfns.CodeConflict)
	must(t, c, "delete_branch", `{"branch": "agent/closed"}`, "") // closes PR 3
	_, _, err = call(t, c, "merge_pr", `{"number": 3}`, "")
	wantCode(t, err, hostfns.CodeConflict)
	_, _, err = call(t, c, "merge_pr", `{"number": 99}`, "")
	wantCode(t, err, hostfns.CodeNotFound)
	_, _, err = call(t, c, "merge_pr", `{"number": 1, "method": "octopus"}`, "")
	wantCode(t, err, hostfns.CodeInvalidArgs)
	if got, _ := f.File("main", "shared.txt"); got != "agent/ok" {
		t.Errorf("main's shared.txt = %q", got)
	}
}

func TestDeleteBranch(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	must(t, c, "create_branch", `{"branch": "agent/d"}`, "")
	if m, existed := must(t, c, "delete_branch", `{"branch": "agent/d"}`, ""); existed || m["deleted"] != true {
		t.Errorf("delete: %v %v", m, existed)
	}
	if m, existed := must(t, c, "delete_branch", `{"branch": "agent/d"}`, ""); !existed || m["deleted"] != false {
		t.Errorf("delete again: %v %v", m, existed)
	}
	_, _, err := call(t, c, "delete_branch", `{"branch": "main"}`, "")
	wantCode(t, err, hostfns.CodeConflict) // GitHub refuses to delete the default branch
}

func TestCreateIssueFindsItsMarkerPastThe100th(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	first, existed := must(t, c, "create_issue", `{"title": "Flaky test", "body": "It fails.", "labels": ["bug"]}`, "run-9:1")
	if existed {
		t.Fatal("fresh issue already_existed")
	}
	for i := range 150 { // newer issues push it to the second page
		f.OpenIssue(fmt.Sprintf("Other %d", i), "")
	}
	before := f.Requests()
	again, existed := must(t, c, "create_issue", `{"title": "Flaky test", "body": "It fails.", "labels": ["bug"]}`, "run-9:1")
	if !existed || again["number"] != first["number"] {
		t.Errorf("retry: %v %v, want already_existed %v", again, existed, first)
	}
	if n := f.Requests() - before; n != 2 {
		t.Errorf("the retry made %d requests, want 2 pages of issues", n)
	}
	issues := f.Issues()
	if len(issues) != 151 {
		t.Fatalf("%d issues, want 151", len(issues))
	}
	if is := issues[0]; is.Body != "It fails.\n\n<!-- enact-idempotency-key: run-9:1 -->" || len(is.Labels) != 1 {
		t.Errorf("issue = %+v", is)
	}
	// Another key is another issue; a key unsafe in an HTML comment is
	// hashed.
	if _, existed := must(t, c, "create_issue", `{"title": "Flaky test"}`, "run --> <script>"); existed {
		t.Error("other key: already_existed")
	}
	if body := f.Issues()[151].Body; !strings.HasPrefix(body, "<!-- enact-idempotency-key: sha256-") || strings.Contains(body, "script") {
		t.Errorf("body with an unsafe key = %q", body)
	}
}

func TestListPullsPaginates(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	for i := range 120 {
		b := fmt.Sprintf("agent/%03d", i)
		if _, err := f.Push(b, "work", map[string]string{b + ".txt": b}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.OpenPullRequest(b, "main", b); err != nil {
			t.Fatal(err)
		}
	}
	before := f.Requests()
	m, _ := must(t, c, "list_pulls", `{"limit": 1000}`, "")
	if pulls := m["pulls"].([]any); len(pulls) != 120 || m["truncated"] != false || pulls[0].(result)["number"] != 120.0 {
		t.Errorf("all: %d pulls, truncated %v", len(pulls), m["truncated"])
	}
	if n := f.Requests() - before; n != 2 {
		t.Errorf("%d requests for 120 pull requests, want 2 pages", n)
	}
	m, _ = must(t, c, "list_pulls", `{"limit": 101}`, "")
	if pulls := m["pulls"].([]any); len(pulls) != 101 || m["truncated"] != true {
		t.Errorf("limit 101: %d pulls, truncated %v", len(pulls), m["truncated"])
	}
	m, _ = must(t, c, "list_pulls", `{"head": "agent/007", "base": "main"}`, "")
	if pulls := m["pulls"].([]any); len(pulls) != 1 || pulls[0].(result)["head"] != "agent/007" {
		t.Errorf("head filter: %v", m)
	}
	m, _ = must(t, c, "list_pulls", `{"state": "closed"}`, "")
	if pulls := m["pulls"].([]any); len(pulls) != 0 {
		t.Errorf("closed: %v", m)
	}
}

func TestGetBranch(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	sha, _ := f.Branch("main")
	m, _ := must(t, c, "get_branch", `{"branch": "main"}`, "")
	if diff := cmp.Diff(result{"found": true, "branch": "main", "sha": sha, "protected": false}, m); diff != "" {
		t.Error(diff)
	}
	m, _ = must(t, c, "get_branch", `{"branch": "agent/none"}`, "")
	if diff := cmp.Diff(result{"found": false, "branch": "agent/none"}, m); diff != "" {
		t.Error(diff)
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	const wrong = "ghp_wrongtoken0123456789"
	c, err := github.New(github.Config{Token: wrong, Owner: f.Owner(), Repo: f.Repo(), BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct{ action, args string }{
		{"get_branch", `{"branch": "main"}`},
		{"create_issue", `{"title": "t"}`},
		{"create_branch", `{"branch": "b"}`},
	} {
		_, _, err := call(t, c, a.action, a.args, "k")
		wantCode(t, err, hostfns.CodeUnauthorized)
		if strings.Contains(err.Error(), wrong) {
			t.Errorf("%s: error %q carries the token", a.action, err)
		}
	}
	if len(f.Issues()) != 0 {
		t.Error("an issue was created without authorization")
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c, err := github.New(github.Config{Token: f.Token(), Owner: f.Owner(), Repo: "elsewhere", BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = call(t, c, "create_issue", `{"title": "t"}`, "")
	wantCode(t, err, hostfns.CodeNotFound)
	_, _, err = call(t, c, "create_branch", `{"branch": "b"}`, "")
	wantCode(t, err, hostfns.CodeNotFound)
}

// A rate-limited read is retried once after Retry-After; a rate-limited
// write is not retried.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	for _, l := range []githubfake.RateLimit{
		{Count: 1, Status: http.StatusForbidden},
		{Count: 1, Status: http.StatusTooManyRequests},
		{Count: 1, Status: http.StatusForbidden, Secondary: true},
		{Count: 1, Status: http.StatusTooManyRequests, Secondary: true},
	} {
		t.Run(fmt.Sprintf("%d secondary=%v", l.Status, l.Secondary), func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			c := connect(t, f, nil)
			f.SetRateLimit(l)
			m, _ := must(t, c, "get_branch", `{"branch": "main"}`, "")
			if m["found"] != true {
				t.Errorf("read after the wait: %v", m)
			}
			if diff := cmp.Diff([]int{l.Status, 200}, statuses(f.RequestLog())); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("write", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		var once sync.Once
		c := connect(t, f, hook(func(r *http.Request) {
			if r.Method == http.MethodPost {
				once.Do(func() { f.SetRateLimit(githubfake.RateLimit{Count: 1, Status: http.StatusTooManyRequests}) })
			}
		}).client())
		_, _, err := call(t, c, "create_issue", `{"title": "t"}`, "")
		wantCode(t, err, hostfns.CodeRateLimited)
		if !strings.Contains(err.Error(), "retry after ") {
			t.Errorf("error %q does not say when to retry", err)
		}
		var posts int
		for _, r := range f.RequestLog() {
			if r.Method == http.MethodPost {
				posts++
			}
		}
		if posts != 1 || len(f.Issues()) != 0 {
			t.Errorf("%d POSTs, %d issues; want 1 refused POST and no issue", posts, len(f.Issues()))
		}
	})
	t.Run("wait beyond the deadline", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		c := connect(t, f, nil)
		f.SetRateLimit(githubfake.RateLimit{Count: 1, RetryAfter: 30 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _, err := callCtx(ctx, t, c, "get_branch", `{"branch": "main"}`, "")
		wantCode(t, err, hostfns.CodeRateLimited)
		if n := f.Requests(); n != 1 {
			t.Errorf("%d requests, want 1 (no retry)", n)
		}
	})
}

func statuses(log []githubfake.Request) []int {
	var out []int
	for _, r := range log {
		out = append(out, r.Status)
	}
	return out
}

func TestUnavailableAndTimeout(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		http.Error(rec, `{"message": "Server Error"}`, http.StatusBadGateway)
		return rec.Result(), nil
	})})
	_, _, err := call(t, c, "get_branch", `{"branch": "main"}`, "")
	wantCode(t, err, hostfns.CodeUnavailable)

	closed := githubfake.New(githubfake.Config{})
	closed.Close()
	c = connect(t, closed, nil)
	_, _, err = call(t, c, "create_issue", `{"title": "t"}`, "")
	wantCode(t, err, hostfns.CodeUnavailable)

	c = connect(t, f, nil)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, _, err = callCtx(ctx, t, c, "create_branch", `{"branch": "agent/late"}`, "")
	wantCode(t, err, hostfns.CodeTimeout)
	if _, ok := f.Branch("agent/late"); ok {
		t.Error("a call past its deadline created a branch")
	}
}

// The token never appears in a result or an error, even when a server
// echoes it back.
func TestTokenNeverLeaves(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := connect(t, f, nil)
	var texts []string
	record := func(m result, _ bool, err error) {
		b, _ := json.Marshal(m)
		texts = append(texts, string(b))
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	for _, a := range []struct{ action, args string }{
		{"create_branch", `{"branch": "agent/t"}`},
		{"push_commit", `{"branch": "agent/t", "message": "m", "files": [{"path": "t", "content": "t"}]}`},
		{"create_pr", `{"head": "agent/t", "base": "main", "title": "t"}`},
		{"create_pr", `{"head": "missing", "base": "main", "title": "t"}`},
		{"merge_pr", `{"number": 1, "base": "main"}`},
		{"merge_pr", `{"number": 7}`},
		{"delete_branch", `{"branch": "main"}`},
		{"create_issue", `{"title": "t"}`},
		{"get_branch", `{"branch": "agent/t"}`},
		{"list_pulls", `{"state": "all"}`},
	} {
		record(call(t, c, a.action, a.args, "k"))
	}
	// A server that echoes the Authorization header in its errors.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"message": "bad header %s", "errors": [{"message": "%s"}]}`, r.Header.Get("Authorization"), r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	ec, err := github.New(github.Config{Token: f.Token(), Owner: "o", Repo: "r", BaseURL: echo.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = call(t, ec, "create_issue", `{"title": "t"}`, "")
	wantCode(t, err, hostfns.CodeConflict)
	record(nil, false, err)
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("echoed error %q: want the token redacted", err)
	}
	for _, s := range texts {
		if strings.Contains(s, f.Token()) {
			t.Errorf("the token appears in %q", s)
		}
	}
}

// The token goes only to the API's host, not to a host a redirect names.
func TestTokenNotSentElsewhere(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var hits int
	var leaked string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits++
		leaked += r.Header.Get("Authorization")
		http.NotFound(w, r)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer api.Close()
	c, err := github.New(github.Config{Token: "ghp_secret0123456789", Owner: "o", Repo: "r", BaseURL: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	call(t, c, "get_branch", `{"branch": "main"}`, "")
	call(t, c, "create_issue", `{"title": "t"}`, "")
	mu.Lock()
	defer mu.Unlock()
	if hits != 2 || leaked != "" {
		t.Errorf("the other host got %d requests with Authorization %q; want 2 without", hits, leaked)
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []github.Config{
		{Owner: "o", Repo: "r"},
		{Token: "t t", Owner: "o", Repo: "r"},
		{Token: "t", Repo: "r"},
		{Token: "t", Owner: "o/x", Repo: "r"},
		{Token: "t", Owner: "o", Repo: ".."},
		{Token: "t", Owner: "o", Repo: "r", BaseURL: "http://example.com/"},
		{Token: "t", Owner: "o", Repo: "r", BaseURL: "ftp://example.com/"},
		{Token: "t", Owner: "o", Repo: "r", BaseURL: "https://user:pw@example.com/"},
	} {
		if _, err := github.New(cfg); !errors.Is(err, github.ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	for _, base := range []string{"", "https://ghe.example.com/api/v3", "http://127.0.0.1:8080/", "http://[::1]/"} {
		if _, err := github.New(github.Config{Token: "t", Owner: "o", Repo: "r", BaseURL: base}); err != nil {
			t.Errorf("base %q: %v", base, err)
		}
	}
}

// BenchmarkCreateIssue measures create_issue against the fake: "new"
// creates an issue each time (no key, so no marker search: one POST),
// "retry" repeats a keyed call whose issue exists (one page of the
// marker search, no POST).
func BenchmarkCreateIssue(b *testing.B) {
	for _, retry := range []bool{false, true} {
		b.Run(map[bool]string{false: "new", true: "retry"}[retry], func(b *testing.B) {
			f := newFake(b)
			c := connect(b, f, nil)
			ctx := context.Background()
			args := json.RawMessage(`{"title": "Benchmark", "body": "Filed by BenchmarkCreateIssue.", "labels": ["bench"]}`)
			opts := hostfns.CallOptions{}
			if retry {
				opts.IdempotencyKey = "bench:1"
				if _, err := c.Call(ctx, "create_issue", args, opts); err != nil {
					b.Fatal(err)
				}
			}
			before := f.Requests()
			b.ReportAllocs()
			for b.Loop() {
				out, err := c.Call(ctx, "create_issue", args, opts)
				if err != nil || out.AlreadyExisted != retry {
					b.Fatalf("already_existed %v, err %v", out.AlreadyExisted, err)
				}
			}
			b.ReportMetric(float64(f.Requests()-before)/float64(b.N), "requests/op")
		})
	}
}
