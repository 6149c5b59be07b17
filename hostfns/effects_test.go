package hostfns_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/github"
	"github.com/enact-run/enact/hostfns/github/githubfake"
	"github.com/enact-run/enact/hostfns/hubspot"
	"github.com/enact-run/enact/hostfns/hubspot/hubspotfake"
	"github.com/enact-run/enact/internal/teststate"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// effectsPolicy judges GitHub and HubSpot actions by their effects.
const effectsPolicy = `version: 1
actors:
  - email: agent@acme.com
    roles: [agent]
  - email: bob@agency.example
    roles: [contractor]
allow: [github.*, hubspot.*]
policies:
  - use: no_push_to_main
  - use: max_files_per_commit
    with: {n: 3}
  - use: no_duplicate_contacts
  - use: contractor_cannot_write_pii
`

// effects is a gate in front of a fake GitHub repository and a fake
// HubSpot account.
type effects struct {
	gate *hostfns.Gate
	st   *teststate.State
	gh   *githubfake.Fake
	hs   *hubspotfake.Fake
}

func newEffects(t *testing.T, ghCfg githubfake.Config) *effects {
	t.Helper()
	p, err := policy.Load([]byte(effectsPolicy), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := &effects{st: teststate.New(t), gh: githubfake.New(ghCfg), hs: hubspotfake.New(hubspotfake.Config{})}
	t.Cleanup(e.gh.Close)
	t.Cleanup(e.hs.Close)
	gc, err := github.New(github.Config{Token: e.gh.Token(), Owner: e.gh.Owner(), Repo: e.gh.Repo(), BaseURL: e.gh.URL()})
	if err != nil {
		t.Fatal(err)
	}
	hc, err := hubspot.New(hubspot.Config{Token: e.hs.Token(), BaseURL: e.hs.URL(), HTTPClient: e.hs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	e.gate, err = hostfns.New(hostfns.Config{Policy: p, Connectors: []hostfns.Connector{gc, hc}, Store: e.st.Store,
		Clock: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.gh.Push("agent/x", "seed", map[string]string{
		"README.md": "hello\n", "src/a.go": "package a\n", "src/b.go": "package b\n",
		"src/sub/c.go": "package sub\n", "src/sub/d.go": "package sub // d\n",
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// run makes each request in one run as actor and returns the replies and
// the run's verified receipt.
func (e *effects) run(t *testing.T, actor string, requests ...string) ([]hostfns.Reply, *receipts.Receipt) {
	t.Helper()
	ctx := context.Background()
	run, err := e.gate.Begin(hostfns.RunInfo{
		Capability: capability(t, "x-enact:\n  actions: [github.push_commit, github.create_branch, github.delete_branch, github.create_pr, github.merge_pr, hubspot.create_contact, hubspot.create_task, hubspot.create_deal]\n"),
		Actor:      policy.Actor{Email: actor},
	})
	if err != nil || run.Blocked() {
		t.Fatalf("Begin: %v %+v", err, run.PolicyResults())
	}
	var replies []hostfns.Reply
	for _, req := range requests {
		replies = append(replies, reply(t, run.Handle(ctx, []byte(req))))
	}
	env, err := run.Finish(ctx, hostfns.RunOutcome{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := receipts.Open(mustJSON(t, env), e.st.Keys.Verifiers())
	if err != nil {
		t.Fatalf("the receipt does not verify: %v", err)
	}
	return replies, got
}

// result is the named policy's result in a receipt's action.
func result(a receipts.Action, name string) receipts.PolicyResult {
	for _, r := range a.PolicyResults {
		if r.Policy == name {
			return r
		}
	}
	return receipts.PolicyResult{Policy: name, Reason: "(not evaluated)"}
}

func push(files string) string {
	return `{"action": "github.push_commit", "args": {"branch": "agent/x", "message": "m", "files": ` + files + `}}`
}

// TestHostileEffectsGateCommitFiles: pushes whose one or two entries
// change more than three files are denied on the measured count, which
// the receipt records, and the branch does not move; a push whose four
// entries change one file passes.
func TestHostileEffectsGateCommitFiles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, files string
		count       float64
		allowed     bool
	}{
		{"directory delete", `[{"path": "src", "delete": true}]`, 4, false},
		{"rename of a directory", `[{"path": "src", "delete": true}, {"path": "lib/all.go", "content": "package lib\n"}]`, 5, false},
		{"nested deletes overlapping", `[{"path": "src/sub", "delete": true}, {"path": "src", "delete": true}]`, 4, false},
		{"file over a directory", `[{"path": "src", "content": "x"}]`, 5, false},
		{"four entries, one change", `[{"path": "README.md", "content": "hello\n"}, {"path": "src/a.go", "content": "package a\n"}, {"path": "src/b.go", "content": "package b\n"}, {"path": "src/sub/c.go", "content": "package c\n"}]`, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEffects(t, githubfake.Config{})
			before, _ := e.gh.Branch("agent/x")
			replies, rc := e.run(t, "agent@acme.com", push(tc.files))
			if replies[0].OK != tc.allowed {
				t.Fatalf("reply %+v %+v, want ok=%v", replies[0], replies[0].Error, tc.allowed)
			}
			a := rc.Actions[0]
			fact, _ := a.Facts["github.commit_changes"].(map[string]any)
			if fact["count"] != tc.count || fact["head"] != before {
				t.Errorf("receipt fact %v, want count %v against %s", a.Facts["github.commit_changes"], tc.count, before)
			}
			r := result(a, "max_files_per_commit")
			if r.Passed != tc.allowed || !strings.Contains(r.Reason, "The commit changes ") {
				t.Errorf("receipt result %+v", r)
			}
			after, _ := e.gh.Branch("agent/x")
			if moved := after != before; moved != tc.allowed {
				t.Errorf("branch moved = %v, want %v", moved, tc.allowed)
			}
			if !tc.allowed {
				if _, ok := e.gh.File("agent/x", "src/sub/d.go"); !ok {
					t.Error("a denied push deleted src/sub/d.go")
				}
			}
		})
	}
}

// TestHostileEffectsGateFailsClosed: when the connector cannot measure
// the commit (a directory too large for GitHub to list, entries with no
// one meaning), the policy denies with a reason saying so and nothing is
// pushed; a push to a branch that does not exist yet is measured against
// the default branch it would start from.
func TestHostileEffectsGateFailsClosed(t *testing.T) {
	t.Parallel()
	e := newEffects(t, githubfake.Config{TreeLimit: 4})
	before, _ := e.gh.Branch("agent/x")
	replies, rc := e.run(t, "agent@acme.com", push(`[{"path": "src", "delete": true}]`),
		push(`[{"path": "src", "delete": true}, {"path": "src/a.go", "content": "x"}]`),
		`{"action": "github.push_commit", "args": {"branch": "agent/none", "message": "m", "files": [{"path": "a", "content": "a"}]}}`)
	for i := range 2 {
		if r := replies[i]; r.OK || r.Error.Code != hostfns.CodeDenied {
			t.Errorf("request %d: reply %+v, want denied", i, r)
		}
		if r := result(rc.Actions[i], "max_files_per_commit"); r.Passed || !strings.Contains(r.Reason, "could not be measured against the branch's head tree") {
			t.Errorf("request %d: %+v", i, r)
		}
		if _, has := rc.Actions[i].Facts["github.commit_changes"]; has {
			t.Errorf("request %d: a failed measure was recorded as a fact: %v", i, rc.Actions[i].Facts)
		}
	}
	fact, _ := rc.Actions[2].Facts["github.commit_changes"].(map[string]any)
	if r := replies[2]; r.OK || r.Error.Code != hostfns.CodeNotFound || fact["measured"] != "main" || fact["count"] != 1.0 {
		t.Errorf("push to a missing branch: reply %+v, fact %v", r.Error, fact)
	}
	if after, _ := e.gh.Branch("agent/x"); after != before {
		t.Error("the branch moved")
	}
}

// TestHostileEffectsGateBranchSpellings: every spelling of main is main,
// and a merge whose base argument names another branch than the pull
// request's is refused by the connector: the merge into main never
// happens.
func TestHostileEffectsGateBranchSpellings(t *testing.T) {
	t.Parallel()
	e := newEffects(t, githubfake.Config{})
	mainBefore, _ := e.gh.Branch("main")
	spellings := []string{"refs/heads/main", "heads/main", "Main", "refs/heads/MAIN", "main/", "heads/main/"}
	var reqs []string
	for _, s := range spellings {
		reqs = append(reqs, `{"action": "github.push_commit", "args": {"branch": "`+s+`", "message": "m", "files": [{"path": "x", "content": "x"}]}}`,
			`{"action": "github.delete_branch", "args": {"branch": "`+s+`"}}`)
	}
	n, err := e.gh.OpenPullRequest("agent/x", "main", "into main")
	if err != nil {
		t.Fatal(err)
	}
	reqs = append(reqs, `{"action": "github.merge_pr", "args": {"number": `+jsonNumber(n)+`, "base": "agent/elsewhere"}}`)
	replies, rc := e.run(t, "agent@acme.com", reqs...)
	for i := range spellings {
		for j := 0; j < 2; j++ {
			k := 2*i + j
			r := result(rc.Actions[k], "no_push_to_main")
			if replies[k].OK || r.Passed {
				t.Errorf("%s %q: reply ok=%v, no_push_to_main %+v", rc.Actions[k].Action, spellings[i], replies[k].OK, r)
			}
		}
	}
	last := replies[len(replies)-1]
	if last.OK || last.Error.Code != hostfns.CodeConflict {
		t.Errorf("merge with a spoofed base: %+v %+v, want conflict", last, last.Error)
	}
	if after, _ := e.gh.Branch("main"); after != mainBefore {
		t.Error("main moved")
	}
	if e.gh.PullRequests()[0].State != "open" {
		t.Errorf("the pull request is %s", e.gh.PullRequests()[0].State)
	}
}

func jsonNumber(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestHostileEffectsGateContactSpellings: spellings of an existing
// contact's email (case, white space, a +tag, a trailing dot) are
// duplicates; the receipt records the lookups; HubSpot keeps one contact.
func TestHostileEffectsGateContactSpellings(t *testing.T) {
	t.Parallel()
	e := newEffects(t, githubfake.Config{})
	if _, err := e.hs.Add("contacts", map[string]string{"email": "jane@acme.com"}, nil); err != nil {
		t.Fatal(err)
	}
	spellings := []string{"Jane@Acme.com", "  JANE@ACME.COM  ", "jane+promo@acme.com", "Jane+x@Acme.com.", `jane@acme.com`}
	var reqs []string
	for _, s := range spellings {
		reqs = append(reqs, `{"action": "hubspot.create_contact", "args": {"email": "`+s+`"}}`)
	}
	reqs = append(reqs, `{"action": "hubspot.create_contact", "args": {"properties": {"email": "Jane+y@ACME.com"}}}`)
	replies, rc := e.run(t, "agent@acme.com", reqs...)
	for i, r := range replies {
		p := result(rc.Actions[i], "no_duplicate_contacts")
		if r.OK || p.Passed || !strings.Contains(p.Reason, "Contact jane@acme.com already exists") {
			t.Errorf("request %d: reply ok=%v, %+v", i, r.OK, p)
		}
	}
	if f := rc.Actions[2].Facts; f["hubspot.contact"] == nil || f["hubspot.contact_mailbox"] == nil {
		t.Errorf("receipt facts for a +tag spelling: %v", f)
	}
	if got := e.hs.Contacts(); len(got) != 1 {
		t.Errorf("HubSpot has %d contacts, want 1", len(got))
	}
}

// TestHostileEffectsGatePIISpellings: personal data under other
// spellings, as a name/value pair, or as a value under an innocent key is
// refused to a contractor; nothing reaches HubSpot.
func TestHostileEffectsGatePIISpellings(t *testing.T) {
	t.Parallel()
	e := newEffects(t, githubfake.Config{})
	reqs := []string{
		`{"action": "hubspot.create_contact", "args": {"email": "new@acme.com", "properties": {"work_email": "w@acme.com"}}}`,
		`{"action": "hubspot.create_deal", "args": {"dealname": "D", "properties": {"hs_whatsapp_phone_number": "+15550100"}}}`,
		`{"action": "hubspot.create_deal", "args": {"dealname": "D", "properties": {"description": "owner: Jane.Doe@Example.org"}}}`,
		`{"action": "hubspot.create_task", "args": {"subject": "Call", "body": "ring jane+x@acme.com"}}`,
	}
	replies, rc := e.run(t, "bob@agency.example", reqs...)
	for i, r := range replies {
		p := result(rc.Actions[i], "contractor_cannot_write_pii")
		if r.OK || p.Passed {
			t.Errorf("request %d: reply ok=%v, %+v", i, r.OK, p)
		}
	}
	if n := len(e.hs.Contacts()) + len(e.hs.Deals()) + len(e.hs.Tasks()); n != 0 {
		t.Errorf("%d records reached HubSpot", n)
	}
}
