package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/receipts"
)

const textstats = "../../plugins/examples/textstats/textstats.yaml"

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunActsAndLeavesVerifiableReceipts(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	for i, wantExisted := range []bool{false, true} {
		code, stdout, stderr := invoke(t, home, `{"text": "a b a", "save_as": "s/1"}`, "run", textstats, "--input", "@-", "--json")
		if code != exitPass {
			t.Fatalf("run %d: code %d\n%s\n%s", i, code, stdout, stderr)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		saved := rep["outputs"].(map[string]any)["saved"].(map[string]any)
		if saved["already_existed"] != wantExisted || saved["version"] != 1.0 {
			t.Errorf("run %d: saved = %v", i, saved)
		}
		if rep["receipt_id"] == "" || rep["receipt"] == nil {
			t.Errorf("run %d: no receipt in %v", i, rep)
		}
	}
	code, stdout, _ := invoke(t, home, "", "receipts", "verify")
	if code != exitPass || !strings.Contains(stdout, "ok: 2 receipts verify") {
		t.Errorf("verify: code %d: %s", code, stdout)
	}
	code, stdout, _ = invoke(t, home, "", "receipts", "list")
	if code != exitPass || strings.Count(stdout, "TextStats") != 2 {
		t.Errorf("list: code %d: %s", code, stdout)
	}
}

func TestPolicyBlocksAndDenies(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), t.TempDir()
	pol := writeFile(t, dir, "policy.yaml", `version: 1
actors:
  - email: agent@acme.com
    roles: [agent]
allow: [kv.put]
policies:
  - use: require_actor_role
    with: {allowed_roles: [agent]}
rules:
  - name: no_stats_keys
    actions: [kv.put]
    deny_if: action.args.key.startsWith("stats/")
    reason: stats keys are reserved
`)
	code, _, stderr := invoke(t, home, "", "run", textstats, "--input", `{"text": "x"}`, "--policy", pol, "--actor", "stranger@else.where")
	if code != exitBlocked || !strings.Contains(stderr, "require_actor_role") {
		t.Errorf("stranger: code %d, stderr %s", code, stderr)
	}
	code, _, stderr = invoke(t, home, "", "run", textstats, "--input", `{"text": "x", "save_as": "stats/x"}`, "--policy", pol, "--actor", "agent@acme.com")
	if code != exitFailed || !strings.Contains(stderr, "stats keys are reserved") {
		t.Errorf("denied save: code %d, stderr %s", code, stderr)
	}
	code, _, stderr = invoke(t, home, "", "run", textstats, "--input", `{"text": "x", "save_as": "mine/x"}`, "--policy", pol, "--actor", "agent@acme.com")
	if code != exitPass {
		t.Errorf("allowed save: code %d, stderr %s", code, stderr)
	}
	// A policy that does not allow what the capability declares blocks it
	// before anything runs.
	none := writeFile(t, dir, "none.yaml", "version: 1\n")
	code, _, stderr = invoke(t, home, "", "run", textstats, "--input", `{"text": "x"}`, "--policy", none)
	if code != exitBlocked || !strings.Contains(stderr, "kv.put") {
		t.Errorf("undeclarable: code %d, stderr %s", code, stderr)
	}
	code, stdout, _ := invoke(t, home, "", "receipts", "list")
	if strings.Count(stdout, "BLOCK") != 2 || strings.Count(stdout, "FAILED") != 1 || strings.Count(stdout, "PASS") != 1 {
		t.Errorf("receipts:\n%s", stdout)
	}
	if code, stdout, _ = invoke(t, home, "", "receipts", "verify"); code != exitPass {
		t.Errorf("verify: %s", stdout)
	}
}

func TestReceiptsVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), t.TempDir()
	for range 3 {
		if code, _, stderr := invoke(t, home, "", "run", "TemperatureConverter", "--input", `{"celsius": 1}`, "--receipts-dir", dir); code != exitPass {
			t.Fatalf("run: %s", stderr)
		}
	}
	if code, stdout, _ := invoke(t, home, "", "receipts", "verify", "--receipts-dir", dir); code != exitPass {
		t.Fatalf("verify before tampering: %s", stdout)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 3 {
		t.Fatalf("%d receipt files, want 3", len(files))
	}
	data, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(data), `celsius\":1`, `celsius\":2`, 1)
	if tampered == string(data) {
		tampered = strings.Replace(string(data), "1", "2", 1)
	}
	if err := os.WriteFile(files[1], []byte(tampered), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := invoke(t, home, "", "receipts", "verify", "--receipts-dir", dir)
	if code != exitFailed || !strings.Contains(stdout, "BROKEN after 1 good receipts") {
		t.Errorf("verify after tampering: code %d: %s", code, stdout)
	}
}

func TestPolicyTestCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pol := writeFile(t, dir, "policy.yaml", "version: 1\nallow: [github.*]\npolicies:\n  - use: no_push_to_main\n")
	good := writeFile(t, dir, "cases.yaml", `- name: push to a branch
  input:
    actor: {email: a@b.c}
    action: {id: github.push_commit, args: {branch: agent/x, files: [{path: a, content: b}], message: m}}
  expect: {allowed: true}
- name: push to main
  input:
    actor: {email: a@b.c}
    action: {id: github.push_commit, args: {branch: main, files: [{path: a, content: b}], message: m}}
  expect: {allowed: false}
`)
	if code, stdout, stderr := invoke(t, t.TempDir(), "", "policy", "test", pol, good); code != exitPass {
		t.Errorf("code %d\n%s\n%s", code, stdout, stderr)
	}
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(string(must(os.ReadFile(good))), "expect: {allowed: false}", "expect: {allowed: true}", 1))
	if code, stdout, _ := invoke(t, t.TempDir(), "", "policy", "test", pol, bad); code != exitFailed || !strings.Contains(stdout, "push to main") {
		t.Errorf("a wrong expectation passed: code %d\n%s", code, stdout)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// The conformance cases of package policy cover every built-in with a
// passing and a failing case; the command must agree with all of them.
func TestPolicyTestCommandOnTheConformanceCases(t *testing.T) {
	t.Parallel()
	policies, err := filepath.Glob("../../policy/testdata/cases/*.policy.yaml")
	if err != nil || len(policies) == 0 {
		t.Fatalf("no conformance cases: %v", err)
	}
	for _, pol := range policies {
		cases := strings.TrimSuffix(pol, ".policy.yaml") + ".cases.yaml"
		code, stdout, stderr := invoke(t, t.TempDir(), "", "policy", "test", pol, cases)
		if code != exitPass {
			t.Errorf("%s: code %d\n%s\n%s", filepath.Base(cases), code, stdout, stderr)
		}
	}
}

func TestReceiptsShowPrintsAVerifiableEnvelope(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	code, stdout, _ := invoke(t, home, "", "run", "SimpleConverter", "--input", `{"celsius": 5}`, "--json")
	if code != exitPass {
		t.Fatal(stdout)
	}
	var rep struct {
		ReceiptID string `json:"receipt_id"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	code, shown, stderr := invoke(t, home, "", "receipts", "show", rep.ReceiptID, "--json")
	if code != exitPass || stderr != "" {
		t.Fatalf("show: code %d, %s", code, stderr)
	}
	keys, err := receipts.OpenKeyring(filepath.Join(home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := receipts.Open([]byte(strings.TrimSpace(shown)), keys.Verifiers())
	if err != nil || r.RunID != rep.ReceiptID || r.Capability.ID != "SimpleConverter" {
		t.Fatalf("the printed receipt: %+v, %v", r, err)
	}
	if code, _, _ := invoke(t, home, "", "receipts", "show", "no-such-run"); code != exitInvalid {
		t.Errorf("unknown run id: code %d", code)
	}
}

func TestDryRunPlansWritesAndPerformsReads(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	code, stdout, stderr := invoke(t, home, `{"text": "a b", "save_as": "dry/1"}`, "run", textstats, "--input", "@-", "--dry-run", "--json")
	if code != exitPass {
		t.Fatalf("code %d\n%s\n%s", code, stdout, stderr)
	}
	var rep struct {
		DryRun  bool            `json:"dry_run"`
		Actions []report.Action `json:"actions"`
		Receipt *receipts.Envelope
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || len(rep.Actions) != 1 || !rep.Actions[0].Planned || rep.Actions[0].Action != "kv.put" {
		t.Fatalf("report: %+v", rep)
	}
	var body struct{ Status string }
	if err := json.Unmarshal(rep.Receipt.Body, &body); err != nil || body.Status != "dry_run" {
		t.Errorf("receipt status %q (%v)", body.Status, err)
	}
	// Nothing was written: a real run afterwards creates version 1.
	code, stdout, _ = invoke(t, home, `{"text": "a b", "save_as": "dry/1"}`, "run", textstats, "--input", "@-", "--json")
	if code != exitPass || !strings.Contains(stdout, `"version": 1`) || !strings.Contains(stdout, `"already_existed": false`) {
		t.Errorf("after the dry run: %s", stdout)
	}
}
