package runtime

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
)

func TestOrderedJSON(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"b": 1, "a": {"z": [ {"y": 1, "x": 2}, 3 ], "c": null}, "b": 2, "é": "\u00e9"}`)
	var vars map[string]any
	if err := json.Unmarshal(raw, &vars); err != nil {
		t.Fatal(err)
	}
	vars["added"] = "<default>"
	vars["0"] = 0.5
	for _, tc := range []struct {
		name  string
		order *KeyOrder
		want  string
	}{
		{"the caller's order, then the rest sorted", KeyOrderOf(raw), `{"b":2,"a":{"z":[{"y":1,"x":2},3],"c":null},"é":"é","0":0.5,"added":"<default>"}`},
		{"no order: sorted", nil, `{"0":0.5,"a":{"c":null,"z":[{"x":2,"y":1},3]},"added":"<default>","b":2,"é":"é"}`},
		{"invalid text: sorted", KeyOrderOf([]byte(`{"b":`)), `{"0":0.5,"a":{"c":null,"z":[{"x":2,"y":1},3]},"added":"<default>","b":2,"é":"é"}`},
	} {
		got, err := orderedJSON(vars, tc.order)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		// Both languages' programs carry exactly this text: JavaScript's
		// as a literal, Python's as the request's inputs string.
		js, _ := javascriptProgram("return 1", vars, tc.order, nil, "")
		py, _ := pythonProgram(pythonTestPlugin(t), vars, tc.order, nil)
		var req pythonRequest
		if err := json.Unmarshal([]byte(py), &req); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(js, tc.want) || req.Inputs != tc.want {
			t.Errorf("%s: a program does not carry the ordered inputs", tc.name)
		}
	}
}

// pythonTestPlugin builds the plugin of a one-line Python task.
func pythonTestPlugin(t *testing.T) *plugins.Plugin {
	t.Helper()
	c, err := capabilities.Load([]byte("enact: 1.0.0\nid: K\ndescription: d\ntasks:\n  - {id: k, type: script, language: python, code: return 1}\n"), "k.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := plugins.Build(c)
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}
