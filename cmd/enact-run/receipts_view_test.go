package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/enact-run/enact/plugins"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// seedReceipts writes four runs into home's receipt store, signed with
// home's keys, without running anything:
//
//	1 BLOCK  stranger   a run policy refused it
//	2 PASS   agent      kv.put denied (its reason carries a terminal escape)
//	3 PASS   ops        clean
//	4 FAILED agent      guest error
func seedReceipts(t *testing.T, home string) []string {
	t.Helper()
	keys, err := receipts.OpenKeyring(filepath.Join(home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := receipts.OpenSQLite(t.Context(), filepath.Join(home, "receipts.db"), keys.Signers())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	base := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	digest := "sha256:" + strings.Repeat("cd", 32)
	var ids []string
	for i, spec := range []struct {
		actor    string
		decision receipts.Decision
	}{{"stranger@else.where", receipts.DecisionBlock}, {"agent@acme.com", receipts.DecisionPass}, {"ops@acme.com", receipts.DecisionPass}, {"agent@acme.com", receipts.DecisionFailed}} {
		at := base.Add(time.Duration(i) * time.Hour)
		r := &receipts.Receipt{
			RunID:      []string{"aa11", "bb22", "bb33", "cc44"}[i] + strings.Repeat("0", 28),
			Capability: receipts.Capability{ID: []string{"demo/a", "demo/b", "demo/b", "demo/c"}[i], Version: "1.0.0", Digest: digest},
			Actor:      receipts.Actor{Email: spec.actor}, Decision: spec.decision, Status: "completed",
			Inputs: map[string]any{"n": 1}, Started: at, Finished: at.Add(time.Second), DurationMS: 1000, Timestamp: at.Add(time.Second),
		}
		switch i {
		case 0:
			r.PolicyResults = []receipts.PolicyResult{{Policy: "require_actor_role", Passed: false, Reason: "no role"}}
		case 1:
			r.Outputs = map[string]any{"ok": true}
			r.Actions = []receipts.Action{{Seq: 1, Action: "kv.put", ArgsDigest: digest, Decision: receipts.ActionDenied,
				PolicyResults: []receipts.PolicyResult{{Policy: "no_stats_keys", Passed: false, Reason: "stats keys are reserved\x1b[2J"}},
				Facts:         map[string]any{"exists": false}, Error: &receipts.Error{Code: "denied", Message: "no_stats_keys: stats keys are reserved"}, Started: at}}
		case 2:
			r.Actions = []receipts.Action{{Seq: 1, Action: "kv.put", ArgsDigest: digest, Decision: receipts.ActionAllowed, Result: json.RawMessage(`{"version":1}`), Started: at}}
		case 3:
			r.Error = &receipts.Error{Code: "guest_error", Message: "boom"}
		}
		if _, err := store.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.RunID)
	}
	return ids
}

func TestReceiptsListAndShowForPeople(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	ids := seedReceipts(t, home)

	code, out, stderr := invoke(t, home, "", "receipts", "list")
	if code != exitPass {
		t.Fatalf("list: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[1], "4 ") || !strings.HasPrefix(lines[4], "1 ") {
		t.Fatalf("list is not newest first:\n%s", out)
	}
	// The run whose action was denied never reads as a bare PASS.
	if !strings.Contains(lines[3], "PASS, 1 denied") || !strings.Contains(lines[3], "kv.put denied: no_stats_keys") || !strings.Contains(lines[3], "1 denied") {
		t.Errorf("the denied run's line: %q", lines[3])
	}
	if strings.Contains(out, "\x1b") {
		t.Error("list printed a raw terminal escape from a receipt")
	}

	for _, tc := range []struct {
		args []string
		want []int // seqs, newest first
		more bool
	}{
		{[]string{"--last", "2"}, []int{4, 3}, true},
		{[]string{"--limit", "2"}, []int{4, 3}, true},
		{[]string{"--last", "2", "--before", "3"}, []int{2, 1}, false},
		{[]string{"--status", "denied"}, []int{2, 1}, false},
		{[]string{"--status", "PASS"}, []int{3, 2}, false},
		{[]string{"--status", "attention", "--last", "1"}, []int{4}, true},
		{[]string{"--actor", "AGENT@acme.com"}, []int{4, 2}, false},
		{[]string{"--capability", "demo/b"}, []int{3, 2}, false},
		{[]string{"--since", "2026-03-14T16:00:00Z", "--until", "2026-03-14T18:00"}, []int{3, 2}, false},
		{[]string{"--capability", "none"}, nil, false},
	} {
		code, out, stderr := invoke(t, home, "", append([]string{"receipts", "list", "--json"}, tc.args...)...)
		var got listJSON
		if err := json.Unmarshal([]byte(out), &got); code != exitPass || err != nil {
			t.Fatalf("list %v: %d %v\n%s%s", tc.args, code, err, out, stderr)
		}
		var seqs []int
		for _, r := range got.Runs {
			seqs = append(seqs, int(r.Seq))
			if r.Receipt == nil || r.Hash != r.Receipt.Hash {
				t.Errorf("list %v: run %d lacks its envelope", tc.args, r.Seq)
			}
		}
		if !slices.Equal(seqs, tc.want) || got.More != tc.more {
			t.Errorf("list %v: seqs %v more %v, want %v more %v", tc.args, seqs, got.More, tc.want, tc.more)
		}
	}
	code, out, _ = invoke(t, home, "", "receipts", "list", "--json", "--status", "denied")
	var denied listJSON
	_ = json.Unmarshal([]byte(out), &denied)
	if len(denied.Runs) != 2 || denied.Runs[0].Actions.Denied != 1 || denied.Runs[0].Label != "PASS, 1 denied" || !denied.Runs[0].Attention {
		t.Errorf("denied run summary: %+v", denied.Runs)
	}
	for _, bad := range [][]string{{"--status", "maybe"}, {"--since", "yesterday"}, {"--last", "-1"}} {
		if code, _, stderr := invoke(t, home, "", append([]string{"receipts", "list"}, bad...)...); code != exitUsage || !strings.Contains(stderr, bad[0]) {
			t.Errorf("list %v: %d %s", bad, code, stderr)
		}
	}

	// show: a human account by default, from a unique prefix.
	code, out, stderr = invoke(t, home, "", "receipts", "show", "bb22")
	if code != exitPass {
		t.Fatalf("show: %d %s", code, stderr)
	}
	keys, _ := receipts.OpenKeyring(filepath.Join(home, "keys"))
	wants := []string{"Run " + ids[1] + ": PASS, 1 denied", "why         kv.put denied: no_stats_keys", "agent@acme.com", "DENIED",
		"nothing (refused before the connector ran)", "exists = false", "ok = true", "seq   2", `stats keys are reserved\x1b[2J`, "the receipt verifies"}
	for _, s := range keys.Signers() {
		wants = append(wants, s.KeyID()+"  "+s.Alg()+"  verified")
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("show printed a raw terminal escape from a receipt")
	}
	if code, _, stderr := invoke(t, home, "", "receipts", "show", "bb"); code != exitInvalid || !strings.Contains(stderr, ids[1]) || !strings.Contains(stderr, ids[2]) {
		t.Errorf("ambiguous prefix: %d %s", code, stderr)
	}
	if code, _, _ := invoke(t, home, "", "receipts", "show", "zz"); code != exitInvalid {
		t.Errorf("unknown prefix: %d", code)
	}
	code, out, _ = invoke(t, home, "", "receipts", "show", "cc", "--json")
	if r, err := receipts.Open([]byte(strings.TrimSpace(out)), keys.Verifiers()); code != exitPass || err != nil || r.RunID != ids[3] {
		t.Errorf("show --json by prefix: %d %v", code, err)
	}
}

func TestReceiptsVerifyAndKeysJSON(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	ids := seedReceipts(t, home)

	code, out, _ := invoke(t, home, "", "receipts", "verify", "--json")
	var v verifyJSON
	if err := json.Unmarshal([]byte(out), &v); code != exitPass || err != nil || !v.OK || v.Verified != 4 || v.HeadSeq != 4 || v.Break != nil || v.HeadTime == nil {
		t.Fatalf("verify --json: %d %v %s", code, err, out)
	}
	code, out, _ = invoke(t, home, "", "receipts", "keys", "--json")
	var keys []keyJSON
	if err := json.Unmarshal([]byte(out), &keys); code != exitPass || err != nil || len(keys) != 2 {
		t.Fatalf("keys --json: %d %v %s", code, err, out)
	}
	_, text, _ := invoke(t, home, "", "receipts", "keys")
	for _, k := range keys {
		if !k.Current || (k.Alg == receipts.AlgEd25519) != (k.PublicKey != "") {
			t.Errorf("key %+v", k)
		}
		if k.PublicKey != "" && !strings.Contains(text, k.KeyID+" "+k.PublicKey) {
			t.Errorf("keys text lacks %s", k.KeyID)
		}
	}

	// Tamper with the second receipt: verify names the break.
	db := filepath.Join(home, "receipts.db")
	tamperSQLite(t, db, 2, "stats keys are reserved", "stats keys are fine")
	code, out, _ = invoke(t, home, "", "receipts", "verify", "--json")
	if err := json.Unmarshal([]byte(out), &v); code != exitFailed || err != nil || v.OK || v.Verified != 1 || v.Break == nil || v.Break.Seq != 2 || v.Break.RunID != ids[1] || !strings.Contains(v.Break.Reason, "hash") {
		t.Errorf("verify --json after tampering: %d %s", code, out)
	}
	code, out, _ = invoke(t, home, "", "receipts", "show", ids[1])
	if code != exitFailed || !strings.Contains(out, "THE RECEIPT DOES NOT VERIFY") {
		t.Errorf("show of a tampered receipt: %d\n%s", code, out)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := invoke(t, t.TempDir(), "", "version", "--json")
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); code != exitPass || err != nil {
		t.Fatalf("version --json: %d %v %s", code, err, out)
	}
	if v.Module != "github.com/enact-run/enact" || v.ReceiptFormat != receipts.FormatVersion || len(v.Engines) != 3 ||
		v.Engines[0].SHA256 != plugins.Python().SHA256() || v.Engines[1].SHA256 != plugins.PythonStdlibSHA256() || v.Engines[2].SHA256 != plugins.JavaScript().SHA256() {
		t.Errorf("version: %+v", v)
	}
	code, out, _ = invoke(t, t.TempDir(), "", "version")
	for _, want := range []string{"revision", plugins.Python().SHA256(), plugins.JavaScript().Version(), receipts.FormatVersion} {
		if code != exitPass || !strings.Contains(out, want) {
			t.Errorf("version lacks %q:\n%s", want, out)
		}
	}
}

func TestTokenCreate(t *testing.T) {
	t.Parallel()
	code, out, stderr := invoke(t, t.TempDir(), "", "token", "create", "CI@acme.com", "--json")
	var tok newToken
	if err := json.Unmarshal([]byte(out), &tok); code != exitPass || err != nil {
		t.Fatalf("token create: %d %v %s %s", code, err, out, stderr)
	}
	sum := sha256.Sum256([]byte(tok.Token))
	if tok.SHA256 != hex.EncodeToString(sum[:]) || !strings.HasPrefix(tok.Token, "enact_") || len(tok.Token) < 40 {
		t.Errorf("token %+v", tok)
	}
	// The printed line, pasted into a policy file, admits the token.
	p, err := policy.Load([]byte("version: 1\nactors:\n  - email: ci@acme.com\n    roles: [deployer]\napi_tokens:\n  "+tok.PolicyLine+"\n"), "pasted.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := p.TokenActor(tok.Token); !ok || a.Email != "ci@acme.com" || len(a.Roles) != 1 {
		t.Errorf("the pasted line maps the token to %+v, %v", a, ok)
	}
	code, out, _ = invoke(t, t.TempDir(), "", "token", "create", "ci@acme.com")
	if code != exitPass || !strings.Contains(out, "- {sha256: ") || !strings.Contains(out, "enact_") || strings.Contains(out, tok.Token) {
		t.Errorf("token create text (and a fresh token each time):\n%s", out)
	}
	for _, bad := range []string{"not an email", "*@acme.com", ""} {
		if code, _, stderr := invoke(t, t.TempDir(), "", "token", "create", bad); code != exitUsage || !strings.Contains(stderr, "actor") {
			t.Errorf("token create %q: %d %s", bad, code, stderr)
		}
	}
}

// TestServeMountsTheConsole: serve answers the console at /ui behind the
// same tokens as the API; a run refused over the API shows there, scoped
// to its actor, and a rebinding Host is refused.
func TestServeMountsTheConsole(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), t.TempDir()
	seedReceipts(t, home)
	sum := sha256.Sum256([]byte("tok-console-agent"))
	pol := writeFile(t, dir, "policy.yaml", "version: 1\napi_tokens:\n  - {sha256: "+hex.EncodeToString(sum[:])+", actor: agent@acme.com}\n"+
		"policies:\n  - use: require_actor_role\n    with: {allowed_roles: [admin]}\n")
	base := startServeIn(t, home, "--policy", pol, "--no-shipped", "--dir", examples)
	if code := postRunOf(t, base, "tok-console-agent", "SimpleConverter"); code != http.StatusForbidden {
		t.Fatalf("POST /v1/runs: %d, want 403 (blocked)", code)
	}

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.PostForm(base+"/ui/login", url.Values{"token": {"tok-console-agent"}})
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/ui/" {
		t.Fatalf("login: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	runs := regexp.MustCompile(`href="/ui/runs/([^"/]+)"`).FindAllStringSubmatch(body, -1)
	if len(runs) != 3 || !strings.Contains(body, "SimpleConverter") || !strings.Contains(body, "require_actor_role") || strings.Contains(body, "ops@acme.com") {
		t.Errorf("the agent's runs (the blocked API run and its two seeded ones):\n%s", body)
	}
	req, _ := http.NewRequest("GET", base+"/ui/login", nil)
	req.Host = "evil.example"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a rebinding Host: %d, want 403", resp.StatusCode)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// tamperSQLite rewrites a stored envelope behind the store's back.
func tamperSQLite(t *testing.T, path string, seq int64, old, new string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var env []byte
	if err := db.QueryRow(`SELECT envelope FROM receipts WHERE seq = ?`, seq).Scan(&env); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(env), old, new, 1)
	if changed == string(env) {
		t.Fatalf("seq %d holds no %q", seq, old)
	}
	if _, err := db.Exec(`UPDATE receipts SET envelope = ? WHERE seq = ?`, []byte(changed), seq); err != nil {
		t.Fatal(err)
	}
}
