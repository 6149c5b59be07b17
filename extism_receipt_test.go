package enact_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
)

// TestExtismLogsAndConfigInTheReceipt runs the Extism project's log test
// plugin (go-sdk v1.7.1, copied into runtime/testdata/extism; see
// SOURCES.md there) with a configuration: the receipt
// records what it logged, and the configuration's keys and digest only.
func TestExtismLogsAndConfigInTheReceipt(t *testing.T) {
	t.Parallel()
	wasm, err := os.ReadFile(filepath.Join("runtime", "testdata", "extism", "log.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	if got := hex.EncodeToString(sum[:]); got != "4d40888428bcf5a77c7a96842ff61a24e299d192e7a7d4c7f76d84a96f93516a" {
		t.Fatalf("log.wasm has sha256 %s", got)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "log.wasm"), wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	doc := "enact: 1.0.0\nid: ExtismLog\ndescription: logs at every level\ntasks:\n  - id: main\n    type: wasm\n    plugin:\n      path: log.wasm\n" +
		"      sha256: " + hex.EncodeToString(sum[:]) + "\n      function: run_test\n      config:\n        region: eu-west\n"
	path := filepath.Join(dir, "log.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := capabilities.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	client, keys, _ := setup(t, "version: 1\n")
	res, err := client.Run(context.Background(), enact.RunRequest{Capability: c, Actor: policy.Actor{Email: "agent@acme.com"}})
	if err != nil || res.Status != enact.StatusPass {
		t.Fatalf("run: %v %v", err, res.Error)
	}
	data, _ := json.Marshal(res.Receipt)
	r, err := receipts.Open(data, keys.Verifiers())
	if err != nil {
		t.Fatalf("receipt does not verify: %v", err)
	}
	cfg := sha256.Sum256([]byte(`{"region":"eu-west"}`))
	want := []receipts.Plugin{{
		Task: "main", Digest: "sha256:" + hex.EncodeToString(sum[:]),
		ConfigKeys: []string{"region"}, ConfigDigest: "sha256:" + hex.EncodeToString(cfg[:]),
		Logs: []receipts.Log{
			{Level: "trace", Message: "this is a trace log"},
			{Level: "debug", Message: "this is a debug log"},
			{Level: "info", Message: "this is an info log"},
			{Level: "warn", Message: "this is a warning log"},
			{Level: "error", Message: "this is an error log"},
		},
	}}
	if diff := cmp.Diff(want, r.Plugins); diff != "" {
		t.Errorf("receipt plugins:\n%s", diff)
	}
	if strings.Contains(string(data), "eu-west") {
		t.Errorf("the receipt holds a configuration value: %s", data)
	}
}
