package policy

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// CaseReport is the outcome of RunCases: one CaseResult per case, in file
// order.
type CaseReport struct {
	// Name is the cases file's name, as given to RunCases.
	Name  string
	Cases []CaseResult
}

// CaseResult is one case: Passed is true when the decision matched every
// expectation; otherwise Diff lists the mismatches, one per line.
type CaseResult struct {
	Name     string
	Line     int
	Passed   bool
	Diff     string
	Decision Decision
}

// OK reports whether every case passed (and there was at least one).
func (r CaseReport) OK() bool {
	return len(r.Cases) > 0 && r.Failed() == 0
}

// Failed counts the cases that did not pass.
func (r CaseReport) Failed() int {
	n := 0
	for _, c := range r.Cases {
		if !c.Passed {
			n++
		}
	}
	return n
}

// String formats the report for a terminal: a PASS or FAIL line per case,
// the diff of each failure indented below it, and a summary line.
func (r CaseReport) String() string {
	var b strings.Builder
	for _, c := range r.Cases {
		status := "PASS"
		if !c.Passed {
			status = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s:%d: %s\n", status, r.Name, c.Line, c.Name)
		if c.Diff != "" {
			for _, l := range strings.Split(c.Diff, "\n") {
				b.WriteString("    " + l + "\n")
			}
		}
	}
	fmt.Fprintf(&b, "%d cases: %d passed, %d failed\n", len(r.Cases), len(r.Cases)-r.Failed(), r.Failed())
	return b.String()
}

// testCase is one decoded case.
type testCase struct {
	name   string
	line   int
	input  Input
	expect expectation
}

type expectation struct {
	allowed bool
	results []expectedResult // nil: not compared
}

type expectedResult struct {
	policy    string
	passed    bool
	reason    string
	hasReason bool
}

// RunCases runs a cases file against a policy: each case's input is decided
// with Decide and compared with its expectation. The error is non-nil only
// when the cases file cannot be read (a *LoadError naming the line, or
// several joined); a mismatch is a failed CaseResult.
//
// A cases file is a YAML list of cases:
//
//	# cases.yaml
//	- name: a push to main is blocked        # required, unique
//	  input:
//	    time: 2026-11-22T10:00:00Z           # RFC 3339; absent = zero time
//	    actor: {email: bot@acme.com, roles: [agent]}
//	    capability: {id: acme/pr, version: 1.0.0, digest: "sha256:..."}
//	    inputs: {repo: acme/app}
//	    action: {id: github.push_commit, args: {branch: main, files: [a.go]}}
//	    # a connector's resolution, when the action has one:
//	    # action: {id: postgres.insert_row, args: {table: audit_log, values: {id: 1}},
//	    #          target: {table: public.audit_log, schema: public, name: audit_log, columns: [id]}}
//	    facts: {hubspot.contact: null}
//	    dry_run: false
//	    secret_vars: {API_KEY: sk-test-1234}   # the run's environment variables (no_secret_in_args)
//	  expect:
//	    allowed: false                       # required
//	    results:                             # optional: compared when given
//	      - {policy: no_push_to_main, passed: false}
//	      - {policy: allowlist, passed: true, reason: github.push_commit is allowed by "github.*"}
//
// Without action the case is a run-level decision. Each expected result
// must match the result of the same policy (reason only when given);
// results the case does not list are not compared.
func RunCases(p *Policy, cases []byte, name string) (CaseReport, error) {
	tcs, err := loadCases(cases, name)
	if err != nil {
		return CaseReport{}, err
	}
	report := CaseReport{Name: name, Cases: make([]CaseResult, 0, len(tcs))}
	for _, tc := range tcs {
		dec := Decide(p, tc.input)
		diff := tc.expect.diff(dec)
		report.Cases = append(report.Cases, CaseResult{Name: tc.name, Line: tc.line, Passed: diff == "", Diff: diff, Decision: dec})
	}
	return report, nil
}

func (e expectation) diff(dec Decision) string {
	var lines []string
	if dec.Allowed != e.allowed {
		lines = append(lines, fmt.Sprintf("allowed: want %t, got %t", e.allowed, dec.Allowed))
		for _, r := range dec.Failed() {
			lines = append(lines, fmt.Sprintf("  %s failed: %s", r.Policy, r.Reason))
		}
	}
	for _, want := range e.results {
		var got *Result
		for i := range dec.Results {
			if dec.Results[i].Policy == want.policy {
				got = &dec.Results[i]
				break
			}
		}
		switch {
		case got == nil:
			lines = append(lines, fmt.Sprintf("%s: want passed=%t, but it was not evaluated", want.policy, want.passed))
		case got.Passed != want.passed:
			lines = append(lines, fmt.Sprintf("%s: want passed=%t, got passed=%t (%s)", want.policy, want.passed, got.Passed, got.Reason))
		case want.hasReason && got.Reason != want.reason:
			lines = append(lines, fmt.Sprintf("%s: reason:\n  want %q\n  got  %q", want.policy, want.reason, got.Reason))
		}
	}
	return strings.Join(lines, "\n")
}

func loadCases(data []byte, name string) ([]testCase, error) {
	root, err := parse(data, name)
	if err != nil {
		return nil, err
	}
	d := &decoder{name: name}
	items, ok := d.list(root, "the cases file")
	if !ok {
		return nil, d.err()
	}
	if len(items) == 0 {
		d.failf(root, "the cases file has no cases")
	}
	seen := map[string]int{}
	var out []testCase
	for i, it := range items {
		tc, ok := d.testCase(it, i)
		if !ok {
			continue
		}
		if line, dup := seen[tc.name]; dup {
			d.failf(it, "case %q: the name is already used at line %d", tc.name, line)
			continue
		}
		seen[tc.name] = tc.line
		out = append(out, tc)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (d *decoder) testCase(n *yaml.Node, i int) (testCase, bool) {
	what := fmt.Sprintf("cases[%d]", i)
	fs, ok := d.fields(n, what, "name", "input", "expect")
	if !ok {
		return testCase{}, false
	}
	tc := testCase{line: n.Line}
	f, has := fs["name"]
	if !has {
		d.failf(n, "%s: name is required", what)
		return tc, false
	}
	if tc.name, ok = d.nonEmpty(f.val, what+".name"); !ok {
		return tc, false
	}
	what = fmt.Sprintf("case %q", tc.name)
	good := true
	if f, has := fs["input"]; !has {
		d.failf(n, "%s: input is required", what)
		good = false
	} else {
		tc.input, ok = d.input(f.val, what+".input")
		good = good && ok
	}
	if f, has := fs["expect"]; !has {
		d.failf(n, "%s: expect is required", what)
		good = false
	} else {
		tc.expect, ok = d.expect(f.val, what+".expect")
		good = good && ok
	}
	return tc, good
}

func (d *decoder) input(n *yaml.Node, what string) (Input, bool) {
	var in Input
	fs, ok := d.fields(n, what, "time", "actor", "capability", "inputs", "action", "facts", "dry_run", "secret_vars")
	if !ok {
		return in, false
	}
	good := true
	if f, has := fs["time"]; has {
		if s, ok := d.str(f.val, what+".time"); ok {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				d.failf(f.val, "%s.time: %q is not an RFC 3339 instant", what, s)
				good = false
			}
			in.Time = t
		} else {
			good = false
		}
	}
	if f, has := fs["actor"]; has {
		afs, ok := d.fields(f.val, what+".actor", "email", "roles")
		good = good && ok
		if f, has := afs["email"]; has {
			in.Actor.Email, ok = d.str(f.val, what+".actor.email")
			good = good && ok
		}
		if f, has := afs["roles"]; has {
			in.Actor.Roles, ok = d.strings(f.val, what+".actor.roles")
			good = good && ok
		}
	}
	if f, has := fs["capability"]; has {
		cfs, ok := d.fields(f.val, what+".capability", "id", "version", "digest")
		good = good && ok
		for _, kv := range []struct {
			key string
			dst *string
		}{{"id", &in.Capability.ID}, {"version", &in.Capability.Version}, {"digest", &in.Capability.Digest}} {
			key, dst := kv.key, kv.dst
			if f, has := cfs[key]; has {
				*dst, ok = d.str(f.val, what+".capability."+key)
				good = good && ok
			}
		}
	}
	obj := func(key string) map[string]any {
		f, has := fs[key]
		if !has {
			return nil
		}
		v, ok := d.value(f.val, what+"."+key)
		m, isMap := v.(map[string]any)
		if ok && !isMap {
			d.failf(f.val, "%s.%s must be a mapping, not %s", what, key, kindName(f.val))
			ok = false
		}
		good = good && ok
		return m
	}
	in.Inputs = obj("inputs")
	in.Facts = obj("facts")
	if f, has := fs["secret_vars"]; has {
		vfs, ok := d.fields(f.val, what+".secret_vars")
		good = good && ok
		in.SecretVars = map[string]string{}
		for name, vf := range vfs {
			v, ok := d.str(vf.val, what+".secret_vars."+name)
			good = good && ok
			in.SecretVars[name] = v
		}
	}
	if af, has := fs["action"]; has {
		afs, ok := d.fields(af.val, what+".action", "id", "args", "target")
		good = good && ok
		in.Action = &Action{}
		if f, has := afs["id"]; has {
			in.Action.ID, ok = d.str(f.val, what+".action.id")
			good = good && ok
		} else if afs != nil {
			d.failf(af.val, "%s.action: id is required", what)
			good = false
		}
		if f, has := afs["args"]; has {
			v, ok := d.value(f.val, what+".action.args")
			m, isMap := v.(map[string]any)
			if ok && !isMap {
				d.failf(f.val, "%s.action.args must be a mapping, not %s", what, kindName(f.val))
				ok = false
			}
			in.Action.Args = m
			good = good && ok
		}
		if f, has := afs["target"]; has {
			v, ok := d.value(f.val, what+".action.target")
			m, isMap := v.(map[string]any)
			if ok && !isMap {
				d.failf(f.val, "%s.action.target must be a mapping, not %s", what, kindName(f.val))
				ok = false
			}
			in.Action.Target = m
			good = good && ok
		}
	}
	if f, has := fs["dry_run"]; has {
		in.DryRun, ok = d.boolean(f.val, what+".dry_run")
		good = good && ok
	}
	return in, good
}

func (d *decoder) expect(n *yaml.Node, what string) (expectation, bool) {
	var e expectation
	fs, ok := d.fields(n, what, "allowed", "results")
	if !ok {
		return e, false
	}
	f, has := fs["allowed"]
	if !has {
		d.failf(n, "%s: allowed is required", what)
		return e, false
	}
	if e.allowed, ok = d.boolean(f.val, what+".allowed"); !ok {
		return e, false
	}
	if f, has := fs["results"]; has {
		items, ok := d.list(f.val, what+".results")
		if !ok {
			return e, false
		}
		e.results = []expectedResult{}
		for i, it := range items {
			w := fmt.Sprintf("%s.results[%d]", what, i)
			rfs, ok := d.fields(it, w, "policy", "passed", "reason")
			if !ok {
				return e, false
			}
			var r expectedResult
			pf, hasP := rfs["policy"]
			sf, hasS := rfs["passed"]
			if !hasP || !hasS {
				d.failf(it, "%s: policy and passed are required", w)
				return e, false
			}
			if r.policy, ok = d.nonEmpty(pf.val, w+".policy"); !ok {
				return e, false
			}
			if r.passed, ok = d.boolean(sf.val, w+".passed"); !ok {
				return e, false
			}
			if rf, has := rfs["reason"]; has {
				if r.reason, ok = d.str(rf.val, w+".reason"); !ok {
					return e, false
				}
				r.hasReason = true
			}
			e.results = append(e.results, r)
		}
	}
	return e, true
}
