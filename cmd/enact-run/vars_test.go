package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/enact-run/enact/receipts"
)

// varCanary is the value of the environment variable the tests give; it
// must never leave the sandbox except where the policy allows it.
const varCanary = "canary-9e41d7b2-envvar"

// varsCapability reads its environment variables in JavaScript and in
// Python, prints them, returns them, tries to store the secret through an
// action, or throws it, as mode says.
const varsCapability = `
enact: 1.0.0
id: VarsLeak
description: leaks its environment variables every way it can
x-enact:
  actions: [kv.put, kv.get]
inputs:
  type: object
  properties:
    mode: {type: string, default: return}
env:
  vars:
    - name: API_KEY
      description: the service's key
      schema: {type: string, minLength: 8}
    - name: RETRIES
      required: false
      schema: {type: integer, default: 3}
tasks:
  - id: js
    type: script
    language: javascript
    code: |
      console.log("js sees " + env.API_KEY);
      if (mode === "throw") throw new Error("boom " + process.env.API_KEY);
      let stored = "no", back = null;
      try {
        enact.kv.put({ key: "k", value: "v:" + env.API_KEY });
        stored = "yes";
        back = enact.kv.get({ key: "k" }).value;
      } catch (e) {
        stored = e.code;
      }
      return { js_key: env.API_KEY, wrapped: "Bearer " + process.env.API_KEY, retries: env.RETRIES * 10, stored, back, names: Object.keys(process.env).sort().join(",") };
  - id: py
    type: script
    language: python
    code: |
      import os
      print("py sees", os.environ["API_KEY"])
      return {"py_key": env["API_KEY"], "py_retries": int(os.environ["RETRIES"]) * 10}
`

// varsRun runs the capability with the CLI and returns the exit code,
// stdout+stderr and the --json report.
func varsRun(t *testing.T, home string, env map[string]string, args ...string) (int, string, map[string]any) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(testContext(t), append(args, "--json"), strings.NewReader(""), &stdout, &stderr, testEnv(home, env))
	var report map[string]any
	_ = json.Unmarshal(stdout.Bytes(), &report)
	return code, stdout.String() + stderr.String(), report
}

