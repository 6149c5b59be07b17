package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/runtime"
)

// fanOutSchema is an outputs or inputs schema without recursion (so it
// loads) whose validation of member tree doubles at each of its levels:
// both branches of every anyOf descend into member c before failing.
func fanOutSchema(levels int) string {
	var defs []string
	for i := range levels {
		next := fmt.Sprintf(`{"$ref": "#/$defs/l%d"}`, i+1)
		defs = append(defs, fmt.Sprintf(`"l%d": {"anyOf": [{"type": "object", "properties": {"c": %s}, "not": {"required": ["c"]}}, {"type": "object", "properties": {"c": %s}, "not": {"type": "object"}}]}`, i, next, next))
	}
	defs = append(defs, fmt.Sprintf(`"l%d": {"type": "number"}`, levels))
	return `{"$defs": {` + strings.Join(defs, ", ") + `}, "type": "object", "properties": {"tree": {"$ref": "#/$defs/l0"}, "xs": {"type": "array"}}}`
}

// costlyOutputs is a capability whose outputs take the validator far
// longer than timeout: a 40-deep tree under fanOutSchema(40), and a
// million numbers, which raise the step limit (it grows with the value)
// far beyond what the deadline allows.
func costlyOutputs(timeout string) string {
	return scriptDoc("javascript", `let tree = 1;
for (let j = 0; j < 40; j++) tree = {c: tree};
return {tree, xs: new Array(300000).fill(1)};`,
		"outputs: "+fanOutSchema(40)+"\nenv:\n  resources:\n    timeout: "+timeout+"\n")
}

// TestHostileTimeOutputValidationEndsAtTheDeadline: validating outputs
// against a costly schema happens within the run's deadline, and a run
// whose validation it cuts off ends as timeout.
func TestHostileTimeOutputValidationEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	c := load(t, costlyOutputs("2s"))
	start := time.Now()
	_, err := run(t, c, nil)
	re := wantCode(t, err, runtime.CodeTimeout)
	t.Logf("ended after %v: %v", time.Since(start), re)
	stillWorks(t)
}

// TestHostileTimeCancelEndsTheRun: cancelling a run's context ends it as
// cancelled rather than at its 30 s deadline or the validation
// step limit, whether the guest is looping or the host is validating its
// outputs.
func TestHostileTimeCancelEndsTheRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, doc string }{
		{"guest loop", scriptDoc("javascript", "for (;;) {}", "env:\n  resources:\n    timeout: 30s\n")},
		{"output validation", costlyOutputs("30s")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := load(t, tc.doc)
			// Compiling the interpreter comes before the run's deadline
			// and is slow under -race: do it first.
			mustRun(t, load(t, scriptDoc("javascript", "return {}", "")), nil)
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(3*time.Second, cancel)
			start := time.Now()
			_, err := engine(t).Run(ctx, c, nil)
			re := wantCode(t, err, runtime.CodeCancelled)
			d := time.Since(start)
			t.Logf("ended %v after the start: %v", d, re)
			if !strings.Contains(re.Message, "cancelled") {
				t.Errorf("after %v: %v, want a cancelled run", d, re)
			}
			if d >= 2*time.Minute {
				t.Errorf("the run took %v to end after the cancel", d) // a hang guard, not a speed assertion
			}
		})
	}
}

// TestHostileTimeCostlyInputsEndAtTheStepLimit: an API caller's inputs
// against a costly inputs schema cost the host a bounded effort, and the
// refusal names the limit.
func TestHostileTimeCostlyInputsEndAtTheStepLimit(t *testing.T) {
	t.Parallel()
	c := load(t, scriptDoc("python", "return {}", "inputs: "+fanOutSchema(30)+"\n"))
	var v any = 1.0
	for range 30 {
		v = map[string]any{"c": v}
	}
	start := time.Now()
	_, err := run(t, c, map[string]any{"tree": v})
	re := wantCode(t, err, runtime.CodeInvalidInput)
	t.Logf("refused after %v: %v", time.Since(start), re)
	if !strings.Contains(re.Message, "BaseValidationSteps") {
		t.Errorf("message %q does not name the limit", re.Message)
	}
}
