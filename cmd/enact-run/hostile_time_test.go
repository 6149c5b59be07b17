package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// costlyOutputsDoc is a capability whose outputs take the validator far
// longer than its 30 s deadline: a 40-deep tree under a schema whose
// validation doubles at each level (no recursion, so it loads), beside
// 300 000 numbers that raise the validation step limit.
func costlyOutputsDoc() string {
	var defs []string
	for i := range 40 {
		next := fmt.Sprintf(`{"$ref": "#/$defs/l%d"}`, i+1)
		defs = append(defs, fmt.Sprintf(`"l%d": {"anyOf": [{"type": "object", "properties": {"c": %s}, "not": {"required": ["c"]}}, {"type": "object", "properties": {"c": %s}, "not": {"type": "object"}}]}`, i, next, next))
	}
	defs = append(defs, `"l40": {"type": "number"}`)
	schema := `{"$defs": {` + strings.Join(defs, ", ") + `}, "type": "object", "properties": {"tree": {"$ref": "#/$defs/l0"}, "xs": {"type": "array"}}}`
	return "enact: 1.0.0\nid: Costly\ndescription: costly outputs\noutputs: " + schema + "\nenv:\n  resources:\n    timeout: 30s\ntasks:\n  - id: t\n    type: script\n    language: javascript\n    code: |\n      let tree = 1;\n      for (let j = 0; j < 40; j++) tree = {c: tree};\n      return {tree, xs: new Array(300000).fill(1)};\n"
}

// TestHostileTimeSIGTERMEndsARun: SIGTERM to `enact-run run` ends the run
// long before its 30 s deadline, whether the guest is looping or the host
// is validating its outputs, and the run's receipt records it as
// cancelled.
func TestHostileTimeSIGTERMEndsARun(t *testing.T) {
	t.Parallel()
	bin := realBinary(t)
	dir := t.TempDir()
	spin := writeFile(t, dir, "spin.yaml", "enact: 1.0.0\nid: Spin\ndescription: loops\nenv:\n  resources:\n    timeout: 30s\ntasks:\n  - id: spin\n    type: script\n    language: js\n    code: for (;;) {}\n")
	costly := writeFile(t, dir, "costly.yaml", costlyOutputsDoc())
	for _, tc := range []struct {
		name, file string
		after      time.Duration
	}{
		{"guest loop", spin, 2 * time.Second},
		{"output validation", costly, 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			cmd := exec.Command(bin, "run", tc.file, "--json")
			cmd.Env = append(os.Environ(), "ENACT_CACHE_DIR="+testCacheDir, "ENACT_HOME="+home)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			time.Sleep(tc.after)
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(25 * time.Second): // well before the run's own 30 s deadline
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("the run did not end after SIGTERM\nstderr: %s", stderr.String())
			}
			t.Logf("ended %v after the start, %v after SIGTERM: %s", time.Since(start), time.Since(start)-tc.after, stdout.String())
			var rep struct {
				Status    string `json:"status"`
				ReceiptID string `json:"receipt_id"`
				Error     struct {
					Code, Message string
				} `json:"error"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("stdout: %v\n%s\nstderr: %s", err, stdout.String(), stderr.String())
			}
			if cmd.ProcessState.ExitCode() != exitFailed || rep.Status != "FAILED" || rep.Error.Code != "cancelled" || rep.ReceiptID == "" {
				t.Errorf("exit %d, report %+v, want a cancelled run with a receipt", cmd.ProcessState.ExitCode(), rep)
			}
			// The receipt says so too.
			show := exec.Command(bin, "receipts", "show", rep.ReceiptID)
			show.Env = cmd.Env
			out, err := show.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "cancelled") {
				t.Errorf("receipts show: %v\n%s", err, out)
			}
		})
	}
}

// TestHostileTimeCLIAndHTTPInputs: a pathological inputs schema is refused
// when the capability loads (CLI validate, run), and values too deep for
// the validator are refused over HTTP with the limit named.
func TestHostileTimeCLIAndHTTPInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "enact: 1.0.0\nid: Bad\ndescription: exponential\ninputs:\n  $defs:\n    node:\n      anyOf:\n        - {type: object, properties: {c: {$ref: '#/$defs/node'}}, required: [a]}\n        - {type: object, properties: {c: {$ref: '#/$defs/node'}}, required: [b]}\n  type: object\n  properties:\n    tree: {$ref: '#/$defs/node'}\ntasks:\n  - id: t\n    type: script\n    language: python\n    code: return {}\n")
	home := t.TempDir()
	start := time.Now()
	code, stdout, stderr := invoke(t, home, "", "validate", bad)
	t.Logf("validate refused it in %v: %s%s", time.Since(start), stdout, stderr)
	if code != exitInvalid || !strings.Contains(stdout+stderr, "/inputs/$defs/node/anyOf") || !strings.Contains(stdout+stderr, "exponentially") {
		t.Errorf("validate: exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
	code, _, stderr = invoke(t, home, "", "run", bad, "--input", `{"tree": {"c": {"c": 1}}}`)
	if code != exitInvalid || !strings.Contains(stderr, "/inputs/$defs/node/anyOf") {
		t.Errorf("run: exit %d, stderr %s", code, stderr)
	}

	base := startServe(t, "--anonymous-actor", "anon@acme.com")
	post := func(inputs string) (int, string) {
		resp, err := http.Post(base+"/v1/runs", "application/json", strings.NewReader(`{"capability": "TemperatureConverterJS", "inputs": `+inputs+`}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	// Over the CLI the inputs reach validation, whose depth limit
	// refuses them; over HTTP the body's own depth check (64 levels)
	// refuses them before they are decoded.
	deep := `{"celsius": 1, "x": ` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`
	code, _, stderr = invoke(t, home, "", "run", "TemperatureConverterJS", "--input", deep)
	if code != exitInvalid || !strings.Contains(stderr, "MaxValueDepth") {
		t.Errorf("deep inputs on the command line: exit %d, stderr %s", code, stderr)
	}
	status, body := post(deep)
	if status != http.StatusBadRequest || !strings.Contains(body, "deeper than 64 levels") {
		t.Errorf("deep inputs: %d %s", status, body)
	}
	deeper := `{"celsius": 1, "x": ` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`
	if status, body := post(deeper); status != http.StatusBadRequest {
		t.Errorf("100 000-deep inputs: %d %s", status, body)
	}
	if status, body := post(`{"celsius": 100}`); status != http.StatusOK {
		t.Errorf("the server does not serve a normal run after the hostile ones: %d %s", status, body)
	}
}