// TestEnvVarsCLI gives the capability its variables every way the CLI
// offers and checks what the tasks saw, what the policy refused, and that
// the value shows nowhere: not on stdout or stderr, not in the receipt
// store, not in any file under the state directory.
func TestEnvVarsCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	capFile := writeFile(t, dir, "vars.yaml", varsCapability)
	plain := writeFile(t, dir, "plain.yaml", "version: 1\nallow: [kv.*]\n")
	withVars := writeFile(t, dir, "vars-policy.yaml", "version: 1\nallow: [kv.*]\nvars:\n  VarsLeak:\n    API_KEY: "+varCanary+"\n")
	allowing := writeFile(t, dir, "allowing.yaml", "version: 1\nallow: [kv.*]\npolicies:\n  - use: no_secret_in_args\n    with:\n      allow: {API_KEY: [kv.put]}\n")
	envFile := writeFile(t, dir, "vars.env", "# the service\nexport API_KEY='"+varCanary+"'\nRETRIES=7\n")
	home := t.TempDir()

	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		retries string
	}{
		// A variable the capability does not declare never reaches it.
		{"runner environment", map[string]string{"ENACT_VAR_API_KEY": varCanary, "ENACT_VAR_OTHER": "other-value"}, []string{"--policy", plain}, "3"},
		{"receipts directory", map[string]string{"ENACT_VAR_API_KEY": varCanary}, []string{"--policy", plain, "--receipts-dir", filepath.Join(home, "receipts")}, "3"},
		{"env file", nil, []string{"--policy", plain, "--env-file", envFile}, "7"},
		{"policy file", nil, []string{"--policy", withVars}, "3"},
		// The environment's value is too short for the schema: the run
		// passes only because the policy file's value wins.
		{"policy file wins", map[string]string{"ENACT_VAR_API_KEY": "short"}, []string{"--policy", withVars, "--env-file", envFile}, "7"},
	} {
		code, out, report := varsRun(t, home, tc.env, append([]string{"run", capFile}, tc.args...)...)
		if code != exitPass {
			t.Fatalf("%s: exit %d\n%s", tc.name, code, out)
		}
		if strings.Contains(out, varCanary) {
			t.Errorf("%s: the value shows:\n%s", tc.name, out)
		}
		outputs, _ := report["outputs"].(map[string]any)
		want := map[string]any{"js_key": "[redacted]", "wrapped": "Bearer [redacted]", "py_key": "[redacted]", "stored": "denied", "back": nil, "names": "API_KEY,RETRIES"}
		for k, v := range want {
			if outputs[k] != v {
				t.Errorf("%s: output %s = %v, want %v", tc.name, k, outputs[k], v)
			}
		}
		// Every variable is a secret, RETRIES too: its tenfold shows.
		if got := jsonText(outputs["retries"]) + "/" + jsonText(outputs["py_retries"]); got != tc.retries+"0/"+tc.retries+"0" {
			t.Errorf("%s: retries %s, want %s", tc.name, got, tc.retries)
		}
		rc := receiptBody(t, report)
		if rc.Vars == nil || strings.Join(rc.Vars.Names, ",") != "API_KEY,RETRIES" || !strings.HasPrefix(rc.Vars.Digest, "sha256:") {
			t.Errorf("%s: receipt vars %+v", tc.name, rc.Vars)
		}
		if len(rc.Actions) != 1 || rc.Actions[0].Decision != receipts.ActionDenied || !strings.Contains(rc.Actions[0].Error.Message, "no_secret_in_args") {
			t.Errorf("%s: the kv.put carrying the secret was not denied by no_secret_in_args: %+v", tc.name, rc.Actions)
		}
	}

	// Where the policy allows the variable into kv.put, the value is
	// stored (the connector's data) and still redacted from every record.
	code, out, report := varsRun(t, home, map[string]string{"ENACT_VAR_API_KEY": varCanary}, "run", capFile, "--policy", allowing)
	outputs, _ := report["outputs"].(map[string]any)
	if code != exitPass || outputs["stored"] != "yes" || outputs["back"] != "v:[redacted]" || strings.Contains(out, varCanary) {
		t.Errorf("allowed: exit %d, outputs %v\n%s", code, outputs, out)
	}

	// A thrown error carrying the value is redacted.
	code, out, _ = varsRun(t, home, map[string]string{"ENACT_VAR_API_KEY": varCanary}, "run", capFile, "--policy", plain, "--input", `{"mode": "throw"}`)
	if code != exitFailed || strings.Contains(out, varCanary) || !strings.Contains(out, "boom [redacted]") {
		t.Errorf("throw: exit %d\n%s", code, out)
	}

	// A missing required variable stops the run before anything runs,
	// naming it and where it may be given.
	code, out, report = varsRun(t, home, nil, "run", capFile, "--policy", plain)
	if code != exitInvalid || report["receipt_id"] != "" {
		t.Errorf("missing: exit %d, report %v", code, report)
	}
	for _, want := range []string{"API_KEY", "vars: {VarsLeak: {API_KEY: …}}", "ENACT_VAR_API_KEY", "--env-file", "invalid_input"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing: the error lacks %q:\n%s", want, out)
		}
	}
	// A value of the wrong type, or one its schema refuses, is refused
	// the same way, naming the variable and not the value.
	for env, name := range map[string]string{"ENACT_VAR_RETRIES": "RETRIES", "ENACT_VAR_API_KEY": "API_KEY"} {
		vals := map[string]string{"ENACT_VAR_API_KEY": varCanary, env: "short"}
		code, out, _ := varsRun(t, home, vals, "run", capFile, "--policy", plain)
		if code != exitInvalid || !strings.Contains(out, "/"+name) || strings.Contains(out, "short") || strings.Contains(out, varCanary) {
			t.Errorf("invalid %s: exit %d\n%s", name, code, out)
		}
	}
	// A malformed --env-file is a command-line error naming the line,
	// never a value.
	bad := writeFile(t, dir, "bad.env", "API_KEY="+varCanary+"\nnot a line "+varCanary+"\n")
	code, out, _ = varsRun(t, home, nil, "run", capFile, "--policy", plain, "--env-file", bad)
	if code != exitUsage || !strings.Contains(out, "bad.env:2: want NAME=value") || strings.Contains(out, varCanary) {
		t.Errorf("bad --env-file: exit %d\n%s", code, out)
	}
	if f := homeLeaksOf(t, home, varCanary); f != "" {
		t.Errorf("%s holds the value", f)
	}
	if code, stdout, stderr := invoke(t, home, "", "receipts", "verify"); code != exitPass {
		t.Errorf("receipts verify: %d %s %s", code, stdout, stderr)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestEnvVarsServe gives the variables to `enact-run serve` with
// --env-file and runs the capability over HTTP and MCP: no response, log
// line or state file shows the value.
func TestEnvVarsServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "vars.yaml", varsCapability)
	writeFile(t, dir, "needs.yaml", "enact: 1.0.0\nid: NeedsVar\ndescription: needs a variable nobody gives\nenv:\n  vars:\n    MISSING_THING: {type: string}\ntasks:\n  - id: a\n    type: script\n    language: js\n    code: \"return {};\"\n")
	other := t.TempDir()
	pol := writeFile(t, other, "policy.yaml", "version: 1\nallow: [kv.*]\n")
	envFile := writeFile(t, other, "vars.env", "API_KEY="+varCanary+"\n")
	home := t.TempDir()
	logs := &syncBuffer{}
	base := startServeLogged(t, home, logs, "--policy", pol, "--dir", dir, "--anonymous-actor", "agent@acme.com", "--env-file", envFile)

	var bodies []string
	for _, mode := range []string{"return", "throw"} {
		resp, err := http.Post(base+"/v1/runs", "application/json", strings.NewReader(`{"capability": "VarsLeak", "inputs": {"mode": "`+mode+`"}}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies = append(bodies, string(b))
		var report struct {
			ReceiptID string         `json:"receipt_id"`
			Outputs   map[string]any `json:"outputs"`
		}
		_ = json.Unmarshal(b, &report)
		if mode == "return" && (resp.StatusCode != 200 || report.Outputs["js_key"] != "[redacted]" || report.Outputs["stored"] != "denied") {
			t.Errorf("HTTP %s: %d %s", mode, resp.StatusCode, b)
		}
		for _, path := range []string{"/v1/runs/" + report.ReceiptID, "/v1/receipts/" + report.ReceiptID} {
			r, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			bodies = append(bodies, string(b))
		}
	}
	// The listing names the variables a capability needs, never a value.
	lr, err := http.Get(base + "/v1/capabilities")
	if err != nil {
		t.Fatal(err)
	}
	listing, _ := io.ReadAll(lr.Body)
	lr.Body.Close()
	bodies = append(bodies, string(listing))
	if !strings.Contains(string(listing), `"vars":[{"name":"API_KEY","description":"the service's key","required":true},{"name":"RETRIES","required":false}]`) {
		t.Errorf("GET /v1/capabilities: %s", listing)
	}
	resp, err := http.Post(base+"/v1/runs", "application/json", strings.NewReader(`{"capability": "NeedsVar", "inputs": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "MISSING_THING") || !strings.Contains(string(b), "ENACT_VAR_MISSING_THING") {
		t.Errorf("a missing variable: %d %s", resp.StatusCode, b)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "vars-test", Version: "1"}, nil).
		Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: base + "/mcp", MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	for _, mode := range []string{"return", "throw"} {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "VarsLeak", Arguments: map[string]any{"mode": mode}})
		if err != nil {
			t.Fatalf("MCP %s: %v", mode, err)
		}
		b, _ := json.Marshal(res)
		bodies = append(bodies, string(b))
		if mode == "return" && (res.IsError || !bytes.Contains(b, []byte("[redacted]"))) {
			t.Errorf("MCP %s: %s", mode, b)
		}
	}
	for _, b := range bodies {
		if strings.Contains(b, varCanary) {
			t.Errorf("a response shows the value: %s", b)
		}
	}
	if strings.Contains(logs.String(), varCanary) || !strings.Contains(logs.String(), "httpapi: run") {
		t.Errorf("the server's log shows the value, or logged no runs:\n%s", logs.String())
	}
	if f := homeLeaksOf(t, home, varCanary); f != "" {
		t.Errorf("%s holds the value", f)
	}
}

