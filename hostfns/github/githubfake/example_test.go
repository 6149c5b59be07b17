package githubfake_test

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/enact-run/enact/hostfns/github/githubfake"
)

// A go-github client talks to the fake as to GitHub; the inspection
// methods show what it did.
func Example() {
	fake := githubfake.New(githubfake.Config{Owner: "acme", Repo: "widgets"})
	defer fake.Close()
	client := github.NewClient(nil).WithAuthToken(fake.Token())
	client.BaseURL, _ = client.BaseURL.Parse(fake.URL())

	ctx := context.Background()
	issue, _, err := client.Issues.Create(ctx, "acme", "widgets", &github.IssueRequest{Title: github.String("Widgets wobble")})
	if err != nil {
		panic(err)
	}
	_, _, err = client.PullRequests.Create(ctx, "acme", "widgets", &github.NewPullRequest{
		Title: github.String("Fix"), Head: github.String("no-such-branch"), Base: github.String("main"),
	})
	fmt.Println("issue", issue.GetNumber(), "—", err.(*github.ErrorResponse).Message)
	fmt.Println(fake.Issues()[0].Title, fake.Branches(), fake.Requests())
	// Output:
	// issue 1 — Validation Failed
	// Widgets wobble [main] 2
}
