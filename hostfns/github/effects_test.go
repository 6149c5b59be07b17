package github_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/github/githubfake"
)

// seedTree gives branch agent/x the files every effect test starts from:
// README.md and four files under src/, two of them in src/sub/.
func seedTree(t *testing.T, f *githubfake.Fake) {
	t.Helper()
	if _, err := f.Push("agent/x", "seed", map[string]string{
		"README.md": "hello\n", "src/a.go": "package a\n", "src/b.go": "package b\n",
		"src/sub/c.go": "package sub\n", "src/sub/d.go": "package sub // d\n",
	}); err != nil {
		t.Fatal(err)
	}
}

type changes struct {
	Count, Added, Modified, Deleted, Entries int
	Head                                     string
	Changes                                  []struct{ Path, Change string }
}

func listChanges(t *testing.T, c hostfns.Connector, files string) changes {
	t.Helper()
	out, err := c.Call(t.Context(), "list_changes", json.RawMessage(`{"branch": "agent/x", "files": `+files+`}`), hostfns.CallOptions{})
	if err != nil {
		t.Fatalf("list_changes %s: %v", files, err)
	}
	var ch changes
	if err := json.Unmarshal(out.Result, &ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

// paths lists the changes as "change path" lines.
func (ch changes) paths() string {
	var out []string
	for _, c := range ch.Changes {
		out = append(out, c.Change+" "+c.Path)
	}
	return strings.Join(out, ", ")
}

// TestHostileEffectsCommitCountsFilesNotEntries measures pushes whose
// entries understate what they change, then makes each push on the fake
// and checks that the measure matched what the tree lost and gained.
func TestHostileEffectsCommitCountsFilesNotEntries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, files string
		count       int
		want        string // the changes, as listed
		gone, there []string
	}{
		{"directory delete", `[{"path": "src", "delete": true}]`, 4,
			"deleted src/a.go, deleted src/b.go, deleted src/sub/c.go, deleted src/sub/d.go",
			[]string{"src/a.go", "src/b.go", "src/sub/c.go", "src/sub/d.go"}, []string{"README.md"}},
		{"rename of a directory", `[{"path": "src", "delete": true}, {"path": "lib/a.go", "content": "package a\n"}, {"path": "lib/b.go", "content": "package b\n"}]`, 6,
			"added lib/a.go, added lib/b.go, deleted src/a.go, deleted src/b.go, deleted src/sub/c.go, deleted src/sub/d.go",
			[]string{"src/a.go", "src/sub/d.go"}, []string{"lib/a.go", "lib/b.go", "README.md"}},
		{"nested deletes overlapping", `[{"path": "src/sub", "delete": true}, {"path": "src", "delete": true}, {"path": "src/sub/c.go", "delete": true}, {"path": "src/a.go", "delete": true}]`, 4,
			"deleted src/a.go, deleted src/b.go, deleted src/sub/c.go, deleted src/sub/d.go",
			[]string{"src/a.go", "src/b.go", "src/sub/c.go", "src/sub/d.go"}, []string{"README.md"}},
		{"a file written over a directory", `[{"path": "src", "content": "not a directory\n"}]`, 5,
			"added src, deleted src/a.go, deleted src/b.go, deleted src/sub/c.go, deleted src/sub/d.go",
			[]string{"src/a.go", "src/sub/c.go"}, []string{"src", "README.md"}},
		{"a file written through a file", `[{"path": "README.md/x", "content": "x\n"}]`, 2,
			"deleted README.md, added README.md/x",
			[]string{"README.md"}, []string{"README.md/x", "src/a.go"}},
		{"rewrites that change nothing", `[{"path": "README.md", "content": "hello\n"}, {"path": "src/a.go", "content": "package a\n"}, {"path": "src/b.go", "content": "package b, changed\n"}]`, 1,
			"modified src/b.go", nil, []string{"README.md", "src/b.go"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			seedTree(t, f)
			c := connect(t, f, nil)
			ch := listChanges(t, c, tc.files)
			if ch.Count != tc.count || ch.paths() != tc.want || ch.Added+ch.Modified+ch.Deleted != ch.Count {
				t.Fatalf("list_changes = %d (%s), want %d (%s)", ch.Count, ch.paths(), tc.count, tc.want)
			}
			head, _ := f.Branch("agent/x")
			if ch.Head != head {
				t.Errorf("measured against %s, want the head %s", ch.Head, head)
			}
			// The push does what was measured.
			must(t, c, "push_commit", `{"branch": "agent/x", "message": "effect", "files": `+tc.files+`}`, "k-"+tc.name)
			for _, p := range tc.gone {
				if _, ok := f.File("agent/x", p); ok {
					t.Errorf("%s is still on the branch", p)
				}
			}
			for _, p := range tc.there {
				if _, ok := f.File("agent/x", p); !ok {
					t.Errorf("%s is not on the branch", p)
				}
			}
			// Measured again on the new head, the same push changes nothing.
			if again := listChanges(t, c, tc.files); again.Count != 0 {
				t.Errorf("after the push, list_changes = %d (%s), want 0", again.Count, again.paths())
			}
		})
	}
}