// TestEnvVarsPlugin gives a prebuilt Extism plugin a variable as a
// configuration key (go-sdk's config.wasm returns the key "thing"): the
// plugin reads it, and the output, the receipt (keys and a digest only)
// and the state directory never show it.
func TestEnvVarsPlugin(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/extism/go-sdk").Output()
	if err != nil {
		t.Skipf("the go-sdk module is not in the module cache: %v", err)
	}
	wasm, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "wasm", "config.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	capFile := writeFile(t, dir, "plugin.yaml", "enact: 1.0.0\nid: ConfigPlugin\ndescription: reads its configuration\nenv:\n  vars:\n    thing: {type: string}\n"+
		"tasks:\n  - id: main\n    type: wasm\n    plugin:\n      path: config.wasm\n      sha256: "+hex.EncodeToString(sum[:])+"\n      function: run_test\n      config:\n        thing: from the capability\n")
	home := t.TempDir()
	code, text, report := varsRun(t, home, map[string]string{"ENACT_VAR_thing": varCanary}, "run", capFile)
	if code != exitPass || strings.Contains(text, varCanary) {
		t.Fatalf("exit %d\n%s", code, text)
	}
	if got := jsonText(report["outputs"]); got != `{"config":"[redacted]"}` {
		t.Errorf("outputs %s: the plugin did not read the variable over its own key", got)
	}
	rc := receiptBody(t, report)
	if len(rc.Plugins) != 1 || strings.Join(rc.Plugins[0].ConfigKeys, ",") != "thing" || !strings.HasPrefix(rc.Plugins[0].ConfigDigest, "sha256:") ||
		rc.Vars == nil || rc.Vars.Names[0] != "thing" {
		t.Errorf("receipt plugins %+v vars %+v", rc.Plugins, rc.Vars)
	}
	if f := homeLeaksOf(t, home, varCanary); f != "" {
		t.Errorf("%s holds the value", f)
	}
}

