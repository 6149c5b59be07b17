package capabilities_test

import (
	"testing"

	"github.com/enact-run/enact/capabilities"
)

func TestTaskCodePosition(t *testing.T) {
	t.Parallel()
	doc := `enact: 1.0.0
id: Pos
description: where each task's code starts
tasks:
  - id: block
    type: script
    language: js
    code: |

        return {};
  - id: quoted
    type: script
    language: js
    code: "return {};"
  - id: plain
    type: script
    language: js
    code: return {};
`
	c, err := capabilities.Load([]byte(doc), "pos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{9, 9}, {14, 12}, {18, 11}}
	for i, task := range c.Tasks {
		if got := [2]int{task.CodeLine, task.CodeColumn}; got != want[i] {
			t.Errorf("task %s: code at %v, want %v", task.ID, got, want[i])
		}
	}
}
