package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/enact-run/enact/internal/registrytest"
	"github.com/enact-run/enact/receipts"
)

// The package's one registry, with basic authentication, started by the
// first test that needs it and stopped by TestMain.
var (
	regOnce sync.Once
	reg     *registrytest.Registry
	regErr  error
)

func testRegistry(t testing.TB) *registrytest.Registry {
	t.Helper()
	regOnce.Do(func() { reg, regErr = registrytest.Start(registrytest.Options{Auth: true}) })
	if regErr != nil {
		if os.Getenv("CI") == "" && errors.Is(regErr, registrytest.ErrNoBinary) {
			t.Skip(regErr)
		}
		t.Fatal(regErr)
	}
	return reg
}

func stopRegistry() {
	if reg != nil {
		reg.Close()
	}
}

// bundleWorld is what the end-to-end bundle tests share: a Docker config
// with the registry's credentials, two keys, a policy trusting the first.
type bundleWorld struct {
	reg                 *registrytest.Registry
	dir                 string
	env                 map[string]string
	trusted, untrusted  string // key files (.key)
	trustedID, otherID  string
	policy, otherPolicy string // trusting trustedID, otherID
	// src is the capability file copied by capability (the Greet
	// example: a 6 KB plugin), input the inputs of runRef.
	src, input string
}

// greet is the example the bundle tests publish: small, so that pushing,
// pulling and compiling it costs little.
const greet = "../../plugins/examples/greet/greet.yaml"

func newBundleWorld(t testing.TB) *bundleWorld {
	t.Helper()
	r := testRegistry(t)
	w := &bundleWorld{reg: r, dir: t.TempDir(), src: greet, input: `{"name": "Ada"}`}
	docker := filepath.Join(w.dir, "docker")
	if err := os.Mkdir(docker, 0o700); err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte(r.Username + ":" + r.Password))
	writeTB(t, docker, "config.json", fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, r.Host, auth))
	w.env = map[string]string{"DOCKER_CONFIG": docker}
	home := t.TempDir()
	code, out, errOut := w.cli(t, home, "keygen", "--out", filepath.Join(w.dir, "trusted"))
	if code != exitPass {
		t.Fatalf("keygen: %d %s", code, errOut)
	}
	w.trusted, w.trustedID = filepath.Join(w.dir, "trusted.key"), strings.TrimSpace(out)
	_, out, _ = w.cli(t, home, "keygen", "--out", filepath.Join(w.dir, "other"))
	w.untrusted, w.otherID = filepath.Join(w.dir, "other.key"), strings.TrimSpace(out)
	pol := "version: 1\nallow: [\"kv.*\"]\ntrust:\n  signers:\n    - key_id: %s\n      repositories: [\"%s/acme/*\"]\n"
	w.policy = writeTB(t, w.dir, "policy.yaml", fmt.Sprintf(pol, w.trustedID, r.Host))
	w.otherPolicy = writeTB(t, w.dir, "other-policy.yaml", fmt.Sprintf(pol, w.otherID, r.Host))
	return w
}

func (w *bundleWorld) cli(t testing.TB, home string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(testContext(t), args, strings.NewReader(""), &stdout, &stderr, testEnv(home, w.env))
	return code, stdout.String(), stderr.String()
}

// capability copies w.src and its plugin into a new directory, with its
// description changed to desc so that every copy is another bundle.
func (w *bundleWorld) capability(t testing.TB, desc string) string {
	t.Helper()
	return w.capabilityWith(t, desc, "")
}

