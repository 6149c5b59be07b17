package github_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The gate validates arguments against these schemas before the
// connector sees them: they must accept what the connector accepts and
// refuse what it refuses.
func TestArgsSchemas(t *testing.T) {
	t.Parallel()
	c := connect(t, newFake(t), nil)
	schemas := map[string]*jsonschema.Schema{}
	for _, a := range c.Actions() {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(a.Args))
		if err != nil {
			t.Fatal(err)
		}
		comp := jsonschema.NewCompiler()
		if err := comp.AddResource(a.Name+".json", v); err != nil {
			t.Fatal(err)
		}
		if schemas[a.Name], err = comp.Compile(a.Name + ".json"); err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
	}
	for _, tc := range []struct {
		action, args string
		ok           bool
	}{
		{"create_branch", `{"branch": "agent/x"}`, true},
		{"create_branch", `{"branch": "agent/x", "from": "0123456789abcdef0123456789abcdef01234567"}`, true},
		{"create_branch", `{"branch": "agent x"}`, false},
		{"create_branch", `{"branch": "a:b"}`, false},
		{"create_branch", `{"branch": "x", "force": true}`, false},
		{"push_commit", `{"branch": "b", "message": "m", "files": [{"path": "a", "content": "x"}, {"path": "b", "content_base64": "eA=="}, {"path": "c", "delete": true}, {"path": "d", "content": "", "delete": false}]}`, true},
		{"push_commit", `{"branch": "b", "message": "m", "files": [{"path": "a", "content": "x", "delete": true}]}`, false},
		{"push_commit", `{"branch": "b", "message": "m", "files": [{"path": "a", "content": "x", "content_base64": "eA=="}]}`, false},
		{"push_commit", `{"branch": "b", "message": "m", "files": [{"path": "a"}]}`, false},
		{"push_commit", `{"branch": "b", "message": "m", "files": [{"path": "a", "content_base64": "not base64!"}]}`, false},
		{"push_commit", `{"branch": "b", "message": "m", "files": []}`, false},
		{"push_commit", `{"branch": "b", "message": "", "files": [{"path": "a", "content": ""}]}`, false},
		{"create_pr", `{"head": "octo-org:agent/x", "base": "main", "title": "t", "body": "b", "draft": true}`, true},
		{"create_pr", `{"head": "a:b:c", "base": "main", "title": "t"}`, false},
		{"create_pr", `{"head": "agent/x", "base": "main"}`, false},
		{"merge_pr", `{"number": 3, "base": "main", "method": "squash"}`, true},
		{"merge_pr", `{"number": 0}`, false},
		{"merge_pr", `{"number": 3, "method": "fast-forward"}`, false},
		{"delete_branch", `{"branch": "agent/x"}`, true},
		{"create_issue", `{"title": "t", "labels": ["bug", "p1"]}`, true},
		{"create_issue", `{"title": "t", "labels": ["bug", "bug"]}`, false},
		{"create_issue", `{"title": ""}`, false},
		{"get_branch", `{"branch": "main"}`, true},
		{"list_pulls", `{}`, true},
		{"list_pulls", `{"head": "agent/x", "base": "main", "state": "all", "limit": 1000}`, true},
		{"list_pulls", `{"state": "merged"}`, false},
		{"list_pulls", `{"limit": 1001}`, false},
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.args), &v); err != nil {
			t.Fatal(err)
		}
		err := schemas[tc.action].Validate(v)
		if (err == nil) != tc.ok {
			t.Errorf("%s %s: schema error %v, want ok=%v", tc.action, tc.args, err, tc.ok)
		}
	}
}