// TestEnvVarsNeverReadTheRunnersOwn declares variables named like the
// runner's own configuration and credentials: a capability gets only what
// the operator gives it as a variable (ENACT_VAR_<NAME>, the policy file,
// --env-file), never the runner's environment itself, nor another
// capability's values.
func TestEnvVarsNeverReadTheRunnersOwn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	capFile := writeFile(t, dir, "greedy.yaml", `
enact: 1.0.0
id: Greedy
description: asks for the runner's credentials
env:
  vars:
    GITHUB_TOKEN: {type: string, required: false}
    ENACT_POSTGRES_URL: {type: string, required: false}
    HOME: {type: string, required: false}
tasks:
  - id: look
    type: script
    language: javascript
    code: |
      return { seen: Object.keys(env).length + Object.keys(process.env).length };
`)
	pol := writeFile(t, dir, "policy.yaml", "version: 1\nallow: [kv.*]\nvars:\n  Other:\n    GITHUB_TOKEN: "+varCanary+"\n")
	home := t.TempDir()
	env := map[string]string{"GITHUB_TOKEN": varCanary, "ENACT_POSTGRES_URL": "postgres://u:" + varCanary + "@db/x", "HOME": "/home/" + varCanary}
	code, out, report := varsRun(t, home, env, "run", capFile, "--policy", pol)
	if code != exitPass || jsonText(report["outputs"]) != `{"seen":0}` || strings.Contains(out, varCanary) {
		t.Errorf("exit %d, outputs %v\n%s", code, report["outputs"], out)
	}
}
