package policy_test

import (
	"testing"

	"github.com/enact-run/enact/policy"
)

// caseInputs returns the inputs of a cases file.
func caseInputs(t testing.TB, cases []byte) []policy.Input {
	t.Helper()
	ins, err := policy.CaseInputs(cases, "cases.yaml")
	if err != nil {
		t.Fatalf("cases: %v", err)
	}
	return ins
}
