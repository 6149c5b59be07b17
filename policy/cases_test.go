package policy_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enact-run/enact/policy"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden decisions in testdata/cases/*.golden.json")

// conformance is one cases file with the policy beside it.
type conformance struct {
	name   string // base name: testdata/cases/<name>.{policy,cases}.yaml
	policy *policy.Policy
	cases  []byte
}

func loadConformance(t testing.TB) []conformance {
	t.Helper()
	files, err := filepath.Glob("testdata/cases/*.cases.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance cases: %v", err)
	}
	var out []conformance
	for _, f := range files {
		base := strings.TrimSuffix(f, ".cases.yaml")
		src, err := os.ReadFile(base + ".policy.yaml")
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.Load(src, filepath.Base(base)+".policy.yaml")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		cases, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, conformance{name: filepath.Base(base), policy: p, cases: cases})
	}
	return out
}

type goldenCase struct {
	Name     string          `json:"name"`
	Decision policy.Decision `json:"decision"`
}

// TestConformance runs every testdata/cases/*.cases.yaml against the policy
// beside it, and compares the full decisions (reasons included) with the
// golden file.
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, c := range loadConformance(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			report, err := policy.RunCases(c.policy, c.cases, c.name+".cases.yaml")
			if err != nil {
				t.Fatalf("RunCases: %v", err)
			}
			if !report.OK() {
				t.Errorf("cases failed:\n%s", report)
			}
			var golden []goldenCase
			for _, r := range report.Cases {
				golden = append(golden, goldenCase{Name: r.Name, Decision: r.Decision})
			}
			got, err := json.MarshalIndent(golden, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "cases", c.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./policy -run TestConformance -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decisions differ from %s (-want +got); if the change is intended, run go test ./policy -run TestConformance -update\n%s",
					path, cmp.Diff(string(want), string(got)))
			}
		})
	}
}

func TestRunCasesReportsMismatches(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, "version: 1\nallow: [github.*]\npolicies:\n  - use: no_push_to_main\n")
	cases := `- name: wrong decision
  input:
    action: {id: github.push_commit, args: {branch: main}}
  expect:
    allowed: true
    results:
      - {policy: no_push_to_main, passed: true}
      - {policy: max_files_per_commit, passed: true}
- name: wrong reason
  input:
    action: {id: github.push_commit, args: {branch: agent/x}}
  expect:
    allowed: true
    results:
      - {policy: allowlist, passed: true, reason: nope}
- name: right
  input: {}
  expect: {allowed: true}
`
	report, err := policy.RunCases(p, []byte(cases), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := `FAIL c.yaml:1: wrong decision
    allowed: want true, got false
      no_push_to_main failed: github.push_commit writes to protected branch main (args.branch = "main")
    no_push_to_main: want passed=true, got passed=false (github.push_commit writes to protected branch main (args.branch = "main"))
    max_files_per_commit: want passed=true, but it was not evaluated
FAIL c.yaml:9: wrong reason
    allowlist: reason:
      want "nope"
      got  "github.push_commit is allowed by \"github.*\""
PASS c.yaml:16: right
3 cases: 1 passed, 2 failed
`
	if diff := cmp.Diff(want, report.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if report.OK() || report.Failed() != 2 {
		t.Errorf("OK = %t, Failed = %d", report.OK(), report.Failed())
	}
}

func TestRunCasesFileErrors(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, "version: 1\n")
	tests := []struct{ name, src, want string }{
		{"not a list", "name: x\n", "c.yaml:1: the cases file must be a list, not a mapping"},
		{"empty list", "[]\n", "c.yaml:1: the cases file has no cases"},
		{"unknown field", "- name: a\n  input: {}\n  expect: {allowed: true}\n  expected: {}\n",
			"c.yaml:4: cases[0]: unknown field \"expected\" (known fields: name, input, expect)"},
		{"bad time", "- name: a\n  input: {time: yesterday}\n  expect: {allowed: true}\n", "c.yaml:2: case \"a\".input.time: \"yesterday\" is not an RFC 3339 instant"},
		{"no allowed", "- name: a\n  input: {}\n  expect: {results: []}\n", "c.yaml:3: case \"a\".expect: allowed is required"},
		{"action without id", "- name: a\n  input: {action: {args: {}}}\n  expect: {allowed: true}\n", "c.yaml:2: case \"a\".input.action: id is required"},
		{"args not a mapping", "- name: a\n  input: {action: {id: x.y, args: [1]}}\n  expect: {allowed: true}\n",
			"c.yaml:2: case \"a\".input.action.args must be a mapping, not a list"},
		{"duplicate", "- name: a\n  input: {}\n  expect: {allowed: true}\n- name: a\n  input: {}\n  expect: {allowed: true}\n",
			"c.yaml:4: case \"a\": the name is already used at line 1"},
		{"non-finite", "- name: a\n  input: {inputs: {x: .nan}}\n  expect: {allowed: true}\n", "c.yaml:2: case \"a\".input.inputs.x: .nan is not a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := policy.RunCases(p, []byte(tt.src), "c.yaml")
			if err == nil {
				t.Fatal("RunCases succeeded")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