// capabilityWith is capability with the plugin made distinct by a custom
// section named custom (none when empty), and the pin updated: a plugin
// blob of its own in the registry.
func (w *bundleWorld) capabilityWith(t testing.TB, desc, custom string) string {
	t.Helper()
	dir := t.TempDir()
	name := strings.TrimSuffix(filepath.Base(w.src), ".yaml")
	yaml, err := os.ReadFile(w.src)
	if err != nil {
		t.Fatal(err)
	}
	yaml = bytes.Replace(yaml, []byte("description: "), []byte("description: "+desc+" "), 1)
	writeTB(t, dir, name+".yaml", string(yaml))
	wasm, err := os.ReadFile(filepath.Join(filepath.Dir(w.src), name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if custom != "" {
		old := sha256.Sum256(wasm)
		wasm = append(wasm, 0, byte(len(custom)+1), byte(len(custom)))
		wasm = append(wasm, custom...)
		sum := sha256.Sum256(wasm)
		yaml = bytes.Replace(yaml, []byte(hex.EncodeToString(old[:])), []byte(hex.EncodeToString(sum[:])), 1)
		writeTB(t, dir, name+".yaml", string(yaml))
	}
	if err := os.WriteFile(filepath.Join(dir, name+".wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+".yaml")
}

// publish signs (with each key) and pushes a capability to tag, and
// returns the manifest digest.
func (w *bundleWorld) publish(t testing.TB, file, tag string, keys ...string) string {
	t.Helper()
	home := t.TempDir()
	for _, k := range keys {
		if code, _, errOut := w.cli(t, home, "sign", file, "--key", k); code != exitPass {
			t.Fatalf("sign: %d %s", code, errOut)
		}
	}
	args := []string{"push", file, w.ref(tag)}
	if len(keys) == 0 {
		args = append(args, "--unsigned")
	}
	code, out, errOut := w.cli(t, home, args...)
	if code != exitPass || !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("push: %d %s %s", code, out, errOut)
	}
	return strings.TrimSpace(out)
}

func (w *bundleWorld) ref(tag string) string {
	return "oci://" + w.reg.Host + "/acme/capability:" + tag
}

// runRef runs a reference with --json and returns the exit code and the
// report.
func (w *bundleWorld) runRef(t *testing.T, home, ref string, extra ...string) (int, map[string]any) {
	t.Helper()
	args := append([]string{"run", ref, "--input", w.input, "--policy", w.policy, "--json"}, extra...)
	code, out, errOut := w.cli(t, home, args...)
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("run %s: report is not JSON (%v): %s\n%s", ref, err, out, errOut)
	}
	return code, rep
}

// receiptBody decodes the receipt in a run report.
func receiptBody(t *testing.T, rep map[string]any) receipts.Receipt {
	t.Helper()
	raw, _ := json.Marshal(rep["receipt"])
	var env receipts.Envelope
	if err := json.Unmarshal(raw, &env); err != nil || env.Body == nil {
		t.Fatalf("no receipt in %v (%v)", rep, err)
	}
	var r receipts.Receipt
	if err := json.Unmarshal(env.Body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// refused asserts a run was refused before anything ran: exit 4, the
// error code, a message naming what, and a BLOCK receipt with the reason.
func refused(t *testing.T, code int, rep map[string]any, wantCode string, wantMsg ...string) {
	t.Helper()
	e, _ := rep["error"].(map[string]any)
	if code != exitInvalid || e == nil || e["code"] != wantCode {
		t.Fatalf("exit %d, error %v; want exit 4 with %s", code, rep["error"], wantCode)
	}
	for _, m := range wantMsg {
		if !strings.Contains(e["message"].(string), m) {
			t.Errorf("message %q lacks %q", e["message"], m)
		}
	}
	if out, _ := rep["outputs"].(map[string]any); len(out) != 0 {
		t.Errorf("a refused run has outputs %v", out)
	}
	r := receiptBody(t, rep)
	if r.Decision != receipts.DecisionBlock || r.Status != "refused" || r.Error == nil || r.Error.Code != wantCode || len(r.Plugins) != 0 || len(r.Actions) != 0 {
		t.Errorf("receipt: decision %s status %s error %v plugins %v actions %v", r.Decision, r.Status, r.Error, r.Plugins, r.Actions)
	}
}

func TestBundlePublishPullRunEndToEnd(t *testing.T) {
	t.Parallel()
	w := newBundleWorld(t)
	file := w.capability(t, "v1.")
	md := w.publish(t, file, "v1", w.trusted)

	// A fresh home pulls, verifies, pins and runs; the receipt records
	// the bundle and its signer.
	home := t.TempDir()
	code, rep := w.runRef(t, home, w.ref("v1"))
	if code != exitPass || rep["status"] != "PASS" {
		t.Fatalf("run by reference: exit %d, %v", code, rep["error"])
	}
	r := receiptBody(t, rep)
	b := r.Capability.Bundle
	if b == nil || b.Signer != w.trustedID || b.Manifest != md || b.Ref != w.ref("v1") || b.Digest != rep["bundle_digest"] || !strings.HasPrefix(b.Digest, "sha256:") {
		t.Fatalf("receipt bundle %+v, report bundle %v", b, rep["bundle_digest"])
	}
	lock, err := os.ReadFile(filepath.Join(home, "enact.lock"))
	if err != nil || !strings.Contains(string(lock), md) || !strings.Contains(string(lock), w.trustedID) {
		t.Fatalf("lock file: %v\n%s", err, lock)
	}

	// verify is offline and says what it checked.
	code, out, _ := w.cli(t, home, "verify", w.ref("v1"), "--policy", w.policy, "--json")
	var vr verifyReport
	if err := json.Unmarshal([]byte(out), &vr); err != nil || code != exitPass || !vr.OK || vr.Bundle != b.Digest || vr.Signer != w.trustedID || len(vr.Files) != 2 || vr.Lock == nil || !vr.Lock.Matches {
		t.Fatalf("verify: exit %d %+v (%v)", code, vr, err)
	}
	// verify takes a cached bundle's directory too.
	dirs, _ := filepath.Glob(filepath.Join(home, "bundles", "sha256", "*"))
	if len(dirs) != 1 {
		t.Fatalf("cache holds %v", dirs)
	}
	if code, out, errOut := w.cli(t, home, "verify", dirs[0], "--policy", w.policy); code != exitPass || !strings.Contains(out, "OK         signed by "+w.trustedID) {
		t.Fatalf("verify DIR: exit %d: %s %s", code, out, errOut)
	}
	// Credentials from the environment instead of the Docker config
	// file; none at all is refused, saying where credentials come from.
	envOnly := &bundleWorld{reg: w.reg, env: map[string]string{"ENACT_REGISTRY_USERNAME": w.reg.Username, "ENACT_REGISTRY_PASSWORD": w.reg.Password, "ENACT_REGISTRY_HOST": w.reg.Host, "DOCKER_CONFIG": t.TempDir()}}
	if code, _, errOut := envOnly.cli(t, t.TempDir(), "push", file, w.ref("env"), "--unsigned"); code != exitPass {
		t.Fatalf("push with credentials from the environment: exit %d: %s", code, errOut)
	}
	anon := &bundleWorld{reg: w.reg, env: map[string]string{"DOCKER_CONFIG": t.TempDir()}}
	if code, _, errOut := anon.cli(t, t.TempDir(), "push", file, w.ref("anon"), "--unsigned"); code != exitInternal || !strings.Contains(errOut, "not authorized") || !strings.Contains(errOut, "ENACT_REGISTRY_USERNAME") {
		t.Fatalf("push without credentials: exit %d: %s", code, errOut)
	}
	// The same capability from a local file records the same bundle
	// digest, and its signer since FILE.sig is trusted... only for the
	// registry's repositories: a local file is unsigned here.
	code, lrep := w.runRef(t, home, file)
	if lb := receiptBody(t, lrep).Capability.Bundle; code != exitPass || lb == nil || lb.Digest != b.Digest || lb.Signer != "" {
		t.Fatalf("local run: exit %d, bundle %+v", code, lb)
	}

	// The tag moves: a run by the pinned home keeps the pinned bundle
	// (from the cache), a pull says what changed and how to accept it,
	// and a fresh home sharing the lock file refuses the moved tag.
	md2 := w.publish(t, w.capability(t, "v2."), "v1", w.trusted)
	code, rep = w.runRef(t, home, w.ref("v1"))
	if code != exitPass || receiptBody(t, rep).Capability.Bundle.Manifest != md {
		t.Fatalf("a pinned run after the tag moved: exit %d %v", code, rep["error"])
	}
	code, _, errOut := w.cli(t, home, "pull", w.ref("v1"), "--policy", w.policy)
	if code != exitInvalid || !strings.Contains(errOut, "moved") || !strings.Contains(errOut, md2) || !strings.Contains(errOut, "pull --update") {
		t.Fatalf("pull of a moved tag: exit %d: %s", code, errOut)
	}
	code, rep = w.runRef(t, t.TempDir(), w.ref("v1"), "--lock", filepath.Join(home, "enact.lock"))
	refused(t, code, rep, "bundle_lock_mismatch", "moved", md, md2)
	code, out, errOut = w.cli(t, home, "pull", w.ref("v1"), "--policy", w.policy, "--update")
	if code != exitPass || !strings.Contains(out, md2) {
		t.Fatalf("pull --update: exit %d: %s %s", code, out, errOut)
	}
	code, rep = w.runRef(t, home, w.ref("v1"))
	if code != exitPass || receiptBody(t, rep).Capability.Bundle.Manifest != md2 {
		t.Fatalf("after pull --update: exit %d %v", code, rep["error"])
	}

	// Another signer for the pinned bundle: the same files signed by the
	// other key (which a second policy trusts instead) are refused
	// against the pin until accepted.
	w.publish(t, w.capability(t, "v2."), "v1", w.untrusted)
	fresh := t.TempDir()
	code, out, errOut = w.cli(t, fresh, "run", w.ref("v1"), "--input", w.input, "--policy", w.otherPolicy, "--lock", filepath.Join(home, "enact.lock"), "--json")
	var srep map[string]any
	if err := json.Unmarshal([]byte(out), &srep); err != nil {
		t.Fatalf("%v: %s %s", err, out, errOut)
	}
	refused(t, code, srep, "bundle_lock_mismatch", "signer changed", w.trustedID, w.otherID)
	// Accepting it where the bundle is already cached fetches the new
	// signature too.
	code, _, errOut = w.cli(t, home, "pull", w.ref("v1"), "--policy", w.otherPolicy, "--update")
	if code != exitPass {
		t.Fatalf("pull --update for a new signer: exit %d: %s", code, errOut)
	}
	code, out, errOut = w.cli(t, home, "run", w.ref("v1"), "--input", w.input, "--policy", w.otherPolicy, "--json")
	if err := json.Unmarshal([]byte(out), &srep); err != nil || code != exitPass || receiptBody(t, srep).Capability.Bundle.Signer != w.otherID {
		t.Fatalf("run after accepting the new signer: exit %d %v %s", code, srep["error"], errOut)
	}
}

func TestBundleRefusals(t *testing.T) {
	t.Parallel()
	w := newBundleWorld(t)
	w.publish(t, w.capability(t, "unsigned."), "unsigned")
	w.publish(t, w.capability(t, "untrusted."), "untrusted", w.untrusted)
	tampered := w.capabilityWith(t, "tampered.", "tampered")
	w.publish(t, tampered, "tampered", w.trusted)

	// Flip one byte of the plugin's blob in the registry's storage.
	pin := ""
	for _, l := range strings.Split(string(mustRead(t, tampered)), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "sha256: "); ok {
			pin = s
		}
	}
	blob := w.reg.BlobPath("sha256:" + pin)
	data := mustRead(t, blob)
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "oci://" + l.Addr().String() + "/acme/capability:v1"
	l.Close()

	for _, tc := range []struct {
		name, ref, code string
		msg             []string
	}{
		{"unsigned", w.ref("unsigned"), "bundle_unsigned", []string{"no signature", "enact-run sign"}},
		{"untrusted signer", w.ref("untrusted"), "bundle_untrusted", []string{w.otherID, w.trustedID}},
		{"tampered layer", w.ref("tampered"), "bundle_digest_mismatch", []string{"greet.wasm", "does not match its digest"}},
		{"registry down", down, "bundle_unavailable", []string{"unreachable", "connection refused"}},
		{"no such tag", w.ref("nope"), "bundle_unavailable", []string{"not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			code, rep := w.runRef(t, home, tc.ref)
			refused(t, code, rep, tc.code, tc.msg...)
			if entries, _ := os.ReadDir(filepath.Join(home, "bundles", "sha256")); len(entries) != 0 {
				t.Errorf("a refused bundle was cached: %v", entries)
			}
			if _, err := os.Stat(filepath.Join(home, "enact.lock")); err == nil {
				t.Errorf("a refused bundle was pinned")
			}
		})
	}
}

func TestBundleLocalFilesAndRequireSignatures(t *testing.T) {
	t.Parallel()
	w := newBundleWorld(t)
	file := w.capability(t, "local.")
	strict := writeTB(t, w.dir, "strict.yaml", fmt.Sprintf("version: 1\nallow: [\"kv.*\"]\ntrust:\n  require_signatures: true\n  signers:\n    - key_id: %s\n", w.trustedID))
	home := t.TempDir()
	run := func(pol string) (int, map[string]any) {
		code, out, errOut := w.cli(t, home, "run", file, "--input", w.input, "--policy", pol, "--json")
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v: %s %s", err, out, errOut)
		}
		return code, rep
	}
	code, rep := run(strict)
	refused(t, code, rep, "bundle_unsigned", "has no signature file", "enact-run sign")
	w.cli(t, home, "sign", file, "--key", w.untrusted)
	code, rep = run(strict)
	refused(t, code, rep, "bundle_untrusted", w.otherID)
	w.cli(t, home, "sign", file, "--key", w.trusted)
	code, rep = run(strict)
	if b := receiptBody(t, rep).Capability.Bundle; code != exitPass || b == nil || b.Signer != w.trustedID {
		t.Fatalf("signed local file: exit %d, bundle %+v, %v", code, b, rep["error"])
	}
	// The plugin changes after signing: the digest no longer matches.
	wasm := filepath.Join(filepath.Dir(file), "greet.wasm")
	data := mustRead(t, wasm)
	if err := os.WriteFile(wasm, append(data, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := w.cli(t, home, "verify", file, "--policy", strict, "--json")
	var vr verifyReport
	if err := json.Unmarshal([]byte(out), &vr); err != nil || code != exitInvalid || vr.OK || vr.Code != "bundle_digest_mismatch" {
		t.Fatalf("verify of a changed plugin: exit %d %+v", code, vr)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeTB(t testing.TB, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// serve --ref serves a pulled bundle: its runs' receipts record it, and a
// reference that cannot be trusted stops the server from starting.
func TestServeRunsAReference(t *testing.T) {
	t.Parallel()
	w := newBundleWorld(t)
	w.publish(t, w.capability(t, "served."), "served", w.trusted)
	home := t.TempDir()
	if code, _, errOut := w.cli(t, home, "pull", w.ref("served"), "--policy", w.policy); code != exitPass {
		t.Fatalf("pull: %d %s", code, errOut)
	}
	base := startServeIn(t, home, "--ref", w.ref("served"), "--policy", w.policy, "--anonymous-actor", "ops@acme.com", "--no-shipped")
	resp, err := http.Post(base+"/v1/runs", "application/json", strings.NewReader(`{"capability": "Greet", "inputs": {"name": "Ada"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || rep["status"] != "PASS" {
		t.Fatalf("run: %d %v", resp.StatusCode, rep)
	}
	resp, err = http.Get(base + "/v1/receipts/" + rep["receipt_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var env receipts.Envelope
	_ = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	var r receipts.Receipt
	if err := json.Unmarshal(env.Body, &r); err != nil || r.Capability.Bundle == nil || r.Capability.Bundle.Signer != w.trustedID || r.Capability.Bundle.Ref != w.ref("served") {
		t.Fatalf("receipt bundle: %+v (%v)", r.Capability.Bundle, err)
	}
	code, _, errOut := w.cli(t, home, "serve", "--ref", w.ref("served"), "--policy", w.otherPolicy, "--addr", "127.0.0.1:1")
	if code != exitInvalid || !strings.Contains(errOut, "bundle: signed by no trusted key") {
		t.Fatalf("serve with an untrusted reference: exit %d: %s", code, errOut)
	}
}

// A composite imports a capability by its signed bundle reference: the
// run pulls, verifies and pins it, and runs it as a step.
func TestCompositeImportsABundleReference(t *testing.T) {
	t.Parallel()
	w := newBundleWorld(t)
	file := w.capability(t, "imported.")
	w.publish(t, file, "step", w.trusted)
	dir := t.TempDir()
	flow := writeTB(t, dir, "flow.yaml", `enact: 1.0.0
id: GreetFlow
description: greets through an imported bundle
type: composite
imports:
  - {id: Greet, version: 1.0.0, ref: "`+w.ref("step")+`"}
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
flow:
  steps:
    - capability: Greet
      inputs: {name: "{{ inputs.name }}"}
outputs:
  type: object
  source: {step: "{{ steps.Greet.status }}"}
`)
	home := t.TempDir()
	code, out, errOut := w.cli(t, home, "run", flow, "--input", `{"name": "Ada"}`, "--policy", w.policy, "--json")
	var rep compositeReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitPass || len(rep.Steps) != 1 || rep.Steps[0].Status != "passed" {
		t.Fatalf("composite over a bundle reference: exit %d %v\n%s\n%s", code, err, out, errOut)
	}
	if lock, err := os.ReadFile(filepath.Join(home, "enact.lock")); err != nil || !strings.Contains(string(lock), w.trustedID) {
		t.Errorf("the imported bundle was not pinned: %v\n%s", err, lock)
	}
	// An unsigned bundle under the same import is refused before any step.
	w.publish(t, w.capability(t, "unsigned."), "step-unsigned")
	bad := writeTB(t, dir, "bad.yaml", strings.Replace(mustReadString(t, flow), w.ref("step"), w.ref("step-unsigned"), 1))
	code, out, _ = w.cli(t, t.TempDir(), "run", bad, "--input", `{"name": "Ada"}`, "--policy", w.policy, "--json")
	if code != exitInvalid || !strings.Contains(out, "unsigned") {
		t.Errorf("an unsigned imported bundle: exit %d\n%s", code, out)
	}
}

func mustReadString(t testing.TB, path string) string { return string(mustRead(t, path)) }
