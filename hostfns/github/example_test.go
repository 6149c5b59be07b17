package github_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/github"
	"github.com/enact-run/enact/hostfns/github/githubfake"
)

// The agent PR flow against the fake, run twice with the same idempotency
// keys: the second run finds every effect in place and changes nothing.
func Example() {
	fake := githubfake.New(githubfake.Config{})
	defer fake.Close()
	conn, err := github.New(github.Config{Token: fake.Token(), Owner: fake.Owner(), Repo: fake.Repo(), BaseURL: fake.URL()})
	if err != nil {
		panic(err)
	}
	steps := []struct{ action, args string }{
		{"create_branch", `{"branch": "agent/fix-typo"}`},
		{"push_commit", `{"branch": "agent/fix-typo", "message": "Fix a typo", "files": [{"path": "README.md", "content": "# octo-repo\n\nFixed.\n"}]}`},
		{"create_pr", `{"head": "agent/fix-typo", "base": "main", "title": "Fix a typo"}`},
	}
	for run := 1; run <= 2; run++ {
		for i, s := range steps {
			out, err := conn.Call(context.Background(), s.action, json.RawMessage(s.args), hostfns.CallOptions{IdempotencyKey: fmt.Sprintf("run-1:%d", i+1)})
			if err != nil {
				panic(err)
			}
			fmt.Printf("run %d: %s already_existed=%v\n", run, s.action, out.AlreadyExisted)
		}
	}
	fmt.Println("branches:", fake.Branches(), "commits on the branch:", len(fake.Log("agent/fix-typo")), "pull requests:", len(fake.PullRequests()))
	// Output:
	// run 1: create_branch already_existed=false
	// run 1: push_commit already_existed=false
	// run 1: create_pr already_existed=false
	// run 2: create_branch already_existed=true
	// run 2: push_commit already_existed=true
	// run 2: create_pr already_existed=true
	// branches: [agent/fix-typo main] commits on the branch: 2 pull requests: 1
}
