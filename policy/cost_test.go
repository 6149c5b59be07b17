package policy_test

import (
	"strings"
	"testing"

	"github.com/enact-run/enact/policy"
)

// TestHostileTimeCELCost: a rule whose effort explodes on the arguments a
// guest chooses stops at MaxRuleCost and fails closed, so the action is
// refused.
func TestHostileTimeCELCost(t *testing.T) {
	t.Parallel()
	xs := make([]any, 2000)
	for i := range xs {
		xs[i] = float64(i)
	}
	args := map[string]any{"xs": xs, "s": strings.Repeat("a", 3000)}
	for _, expr := range []string{
		"action.args.xs.all(a, action.args.xs.all(b, action.args.xs.all(c, a + b + c >= 0)))",
		"action.args.s.replace('a', action.args.s).replace('a', action.args.s).size() == 0",
		"action.args.s.split('').map(x, action.args.s.split('')).size() == 0",
		"action.args.xs.map(a, action.args.xs.filter(b, b > a)).exists(l, size(l) < 0)",
	} {
		r := ruleResult(t, expr, policy.Input{Action: act("x.y", args)})
		if r.Passed || !strings.Contains(r.Reason, "cost limit") || !strings.Contains(r.Reason, "failing closed") {
			t.Errorf("%s: %+v, want a failure at the cost limit", expr, r)
		}
	}
}
