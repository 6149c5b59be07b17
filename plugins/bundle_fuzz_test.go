package plugins_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
)

// bundleHead is a capability with one prebuilt task; SHA is replaced by the
// digest of the fuzzed plugin bytes so that the fuzzer reaches the checks
// behind the digest (magic number, imports, declared sizes).
const bundleHead = `enact: 1.0.0
id: Fuzzed
description: fuzzed bundle
version: 1.0.0
type: atomic
`

const bundleTask = `tasks:
  - id: w
    type: wasm
    plugin: {path: p.wasm, sha256: SHA}
`

// FuzzBundle feeds a capability document and the plugin file it refers to
// (a capability bundle as it sits on disk) through LoadFile and Build. Any
// outcome is fine except a panic, an error outside the packages' own
// error types, or a plugin that Build accepts while its checks should have
// refused it.
func FuzzBundle(f *testing.F) {
	textstats, err := os.ReadFile(filepath.Join("examples", "textstats", "textstats.wasm"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(bundleHead+bundleTask), textstats[:min(len(textstats), 8192)])
	f.Add([]byte(bundleHead+bundleTask), []byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte(bundleHead+bundleTask), module([2]string{"env", "f"}))
	f.Add([]byte(bundleHead+bundleTask+"env: {resources: {memory: 1MiB}}\n"), []byte("\x00asm\x01\x00\x00\x00\x04\x04\x01\x70\x00\x7f"))
	f.Add([]byte(bundleHead+"tasks:\n  - {id: w, type: wasm, plugin: {path: ../p.wasm, sha256: SHA}}\n"), []byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, doc, wasm []byte) {
		sum := sha256.Sum256(wasm)
		doc = bytes.ReplaceAll(doc, []byte("SHA"), []byte(hex.EncodeToString(sum[:])))
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "cap.yaml"), doc, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "p.wasm"), wasm, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := capabilities.LoadFile(filepath.Join(dir, "cap.yaml"))
		if err != nil {
			var ve *capabilities.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("LoadFile failed with %T: %v", err, err)
			}
			return
		}
		if c.Type != "atomic" {
			return
		}
		ps, err := plugins.Build(c)
		if err != nil {
			var te *plugins.TaskError
			if !errors.As(err, &te) || te.Task == "" || err.Error() == "" {
				t.Fatalf("Build failed without naming a task: %T %v", err, err)
			}
			return
		}
		if len(ps) != len(c.Tasks) {
			t.Fatalf("%d plugins for %d tasks", len(ps), len(c.Tasks))
		}
		for _, p := range ps {
			if p.Kind() != plugins.KindWasm {
				continue
			}
			// An accepted prebuilt plugin is a Wasm module whose imports
			// all belong to the sandbox's ABI.
			if !bytes.HasPrefix(p.Wasm(), []byte("\x00asm\x01\x00\x00\x00")) {
				t.Fatalf("accepted a plugin without the Wasm header")
			}
			if err := plugins.CheckImports(p.Wasm()); err != nil {
				t.Fatalf("accepted a plugin whose imports fail the check: %v", err)
			}
		}
	})
}
