package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// canary is the secret value the hostile secrets tests look for.
const canary = "canary-5f3b9c0e-secret"

const secretsPolicy = "version: 1\nallow: [kv.*]\nsecrets: [API_Key, CREDS]\n"

// leakyCapability returns its secret, prints it, stores it in kv and reads
// it back, or throws it, as mode says; which says where the secret is.
const leakyCapability = `
enact: 1.0.0
id: Leaky
description: leaks its secret every way it can
x-enact:
  actions: [kv.put, kv.get]
inputs:
  type: object
  properties:
    api_key: {type: string, pattern: "^canary-"}
    API_KEY: {type: string, pattern: "^canary-"}
    creds:
      type: object
      properties:
        label: {enum: [a, b]}
    which: {type: string}
    mode: {type: string}
tasks:
  - id: leak
    type: script
    language: javascript
    code: |
      const s = which === "plain" ? api_key : which === "case" ? API_KEY : creds.inner[0];
      console.log("printing " + s);
      if (mode === "throw") throw new Error("boom " + s);
      enact.kv.put({ key: "k", value: "stored:" + s });
      const back = enact.kv.get({ key: "k" });
      return { plain: s, wrapped: "Bearer " + s + "!", back: back.value };
`

// secretCases are the inputs of each path: a secret named in another case
// than the policy names it, one nested under a secret name, one named in
// yet another case; each returned, thrown and refused as invalid.
func secretCases() []struct {
	name    string
	inputs  map[string]any
	invalid bool
} {
	var out []struct {
		name    string
		inputs  map[string]any
		invalid bool
	}
	for which, secret := range map[string]map[string]any{
		"plain":  {"api_key": canary},
		"nested": {"creds": map[string]any{"inner": []any{canary}}},
		"case":   {"API_KEY": canary},
	} {
		for _, mode := range []string{"return", "throw", "invalid"} {
			in := map[string]any{"which": which, "mode": mode}
			for k, v := range secret {
				in[k] = v
			}
			if mode == "invalid" {
				switch which {
				case "plain":
					in["api_key"] = "x-" + canary
				case "case":
					in["API_KEY"] = "x-" + canary
				default:
					in["creds"] = map[string]any{"label": canary}
				}
			}
			out = append(out, struct {
				name    string
				inputs  map[string]any
				invalid bool
			}{which + "/" + mode, in, mode == "invalid"})
		}
	}
	return out
}

// homeLeaks returns the file under home whose bytes hold the canary, or ""
// (the receipt store, its WAL, the keys; kv.db holds what the task stored
// on purpose and is the connector's, not a record).
func homeLeaks(t *testing.T, home string) string {
	t.Helper()
	return homeLeaksOf(t, home, canary)
}

// homeLeaksOf is homeLeaks for another secret.
func homeLeaksOf(t *testing.T, home, secret string) string {
	t.Helper()
	var found string
	_ = filepath.Walk(home, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasPrefix(info.Name(), "kv.db") {
			return nil
		}
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(secret)) {
			found = path
		}
		return nil
	})
	return found
}

// TestHostileSecretsCLI runs the leaking capability through `enact-run run`
// (with and without --json) and checks neither stream nor the state
// directory shows the secret.
func TestHostileSecretsCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pol := writeFile(t, dir, "policy.yaml", secretsPolicy)
	capFile := writeFile(t, dir, "leaky.yaml", leakyCapability)
	home := t.TempDir()
	for _, tc := range secretCases() {
		in, _ := json.Marshal(tc.inputs)
		for _, asJSON := range []bool{true, false} {
			args := []string{"run", capFile, "--policy", pol, "--input", string(in)}
			if asJSON {
				args = append(args, "--json")
			}
			code, stdout, stderr := invoke(t, home, "", args...)
			if strings.Contains(stdout+stderr, canary) {
				t.Errorf("%s (json %v): the secret shows:\n%s\n%s", tc.name, asJSON, stdout, stderr)
			}
			switch {
			case tc.invalid && code != exitInvalid:
				t.Errorf("%s: exit %d, want %d: %s", tc.name, code, exitInvalid, stderr)
			case tc.invalid && !strings.Contains(stdout+stderr, "invalid_input"):
				t.Errorf("%s: no invalid_input: %s %s", tc.name, stdout, stderr)
			case !tc.invalid && !strings.Contains(stdout+stderr, "[redacted]"):
				t.Errorf("%s: no redaction marker where the secret was:\n%s\n%s", tc.name, stdout, stderr)
			}
		}
	}
	if f := homeLeaks(t, home); f != "" {
		t.Errorf("%s holds the secret", f)
	}
	code, stdout, stderr := invoke(t, home, "", "receipts", "verify")
	if code != exitPass {
		t.Errorf("receipts verify: %d %s %s", code, stdout, stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHostileSecretsServe runs the leaking capability through `enact-run
// serve`: the HTTP API (run reports, 400s, the run and receipt read back)
// and MCP over HTTP (results and error texts), and checks that no response
// byte, no log line and no state file shows the secret.
func TestHostileSecretsServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pol := writeFile(t, t.TempDir(), "policy.yaml", secretsPolicy)
	writeFile(t, dir, "leaky.yaml", leakyCapability)
	home := t.TempDir()
	logs := &syncBuffer{}
	base := startServeLogged(t, home, logs, "--policy", pol, "--dir", dir, "--anonymous-actor", "agent@acme.com")
	get := func(path string) []byte {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}

	cs, err := mcp.NewClient(&mcp.Implementation{Name: "secrets-test", Version: "1"}, nil).
		Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: base + "/mcp", MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	for _, tc := range secretCases() {
		body, _ := json.Marshal(map[string]any{"capability": "Leaky", "inputs": tc.inputs})
		resp, err := http.Post(base+"/v1/runs", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(got, []byte(canary)) {
			t.Errorf("HTTP %s: the response shows the secret: %s", tc.name, got)
		}
		if tc.invalid != (resp.StatusCode == http.StatusBadRequest) {
			t.Errorf("HTTP %s: status %d: %s", tc.name, resp.StatusCode, got)
		}
		var report struct {
			ReceiptID string `json:"receipt_id"`
		}
		_ = json.Unmarshal(got, &report)
		if !tc.invalid {
			if !bytes.Contains(got, []byte("[redacted]")) {
				t.Errorf("HTTP %s: no redaction marker: %s", tc.name, got)
			}
			for _, path := range []string{"/v1/runs/" + report.ReceiptID, "/v1/receipts/" + report.ReceiptID} {
				if b := get(path); bytes.Contains(b, []byte(canary)) || !bytes.Contains(b, []byte(report.ReceiptID)) {
					t.Errorf("GET %s: %s", path, b)
				}
			}
		}

		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "Leaky", Arguments: tc.inputs})
		if err != nil {
			t.Fatalf("MCP %s: %v", tc.name, err)
		}
		b, _ := json.Marshal(res)
		if bytes.Contains(b, []byte(canary)) {
			t.Errorf("MCP %s: the result shows the secret: %s", tc.name, b)
		}
		if tc.invalid && (!res.IsError || !bytes.Contains(b, []byte("invalid_input"))) {
			t.Errorf("MCP %s: %s", tc.name, b)
		}
	}
	if strings.Contains(logs.String(), canary) {
		t.Errorf("the server's log shows the secret:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "httpapi: run") {
		t.Errorf("the server logged no runs, so the log check proves nothing:\n%s", logs.String())
	}
	if f := homeLeaks(t, home); f != "" {
		t.Errorf("%s holds the secret", f)
	}
}
