package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	sharedWriter = `enact: 1.0.0
id: acme/writer
description: keeps a value in kv
x-enact:
  actions: [kv.put]
inputs:
  type: object
  properties:
    namespace: {type: string}
tasks:
  - id: put
    type: script
    language: javascript
    code: |
      enact.kv.put({ namespace, key: "token", value: "writer-secret" });
      return {};
`
	sharedReader = `enact: 1.0.0
id: acme/reader
description: reads another capability's kv
x-enact:
  actions: [kv.get]
inputs:
  type: object
  properties:
    namespace: {type: string}
tasks:
  - id: get
    type: script
    language: javascript
    code: |
      return { found: enact.kv.get({ namespace, key: "token" }).found };
`
)

// The CLI wires the policy's kv.shared into the kv connector: the listed
// capabilities share that namespace, and no other.
func TestHostileActorsCLIKVShared(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), t.TempDir()
	files := map[string]string{
		"writer.yaml": sharedWriter, "reader.yaml": sharedReader,
		"policy.yaml": "version: 1\nallow: [kv.*]\nkv:\n  shared:\n    - {namespace: team, capabilities: [acme/writer, acme/reader]}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pol := filepath.Join(dir, "policy.yaml")
	for _, ns := range []string{"team", "default"} {
		in := `{"namespace": "` + ns + `"}`
		if code, out, errOut := invoke(t, home, "", "run", filepath.Join(dir, "writer.yaml"), "--policy", pol, "--input", in, "--json"); code != exitPass {
			t.Fatalf("writer in %s: exit %d %s %s", ns, code, out, errOut)
		}
		code, out, errOut := invoke(t, home, "", "run", filepath.Join(dir, "reader.yaml"), "--policy", pol, "--input", in, "--json")
		var rep struct{ Outputs map[string]any }
		if code != exitPass || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("reader in %s: exit %d %s %s", ns, code, out, errOut)
		}
		if want := ns == "team"; rep.Outputs["found"] != want {
			t.Errorf("reader in %s: found %v, want %v", ns, rep.Outputs["found"], want)
		}
	}
}

// run --json with another actor's idempotency key runs the caller's own
// run, and its refusals never carry the other actor's receipt id.
func TestHostileActorsCLIKeys(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	runAs := func(actor, celsius string) (int, map[string]any) {
		code, out, errOut := invoke(t, home, "", "run", "TemperatureConverterJS", "--actor", actor, "--idempotency-key", "order-42", "--input", `{"celsius": `+celsius+`}`, "--json")
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("exit %d %s %s: %v", code, out, errOut, err)
		}
		return code, rep
	}
	code, a := runAs("alice@acme.test", "10")
	if code != exitPass {
		t.Fatalf("alice: %d %v", code, a)
	}
	code, b := runAs("bob@acme.test", "20")
	if code != exitPass || b["receipt_id"] == a["receipt_id"] {
		t.Fatalf("bob with alice's key: %d %v", code, b)
	}
	code, b2 := runAs("bob@acme.test", "10")
	data, _ := json.Marshal(b2)
	if code == exitPass || strings.Contains(string(data), a["receipt_id"].(string)) {
		t.Errorf("bob's mismatch: %d %s", code, data)
	}
}
