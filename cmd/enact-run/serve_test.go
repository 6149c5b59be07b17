package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServe runs `enact-run serve` on a free port until the test ends and
// returns its base URL.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	return startServeIn(t, t.TempDir(), args...)
}

// startServeIn is startServe with $ENACT_HOME at home.
func startServeIn(t *testing.T, home string, args ...string) string {
	t.Helper()
	return startServeLogged(t, home, io.Discard, args...)
}

// startServeLogged is startServeIn with the server's log (its standard
// error) written to logs.
func startServeLogged(t *testing.T, home string, logs io.Writer, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		getenv := testEnv(home, nil)
		run(ctx, append([]string{"serve", "--addr", addr}, args...), strings.NewReader(""), io.Discard, logs, getenv)
	}()
	t.Cleanup(func() { cancel(); <-done })
	base := "http://" + addr
	for range 1200 { // a minute: under -race a cold start compiles slowly
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return base
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server did not come up")
	return ""
}

// postRunOf posts a run of capability (inputs {"celsius": 10}) with the
// bearer token and returns the response status.
func postRunOf(t *testing.T, base, token, capability string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/runs", strings.NewReader(`{"capability": "`+capability+`", "inputs": {"celsius": 10}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// postRun posts a run of TemperatureConverterJS and returns the status.
func postRun(t *testing.T, base, token string) int {
	t.Helper()
	return postRunOf(t, base, token, "TemperatureConverterJS")
}

// A changed policy file is picked up without a restart; a broken one is
// ignored and the running policy stays.
func TestServeReloadsThePolicy(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("tok-9"))
	tokens := "api_tokens:\n  - sha256: " + hex.EncodeToString(sum[:]) + "\n    actor: ci@acme.com\n"
	dir := t.TempDir()
	pol := writeFile(t, dir, "policy.yaml", "version: 1\n"+tokens+"policies:\n  - use: require_actor_role\n    with: {allowed_roles: [admin]}\n")
	logs := &syncBuffer{}
	base := startServeLogged(t, t.TempDir(), logs, "--policy", pol)
	if code := postRun(t, base, "tok-9"); code != http.StatusForbidden {
		t.Fatalf("under the strict policy: %d, want 403", code)
	}
	writeFile(t, dir, "policy.yaml", "version: 1\n"+tokens)
	deadline := time.Now().Add(60 * time.Second)
	for postRun(t, base, "tok-9") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the relaxed policy was not picked up")
		}
		time.Sleep(200 * time.Millisecond)
	}
	writeFile(t, dir, "policy.yaml", "version: 1\nnot valid: [\n")
	// The server saw the broken file (its watch says so) before the
	// check that the running policy stayed.
	deadline = time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), "policy file changed but does not load") {
		if time.Now().After(deadline) {
			t.Fatalf("the broken policy file was not noticed:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := postRun(t, base, "tok-9"); code != http.StatusOK {
		t.Errorf("after a broken policy file: %d, want the running policy to stay", code)
	}
}

func TestServeAuthenticatesAndRuns(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("tok-123"))
	pol := writeFile(t, t.TempDir(), "policy.yaml", "version: 1\nallow: [kv.*]\napi_tokens:\n  - sha256: "+hex.EncodeToString(sum[:])+"\n    actor: ci@acme.com\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var stderr bytes.Buffer
	go func() {
		getenv := testEnv(t.TempDir(), nil)
		done <- run(ctx, []string{"serve", "--addr", addr, "--policy", pol}, strings.NewReader(""), io.Discard, &stderr, getenv)
	}()
	base := "http://" + addr
	var up bool
	for range 1200 {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			up = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !up {
		cancel()
		t.Fatalf("the server did not come up: %s", stderr.String())
	}
	post := func(token string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", base+"/v1/runs", strings.NewReader(`{"capability": "TemperatureConverterJS", "inputs": {"celsius": 100}}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, _ := post(""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := post("wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	// /mcp refuses like /v1: 401, a JSON error, the Bearer challenge.
	for _, token := range []string{"", "wrong"} {
		req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		derr := json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="enact"` ||
			derr != nil || e.Error.Code != "unauthorized" || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
			t.Errorf("/mcp with token %q: %d %q %q, body %+v (%v)", token, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), resp.Header.Get("Content-Type"), e, derr)
		}
	}
	code, body := post("tok-123")
	if code != http.StatusOK || body["outputs"].(map[string]any)["fahrenheit"] != 212.0 {
		t.Errorf("run: %d %v", code, body)
	}
	id, _ := body["receipt_id"].(string)
	req, _ := http.NewRequest("GET", base+"/v1/receipts/"+id, nil)
	req.Header.Set("Authorization", "Bearer tok-123")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("receipt: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// The approvals endpoints are served over the store: none yet.
	req, _ = http.NewRequest("GET", base+"/v1/approvals", nil)
	req.Header.Set("Authorization", "Bearer tok-123")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Error(err)
	} else {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(data)) != "[]" {
			t.Errorf("GET /v1/approvals: %d %s", resp.StatusCode, data)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitPass {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// A server whose policy lists no api_tokens (and names no anonymous actor)
// would refuse every request: it says so when it starts.
func TestServeWarnsWhenNoTokenCanLogIn(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	base := startServeLogged(t, t.TempDir(), logs)
	if code := postRun(t, base, "anything"); code != http.StatusUnauthorized {
		t.Errorf("a request to a server without tokens: %d, want 401", code)
	}
	if out := logs.String(); !strings.Contains(out, "no api_tokens in the policy in effect") || !strings.Contains(out, "--anonymous-actor") {
		t.Errorf("no warning at start:\n%s", out)
	}
	quiet := &syncBuffer{}
	startServeLogged(t, t.TempDir(), quiet, "--anonymous-actor", "agent@acme.com")
	if strings.Contains(quiet.String(), "no api_tokens") {
		t.Errorf("warned although an anonymous actor is named:\n%s", quiet.String())
	}
}

// --log-format json writes one JSON object a line at the --log-level
// asked; bad values are usage errors.
func TestServeLogFlags(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	startServeLogged(t, t.TempDir(), logs, "--log-format", "json", "--log-level", "warn")
	var warned bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if rec["level"] == "INFO" {
			t.Errorf("an info line at --log-level warn: %q", line)
		}
		warned = warned || strings.Contains(rec["msg"].(string), "no api_tokens")
	}
	if !warned {
		t.Errorf("the no-token warning is missing:\n%s", logs.String())
	}
	for _, args := range [][]string{{"--log-level", "loud"}, {"--log-format", "xml"}} {
		var stderr bytes.Buffer
		code := run(t.Context(), append([]string{"serve"}, args...), strings.NewReader(""), io.Discard, &stderr, testEnv(t.TempDir(), nil))
		if code != exitUsage || !strings.Contains(stderr.String(), args[0]) {
			t.Errorf("serve %v: exit %d, %s", args, code, stderr.String())
		}
	}
}