// TestHostileEffectsAmbiguousEntriesRefused: a write inside a deleted
// directory, or a path inside a written one, has no documented order on
// GitHub; both the measure and the push refuse it, and nothing changes.
func TestHostileEffectsAmbiguousEntriesRefused(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	seedTree(t, f)
	c := connect(t, f, nil)
	head, _ := f.Branch("agent/x")
	for _, files := range []string{
		`[{"path": "src", "delete": true}, {"path": "src/new.go", "content": "x"}]`,
		`[{"path": "src/new.go", "content": "x"}, {"path": "src", "delete": true}]`,
		`[{"path": "docs", "content": "x"}, {"path": "docs/a.md", "content": "y"}]`,
		`[{"path": "src/sub", "content": "x"}, {"path": "src/sub/c.go", "delete": true}]`,
	} {
		_, _, err := call(t, c, "list_changes", `{"branch": "agent/x", "files": `+files+`}`, "")
		wantCode(t, err, hostfns.CodeInvalidArgs)
		_, _, err = call(t, c, "push_commit", `{"branch": "agent/x", "message": "m", "files": `+files+`}`, "")
		wantCode(t, err, hostfns.CodeInvalidArgs)
	}
	if now, _ := f.Branch("agent/x"); now != head {
		t.Errorf("the branch moved from %s to %s", head, now)
	}
}

// TestHostileEffectsTruncatedTree: when GitHub truncates the recursive
// listing the measure reads the named paths and directories one by one;
// when a named directory is itself too large to list, the measure fails
// rather than undercount.
func TestHostileEffectsTruncatedTree(t *testing.T) {
	t.Parallel()
	// The root listed recursively has 7 entries, src's subtree 5.
	for _, tc := range []struct {
		limit int
		ok    bool
	}{{5, true}, {4, false}} {
		f := githubfake.New(githubfake.Config{TreeLimit: tc.limit})
		t.Cleanup(f.Close)
		seedTree(t, f)
		c := connect(t, f, nil)
		files := `[{"path": "src", "delete": true}, {"path": "README.md/x", "content": "x"}]`
		out, _, err := call(t, c, "list_changes", `{"branch": "agent/x", "files": `+files+`}`, "")
		if !tc.ok {
			wantCode(t, err, hostfns.CodeConnectorError)
			if !strings.Contains(err.Error(), "directory src has too many entries") {
				t.Errorf("limit %d: error %v does not name the directory", tc.limit, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("limit %d: %v", tc.limit, err)
		}
		if n, _ := out["count"].(float64); n != 6 {
			t.Errorf("limit %d: count %v, want 6 (4 under src, README.md, README.md/x)", tc.limit, out["count"])
		}
	}
}

// TestHostileEffectsMissingBranch: a branch that does not exist yet is
// measured against the default branch it would start from, not counted
// as an empty change.
func TestHostileEffectsMissingBranch(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	if _, err := f.Push("main", "seed", map[string]string{"src/a.go": "a", "src/b.go": "b"}); err != nil {
		t.Fatal(err)
	}
	c := connect(t, f, nil)
	out, _ := must(t, c, "list_changes", `{"branch": "agent/none", "files": [{"path": "src", "delete": true}]}`, "")
	head, _ := f.Branch("main")
	if out["count"] != 2.0 || out["measured"] != "main" || out["head"] != head {
		t.Errorf("list_changes = %v, want 2 files measured on main at %s", out, head)
	}
}
