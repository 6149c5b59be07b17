package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// invoke runs the CLI in-process with its own ENACT_HOME.
func invoke(t *testing.T, home, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := testEnv(home, nil)
	code := run(testContext(t), args, strings.NewReader(stdin), &stdout, &stderr, getenv)
	return code, stdout.String(), stderr.String()
}

const examples = "../../capabilities/examples/"

func TestRun(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	slow := filepath.Join(t.TempDir(), "slow.yaml")
	if err := os.WriteFile(slow, []byte("enact: 1.0.0\nid: Slow\ndescription: loops\nenv:\n  resources:\n    timeout: 500ms\ntasks:\n  - id: spin\n    type: script\n    language: js\n    code: for (;;) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"shipped example by id", "", []string{"run", "TemperatureConverter", "--input", `{"celsius": 100}`}, exitPass, []string{`"fahrenheit": 212`}, nil},
		{"file with printed output", "", []string{"run", examples + "hello-world.yaml"}, exitPass, []string{"Hello World\n"}, nil},
		{"javascript from stdin", `{"celsius": 37}`, []string{"run", "TemperatureConverterJS", "--input", "@-"}, exitPass, []string{`"fahrenheit": 98.6`}, nil},
		{"invalid input", "", []string{"run", examples + "simple-converter.yaml", "--input", `{"celsius": -500}`}, exitInvalid, nil, []string{"invalid_input", "/celsius", "minimum"}},
		{"missing required input", "", []string{"run", "SimpleConverter"}, exitInvalid, nil, []string{"celsius"}},
		{"unknown capability", "", []string{"run", "NoSuchThing"}, exitInvalid, nil, []string{"NoSuchThing", "TemperatureConverter"}},
		{"input not json", "", []string{"run", "SimpleConverter", "--input", "{celsius"}, exitUsage, nil, []string{"--input"}},
		{"input not an object", "", []string{"run", "SimpleConverter", "--input", "[1]"}, exitUsage, nil, []string{"JSON object"}},
		{"timeout", "", []string{"run", slow}, exitFailed, nil, []string{"timeout", "spin"}},
		{"no arguments", "", []string{"run"}, exitUsage, nil, []string{"accepts 1 arg"}},
		{"unknown command", "", []string{"frobnicate"}, exitUsage, nil, []string{"unknown command"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := invoke(t, home, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout %q lacks %q", stdout, want)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
		})
	}
}

func TestRunJSON(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	decode := func(t *testing.T, s string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s", err, s)
		}
		for _, k := range []string{"status", "outputs", "receipt_id", "receipt", "error"} {
			if _, ok := m[k]; !ok {
				t.Errorf("missing contract field %q", k)
			}
		}
		return m
	}
	code, stdout, _ := invoke(t, home, "", "run", "SimpleConverter", "--input", `{"celsius": 100}`, "--json")
	m := decode(t, stdout)
	if code != exitPass || m["status"] != "PASS" || m["error"] != nil {
		t.Errorf("code %d, report %v", code, m)
	}
	if got := m["outputs"].(map[string]any)["fahrenheit"]; got != 212.0 {
		t.Errorf("fahrenheit = %v", got)
	}
	code, stdout, _ = invoke(t, home, "", "run", "SimpleConverter", "--input", `{"celsius": "hot"}`, "--json")
	m = decode(t, stdout)
	if code != exitInvalid || m["status"] != "FAILED" {
		t.Errorf("code %d, report %v", code, m)
	}
	if e, _ := m["error"].(map[string]any); e == nil || e["code"] != "invalid_input" {
		t.Errorf("error = %v", m["error"])
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	code, stdout, _ := invoke(t, home, "", "validate", examples+"hello-world.yaml", examples+"temperature-converter.yaml", examples+"temperature-converter-js.yaml")
	if code != exitPass || strings.Count(stdout, "ok ") != 3 {
		t.Errorf("code %d\n%s", code, stdout)
	}
	// The protocol's DataAnalyzer is a valid document: the packages the
	// sandbox lacks are warnings, and errors with --strict.
	analyzer := "../../capabilities/testdata/protocol/data-analyzer.yaml"
	code, stdout, _ = invoke(t, home, "", "validate", examples+"hello-world.yaml", analyzer)
	if code != exitPass || strings.Count(stdout, "ok ") != 2 || !strings.Contains(stdout, "warning: ") {
		t.Errorf("code %d, want %d:\n%s", code, exitPass, stdout)
	}
	code, stdout, _ = invoke(t, home, "", "validate", "--strict", analyzer)
	if code != exitInvalid {
		t.Errorf("--strict: code %d, want %d", code, exitInvalid)
	}
	for _, want := range []string{"FAIL", "pandas", "numpy", "matplotlib", "analyzeData"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("validate output lacks %q:\n%s", want, stdout)
		}
	}

	// Declared actions: a typo gets a suggestion; an action the policy in
	// effect does not allow would be blocked, so it is reported; under the
	// workflow's own policy the same file is valid. A memory limit below
	// the interpreter's floor is reported too.
	dir := t.TempDir()
	typo := writeFile(t, dir, "typo.yaml", "enact: 1.0.0\nid: Typo\ndescription: x\nx-enact:\n  actions: [kv.pt]\nenv:\n  resources:\n    memory: 8MiB\ntasks:\n  - id: t\n    type: script\n    language: python\n    code: \"1\"\n")
	code, stdout, _ = invoke(t, home, "", "validate", typo, workflows+"agent_pr_workflow.yaml")
	for _, want := range []string{"kv.pt is no action of this runner's connectors (did you mean kv.put?)",
		"github.create_pr is not allowed by the policy in effect (the built-in default policy)",
		"env.resources.memory: 8 MiB is below what the python engine needs to start (20 MiB)"} {
		if code != exitInvalid || !strings.Contains(stdout, want) {
			t.Errorf("validate: code %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
	code, stdout, _ = invoke(t, home, "", "validate", "--policy", workflows+"agent_pr_workflow.policy.yaml", workflows+"agent_pr_workflow.yaml")
	if code != exitPass || !strings.Contains(stdout, "ok ") {
		t.Errorf("validate under the workflow's policy: code %d\n%s", code, stdout)
	}
}

// TestValidateProtocolAndUpstreamExamples validates every full example of
// the protocol document and every upstream 1.0 example: all pass but the
// tasks the sandbox cannot run, which fail naming their type and why.
func TestValidateProtocolAndUpstreamExamples(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	const data = "../../capabilities/testdata/"
	var files []string
	for _, name := range []string{"data-analyzer", "env-vars", "error-handling", "hello-world", "resources", "simple-converter", "temperature-converter"} {
		files = append(files, data+"protocol/"+name+".yaml")
	}
	for _, name := range []string{"hello-world", "entry-point", "dependencies", "inputs-map", "env-vars-map", "env-vars-list"} {
		files = append(files, data+"upstream/"+name+".yaml")
	}
	code, stdout, _ := invoke(t, home, "", append([]string{"validate"}, files...)...)
	if code != exitPass || strings.Count(stdout, "ok ") != len(files) {
		t.Errorf("code %d:\n%s", code, stdout)
	}
	for typ, why := range map[string]string{
		"shell":   "shell tasks never run in the Enact sandbox",
		"agent":   "agent tasks are not supported yet",
		"prompt":  "prompt tasks are not supported yet",
		"request": "request tasks are not supported yet",
	} {
		code, stdout, _ := invoke(t, home, "", "validate", data+"upstream/task-"+typ+".yaml")
		if code != exitInvalid || !strings.Contains(stdout, "has type "+typ+": "+why) || strings.Contains(stdout, "enum") {
			t.Errorf("%s: code %d:\n%s", typ, code, stdout)
		}
	}
}

func TestBuildWritesContentAddressedArtifacts(t *testing.T) {
	t.Parallel()
	home, out := t.TempDir(), t.TempDir()
	code, stdout, stderr := invoke(t, home, "", "build", "../../plugins/examples/textstats/textstats.yaml", "-o", out)
	if code != exitPass {
		t.Fatalf("code %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = invoke(t, home, "", "build", examples+"temperature-converter-js.yaml", "-o", out, "--json")
	var printed buildManifest
	if err := json.Unmarshal([]byte(stdout), &printed); code != exitPass || err != nil || printed.Capability != "TemperatureConverterJS" ||
		len(printed.Tasks) != 1 || !strings.HasPrefix(printed.Tasks[0].Artifact, "sha256-") {
		t.Fatalf("build --json: code %d, %v\n%s\n%s", code, err, stdout, stderr)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	addressed := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "sha256-") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if want := "sha256-" + hex.EncodeToString(sum[:]); !strings.HasPrefix(name, want+".") {
			t.Errorf("%s holds bytes with digest %s", name, want)
		}
		addressed++
	}
	// textstats.wasm, the QuickJS engine and the script artifact.
	if addressed != 3 {
		t.Errorf("%d content-addressed files, want 3: %v", addressed, entries)
	}
	var m buildManifest
	data, err := os.ReadFile(filepath.Join(out, "plugins.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Capability != "TemperatureConverterJS" || len(m.Tasks) != 1 || m.Tasks[0].Language != "javascript" {
		t.Errorf("manifest = %+v", m)
	}
}

func TestHelpExplainsItself(t *testing.T) {
	t.Parallel()
	code, stdout, _ := invoke(t, t.TempDir(), "", "--help")
	if code != exitPass {
		t.Errorf("code %d", code)
	}
	for _, want := range []string{"run", "validate", "build", "Exit codes", "ENACT_HOME"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestValidateChecksThePluginExport(t *testing.T) {
	t.Parallel()
	src := filepath.Join("..", "..", "plugins", "examples", "textstats")
	dir := t.TempDir()
	for _, f := range []string{"textstats.wasm", "textstats.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "textstats.yaml" {
			b = []byte(strings.Replace(string(b), "function: run", "function: nosuch", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, _ := invoke(t, t.TempDir(), "", "validate", filepath.Join(dir, "textstats.yaml"))
	if code != exitInvalid || !strings.Contains(stdout, `"nosuch" is no function named so; it exports _initialize, run`) {
		t.Errorf("code %d, want %d naming the exports:\n%s", code, exitInvalid, stdout)
	}
}

// TestRunKeepsTheInputsKeyOrder runs a JavaScript task that prints its
// inputs' keys: they arrive in the order of --input, not sorted.
func TestRunKeepsTheInputsKeyOrder(t *testing.T) {
	t.Parallel()
	doc := filepath.Join(t.TempDir(), "keys.yaml")
	if err := os.WriteFile(doc, []byte("enact: 1.0.0\nid: Keys\ndescription: prints its inputs' keys\ntasks:\n  - id: keys\n    type: script\n    language: js\n    code: |\n      console.log(Object.keys(inputs).join(' '), Object.keys(inputs.nested).join(' '));\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := invoke(t, t.TempDir(), `{"zeta": 1, "alpha": 2, "nested": {"y": 1, "b": 2}, "mid": 3}`, "run", doc, "--input", "@-")
	if code != exitPass || !strings.Contains(stdout, "zeta alpha nested mid y b\n") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// Every command that prints a result has --json (serve and mcp print
// logs, not results); keygen, sign and policy test print what they did as
// one JSON object.
func TestJSONOnEveryCommand(t *testing.T) {
	t.Parallel()
	root := (&cli{}).rootCommand()
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			switch sub.Name() {
			case "help", "completion", "serve", "mcp":
				continue
			}
			if sub.Runnable() && sub.Flags().Lookup("json") == nil {
				t.Errorf("%s has no --json", sub.CommandPath())
			}
			walk(sub)
		}
	}
	walk(root)

	home, dir := t.TempDir(), t.TempDir()
	code, stdout, stderr := invoke(t, home, "", "keygen", "--out", filepath.Join(dir, "k"), "--json")
	var key struct{ KeyID, PrivateKey, PublicKey string }
	if err := json.Unmarshal([]byte(strings.NewReplacer(`"key_id"`, `"KeyID"`, `"private_key"`, `"PrivateKey"`, `"public_key"`, `"PublicKey"`).Replace(stdout)), &key); err != nil ||
		code != exitPass || !strings.HasPrefix(key.KeyID, "ecdsa-p256:") || key.PrivateKey != filepath.Join(dir, "k.key") {
		t.Fatalf("keygen --json: %d %v %s %s", code, err, stdout, stderr)
	}
	capDir := t.TempDir()
	for _, f := range []string{"greet.yaml", "greet.wasm"} {
		if err := os.WriteFile(filepath.Join(capDir, f), mustRead(t, filepath.Join("../../plugins/examples/greet", f)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr = invoke(t, home, "", "sign", filepath.Join(capDir, "greet.yaml"), "--key", key.PrivateKey, "--json")
	var signed map[string]any
	if err := json.Unmarshal([]byte(stdout), &signed); err != nil || code != exitPass || signed["key_id"] != key.KeyID || signed["capability"] != "Greet" {
		t.Errorf("sign --json: %d %v %s %s", code, err, stdout, stderr)
	}
	code, stdout, _ = invoke(t, home, "", "policy", "test", "../../examples/policy.yaml", "../../examples/cases.yaml", "--json")
	var cases struct {
		OK     bool `json:"ok"`
		Passed int  `json:"passed"`
	}
	if err := json.Unmarshal([]byte(stdout), &cases); err != nil || code != exitPass || !cases.OK || cases.Passed != 4 {
		t.Errorf("policy test --json: %d %v %s", code, err, stdout)
	}
}
