package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/enact-run/enact"
	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/cmd/enact-run/internal/report"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/initgc"
	"github.com/enact-run/enact/plugins"
	"github.com/enact-run/enact/plugins/registry"
	"github.com/enact-run/enact/policy"
	"github.com/enact-run/enact/receipts"
	"github.com/enact-run/enact/runtime"
)

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	code           int

	// Root flags.
	storeURL     string        // --store
	keyRetention time.Duration // --key-retention

	// log is the server log of serve and mcp (--log-level, --log-format);
	// nil until one of them sets it up.
	log *slog.Logger
}

// fail records the exit code and returns err so cobra prints it once.
func (c *cli) fail(code int, err error) error {
	c.code = code
	return err
}

func (c *cli) printf(w io.Writer, format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "enact-run",
		Short: "Run Enact Protocol capabilities in a WebAssembly sandbox",
		Long: `enact-run runs capabilities: YAML documents in the Enact Protocol whose tasks
(Python or JavaScript scripts, or prebuilt Extism plugins) execute inside a
WebAssembly sandbox with no filesystem, no network and no environment but the
variables the operator supplies (secrets), under a
memory limit and a deadline.

Try it:
  enact-run run TemperatureConverter --input '{"celsius": 100}'
  enact-run run capabilities/examples/hello-world.yaml
  enact-run validate my-capability.yaml

Exit codes: 0 passed, 1 the run failed, 2 bad command line, 3 a policy
blocked the run (or the capability declares actions the policy does not
allow), 4 invalid capability or inputs (nothing ran), 5 the runner itself
failed, 6 the idempotency key is held by another request or an unfinished
run, 7 the runner lacks a connector the capability needs (nothing ran),
8 an action is held for a person's approval (status PENDING: approve it
with enact-run approvals approve, then retry with the same idempotency key).
State lives under $ENACT_HOME, default ~/.enact: the compilation cache (or
$ENACT_CACHE_DIR), the signing keys (keys/), the receipts (receipts.db),
the embedded key-value store (kv.db), the capability bundles pulled from
registries (bundles/) and their lock file (enact.lock). --store (or
$ENACT_STORE_URL) moves
the receipts, idempotency keys and journal to a Postgres database that a
fleet of runners shares.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// The collector was held off while the packages initialised
		// (package initgc); a command gets it back before it runs. --help
		// and usage errors, which only print, exit without it.
		PersistentPreRun: func(*cobra.Command, []string) { initgc.Restore() },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&c.storeURL, "store", "", "receipt store: a postgres:// URL shared by many runners, or an SQLite file (default $ENACT_STORE_URL, else $ENACT_HOME/receipts.db)")
	pf.DurationVar(&c.keyRetention, "key-retention", 0, "how long idempotency keys are remembered (default $ENACT_KEY_RETENTION, else 24h)")
	root.AddCommand(c.runCommand(), c.validateCommand(), c.buildCommand(), c.receiptsCommand(), c.policyCommand(), c.mcpCommand(), c.serveCommand(), c.recoverCommand())
	root.AddCommand(c.bundleCommands()...)
	root.AddCommand(c.versionCommand(), c.tokenCommand(), c.approvalsCommand())
	return root
}

// home returns $ENACT_HOME or ~/.enact.
func (c *cli) home() (string, error) {
	if h := c.getenv("ENACT_HOME"); h != "" {
		return h, nil
	}
	dir, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a home directory for state; set ENACT_HOME: %w", err)
	}
	return filepath.Join(dir, ".enact"), nil
}

// engine creates the runtime with the on-disk compilation cache; release
// closes it when the command is done with it.
func (c *cli) engine(ctx context.Context) (engine *runtime.Engine, release func(), err error) {
	cache, err := c.cacheDir()
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, nil, fmt.Errorf("compilation cache %s is not writable: %w", cache, err)
	}
	if e := c.sharedEngine(ctx, cache, ""); e != nil {
		return e, func() {}, nil
	}
	e, err := runtime.New(runtime.Config{CacheDir: cache, Preparing: c.preparingNotice(cache)})
	if err != nil {
		return nil, nil, err
	}
	return e, func() { _ = e.Close(context.WithoutCancel(ctx)) }, nil
}

// engineHook is a test hook (this package's tests are its only users): it
// returns an engine already prepared for the compilation cache cache and a
// policy file policyPath ("" for the built-in policy, or for commands that
// run nothing), or nil to have the command create its own. An engine it
// returns must be configured exactly as the command's own would be
// (runtime.Config{CacheDir: cache}: no pool, no progress notice, and
// PluginConfig answering nil, so the hook declines a policy with a
// plugin_config section); it may be shared by concurrent commands and
// outlives them, so they do not close it. Creating and preparing engines
// (CPython loaded from the cache) is most of an in-process run's cost in
// tests, which run the CLI about a hundred times.
type engineHook func(cache, policyPath string) *runtime.Engine

// engineHookKey is the context key of an engineHook. The program never
// sets one; a test passes it in run's context.
type engineHookKey struct{}

// sharedEngine returns the engine ctx's engineHook gives, or nil: always
// nil in the program, and nil when the command's engine would show a
// progress notice (standard error is a terminal), which a prepared engine
// would skip. The caller must not close the engine.
func (c *cli) sharedEngine(ctx context.Context, cache, policyPath string) *runtime.Engine {
	hook, _ := ctx.Value(engineHookKey{}).(engineHook)
	if hook == nil || c.preparingNotice(cache) != nil {
		return nil
	}
	return hook(cache, policyPath)
}

// cacheDir is the on-disk compilation cache: $ENACT_CACHE_DIR, else
// $ENACT_HOME/cache/wazero. Several homes (and processes) may share one:
// entries are written whole and renamed into place.
func (c *cli) cacheDir() (string, error) {
	if d := c.getenv("ENACT_CACHE_DIR"); d != "" {
		return d, nil
	}
	home, err := c.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "cache", "wazero"), nil
}

// isFileRef says whether load would read ref as a file.
func isFileRef(ref string) bool {
	_, err := os.Stat(ref)
	return err == nil || strings.ContainsAny(ref, `/\`) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml")
}

// refuseBundle records the refusal of a bundle that may not run (a
// receipt with the reason, decision BLOCK, status refused) and ends the
// command with exit code 4. Nothing ran.
func (c *cli) refuseBundle(ctx context.Context, ref string, f runFlags, pol *policy.Policy, polPath string, err error, failWith func(int, string, error) error, rep *report.Report) error {
	var be *bundleError
	errors.As(err, &be)
	st, serr := c.openState(ctx, stateOptions{policyFile: f.policy, receiptsDir: f.receiptsDir, withRuntime: true, policy: pol, policyPath: polPath})
	if serr != nil {
		return failWith(exitInvalid, be.code, err)
	}
	defer st.Close()
	client, serr := st.client()
	if serr != nil {
		return failWith(exitInvalid, be.code, err)
	}
	var rec *receipts.Bundle
	if registry.IsReference(ref) {
		rec = &receipts.Bundle{Ref: ref}
	}
	res, serr := client.Refuse(ctx, enact.Refusal{
		Capability: &capabilities.Capability{ID: ref},
		Bundle:     rec,
		Actor:      policy.Actor{Email: c.actor(f.actor)},
		Check:      "bundle_trust",
		Code:       be.code,
		Reason:     err.Error(),
	})
	if res != nil {
		rep.FromResult(res, report.Options{})
	}
	if serr != nil {
		return failWith(exitInvalid, be.code, errors.Join(err, serr))
	}
	return failWith(exitInvalid, be.code, fmt.Errorf("refused, nothing ran: %w (receipt %s)", err, res.RunID))
}

// load reads a capability from a file, or finds one by id in dirs (the
// first file there with that id), then among the shipped examples and
// reference workflows by id or file name, when no such file exists.
func (c *cli) load(ref string, dirs ...string) (*capabilities.Capability, error) {
	if _, err := os.Stat(ref); err == nil || strings.ContainsAny(ref, `/\`) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") {
		return capabilities.LoadFile(ref)
	}
	for _, dir := range dirs {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || strings.HasSuffix(n, ".policy.yaml") || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
				continue
			}
			if capability, err := capabilities.LoadFile(filepath.Join(dir, n)); err == nil && capability.ID == ref {
				return capability, nil
			}
		}
	}
	var ids []string
	for _, set := range []map[string][]byte{capabilities.Examples(), capabilities.Workflows()} {
		names := make([]string, 0, len(set))
		for name := range set {
			if !strings.HasSuffix(name, ".policy.yaml") {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			capability, err := capabilities.Load(set[name], "shipped/"+name)
			if err != nil {
				continue
			}
			if capability.ID == ref || strings.TrimSuffix(name, filepath.Ext(name)) == ref {
				return capability, nil
			}
			ids = append(ids, capability.ID)
		}
	}
	return nil, fmt.Errorf("no file %q and no shipped capability with that id (shipped: %s)", ref, strings.Join(ids, ", "))
}

// readInput decodes --input: inline JSON, @file, or @- for standard input.
// It also returns the text, whose key order the tasks' inputs keep.
func (c *cli) readInput(arg string) (map[string]any, []byte, error) {
	if arg == "" {
		return map[string]any{}, nil, nil
	}
	data := []byte(arg)
	if strings.HasPrefix(arg, "@") {
		var err error
		if arg == "@-" {
			data, err = io.ReadAll(io.LimitReader(c.stdin, maxInputBytes+1))
		} else {
			data, err = readLimited(arg[1:], maxInputBytes)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("--input: %w", err)
		}
		if len(data) > maxInputBytes {
			return nil, nil, fmt.Errorf("--input: more than %d MiB", maxInputBytes>>20)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var in map[string]any
	if err := dec.Decode(&in); err != nil {
		return nil, nil, fmt.Errorf("--input must be a JSON object: %w", err)
	}
	if dec.More() {
		return nil, nil, errors.New("--input must be exactly one JSON object")
	}
	if in == nil {
		return nil, nil, errors.New("--input must be a JSON object, not null")
	}
	return in, data, nil
}

const maxInputBytes = 16 << 20

// envFileUsage is the help of --env-file (run, serve, mcp).
const envFileUsage = "file of NAME=value lines giving capabilities' environment variables (env.vars); the policy file's vars and ENACT_VAR_<NAME> take precedence"

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// runFlags are the flags of `run`.
type runFlags struct {
	input, actor, policy, idempotencyKey, receiptsDir, envFile string
	asJSON, dryRun                                             bool
	dirs                                                       []string
	bundle                                                     bundleFlags
}

func (c *cli) runCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE|ID",
		Short: "Run a capability and print its outputs",
		Long: `Run a capability: validate the inputs (applying schema defaults), take the
run-level policy decision, run every task in the sandbox with the gate
answering its action requests, validate the outputs, and seal a signed,
hash-chained receipt.

FILE is a capability YAML file; ID is the id of a shipped example
(HelloWorld, TemperatureConverter, TemperatureConverterJS, SimpleConverter);
oci://HOST/REPO:TAG or oci://HOST/REPO@sha256:DIGEST is a signed capability
bundle in a registry, pulled once into $ENACT_HOME/bundles and pinned in
the lock file (see enact-run pull). A bundle that is unsigned, signed by a
key the policy's trust section does not trust, or does not match its
digests or its pin is refused before anything runs (exit 4, with a receipt).
A composite (type: composite) runs its flow, each step a child run with its
own receipt; its imports are found beside it, in each --dir, then in the
shipped set, and --json lists its steps (id, status, run_id, receipt hash).
What the tasks print is shown first, then the outputs as JSON. With --json,
one JSON object is printed instead:
  {"status": "PASS"|"BLOCK"|"FAILED"|"PENDING", "run_id": "...", "outputs": {...},
   "receipt_id": "...", "receipt": {...}, "error": null|{"code","message","task","trace"},
   "output": "...", "actions": [...], "approval": {"id","state","url","resume"}?, ...}
(the same report the HTTP API answers). An action a policy holds for a
person's approval stops the run with status PENDING (exit 8): the request's
id and the commands to approve it and to retry are printed; see
enact-run approvals.

The policy is --policy, else $ENACT_POLICY, else $ENACT_HOME/policy.yaml,
else the built-in default (every actor may run; only the kv.* actions of the
embedded store are allowed).

The capability's environment variables (env.vars) are secrets the operator
supplies: the policy file's vars for the capability's id, else
ENACT_VAR_<NAME> in this environment, else --env-file. A required one
without a value stops the run before anything runs (exit 4).`,
		Example: `  enact-run run TemperatureConverter --input '{"celsius": 100}'
  enact-run run ./capability.yaml --input @inputs.json --actor agent@acme.com --policy policy.yaml --json
  echo '{"celsius": 37}' | enact-run run TemperatureConverterJS --input @-`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.doRun(cmd.Context(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.input, "input", "i", "", "inputs as a JSON object, @FILE to read a file, @- to read standard input")
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON object with status, outputs, receipt and error")
	fl.StringVar(&f.actor, "actor", "", "email of who the run acts for (default $ENACT_ACTOR, else local@localhost)")
	fl.StringVar(&f.policy, "policy", "", "policy file (allowlist, built-in policies, CEL rules)")
	fl.StringVar(&f.idempotencyKey, "idempotency-key", "", "run key: a second run with the same key and request replays the first's result without executing")
	fl.BoolVar(&f.dryRun, "dry-run", false, "perform reads; check and record writes without performing them")
	fl.StringVar(&f.receiptsDir, "receipts-dir", "", "store receipts as one JSON file each in this directory instead of $ENACT_HOME/receipts.db")
	fl.StringVar(&f.envFile, "env-file", "", envFileUsage)
	fl.StringArrayVar(&f.dirs, "dir", nil, "directory of capability files: an ID is looked for there first, and a composite's imports after the composite's own directory (repeatable)")
	fl.StringVar(&f.bundle.lock, "lock", "", "lock file for oci:// references (default $ENACT_LOCK, else $ENACT_HOME/enact.lock)")
	fl.BoolVar(&f.bundle.plainHTTP, "plain-http", false, "speak plain HTTP to a registry that is not on loopback")
	return cmd
}

// resolve finds a composite's imports: beside it, in dirs, in the shipped
// set.
func resolve(capability *capabilities.Capability, dirs []string) (*capabilities.Capability, error) {
	return (&capabilities.Resolver{Dirs: dirs}).Resolve(capability)
}

func (c *cli) doRun(ctx context.Context, ref string, f runFlags) error {
	rep := report.New()
	finish := func(code int, err error) error {
		c.code = code
		if f.asJSON {
			enc := json.NewEncoder(c.stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(rep)
			return nil
		}
		return err
	}
	failWith := func(code int, errCode string, err error) error {
		rep.Error = &report.Error{Code: errCode, Message: err.Error()}
		return finish(code, err)
	}

	home, err := c.home()
	if err != nil {
		return failWith(exitInternal, "internal", err)
	}
	pol, polPath, err := c.loadPolicy(f.policy, home)
	if err != nil {
		return failWith(exitInternal, "internal", err)
	}
	trust, err := trustOf(pol)
	if err != nil {
		return failWith(exitInvalid, "invalid_policy", err)
	}
	var (
		capability *capabilities.Capability
		bundleRec  *receipts.Bundle
	)
	switch {
	case registry.IsReference(ref):
		r, err := c.openRef(ctx, ref, trust, f.bundle, &verifyReport{})
		if err != nil {
			return c.refuseBundle(ctx, ref, f, pol, polPath, classify(err), failWith, rep)
		}
		capability, bundleRec = r.b.Capability, r.rec
	case isFileRef(ref):
		r, note, err := c.openLocal(ref, trust)
		switch {
		case err == nil:
			capability, bundleRec = r.b.Capability, r.rec
			if note != "" && !f.asJSON {
				c.printf(c.stderr, "enact-run: running %s unsigned: its signature file does not count: %s\n", ref, note)
			}
		case trust.RequireSignatures:
			return c.refuseBundle(ctx, ref, f, pol, polPath, classify(err), failWith, rep)
		default:
			// Not a bundle (a plugin path the bundle format refuses, a
			// missing file): load it as before and let the checks below
			// say what is wrong.
			if capability, err = c.load(ref); err != nil {
				return failWith(exitInvalid, "invalid_capability", err)
			}
		}
	default:
		if capability, err = c.load(ref, f.dirs...); err != nil {
			return failWith(exitInvalid, "invalid_capability", err)
		}
	}
	// A composite's imports: beside it, in each --dir, then the shipped
	// set, then a bundle reference (pulled, verified and pinned like a
	// reference run on its own).
	resolver := &capabilities.Resolver{Dirs: f.dirs, Bundle: func(ref string) (*capabilities.Capability, error) {
		r, err := c.openRef(ctx, ref, trust, f.bundle, &verifyReport{})
		if err != nil {
			return nil, err
		}
		return r.b.Capability, nil
	}}
	resolved, err := resolver.Resolve(capability)
	if err != nil {
		return failWith(exitInvalid, "invalid_capability", err)
	}
	capability = resolved
	rep.Capability, rep.Digest = capability.ID, capability.Digest
	if bundleRec != nil {
		rep.BundleDigest = bundleRec.Digest
	}
	in, inText, err := c.readInput(f.input)
	if err != nil {
		return failWith(exitUsage, runtime.CodeInvalidInput, err)
	}
	declared, err := hostfns.Declared(capability)
	if err != nil {
		return failWith(exitInvalid, "invalid_capability", err)
	}
	needed := map[string]bool{}
	for _, id := range declared {
		name, _, _ := strings.Cut(id, ".")
		needed[name] = true
	}
	var envVars map[string]string
	if f.envFile != "" {
		if envVars, err = readEnvFile(f.envFile); err != nil {
			return failWith(exitUsage, runtime.CodeInvalidInput, err)
		}
	}
	st, err := c.openState(ctx, stateOptions{policyFile: f.policy, envFile: f.envFile, envVars: envVars, receiptsDir: f.receiptsDir, withRuntime: true, connectors: needed, policy: pol, policyPath: polPath})
	if err != nil {
		return failWith(exitInternal, "internal", err)
	}
	defer st.Close()
	client, err := st.client()
	if err != nil {
		return failWith(exitInternal, "internal", err)
	}
	actor := c.actor(f.actor)
	res, err := client.Run(ctx, enact.RunRequest{
		Capability: capability, Inputs: in, InputsJSON: inText, Actor: policy.Actor{Email: actor},
		IdempotencyKey: f.idempotencyKey, DryRun: f.dryRun, Bundle: bundleRec,
	})
	if err != nil {
		var re *runtime.Error
		var ie *enact.IdempotencyError
		var nc *hostfns.NotConfiguredError
		switch {
		case errors.As(err, &nc):
			return failWith(exitConfig, hostfns.CodeNotConfigured, fmt.Errorf("%w\n%s", err, connectorHint(nc.Actions)))
		case errors.As(err, &re):
			return failWith(exitInvalid, re.Code, err)
		case errors.As(err, &ie):
			rep.ReceiptID = ie.RunID
			return failWith(exitIdempotency, ie.Code, err)
		case res == nil:
			return failWith(exitInternal, "internal", err)
		}
		// The run happened but its receipt could not be stored.
		rep.Output = res.Output
		return failWith(exitInternal, "receipt_store", err)
	}
	rep.FromResult(res, report.Options{ConsoleURL: pol.Notify().ConsoleURL})
	rep.DryRun = f.dryRun
	if res.Replayed && !f.asJSON {
		c.printf(c.stderr, "replayed: run %s already ran with this idempotency key; nothing executed\n", res.RunID)
	}
	// A composite's actions are its steps' (read from their receipts).
	rep.Actions = append(rep.Actions, c.stepActions(ctx, client, policy.Actor{Email: actor}, "", res.Steps, 0)...)
	if !f.asJSON {
		for _, st := range res.Steps {
			line := fmt.Sprintf("step %s (%s): %s", st.ID, st.Capability.ID, st.Status)
			if st.RunID != "" {
				line += ", receipt " + st.RunID
			}
			if st.Replayed {
				line += " (replayed)"
			}
			c.printf(c.stderr, "%s\n", line)
		}
	}
	if f.dryRun && !f.asJSON {
		for _, a := range rep.Actions {
			if a.Planned && a.Step != "" {
				c.printf(c.stderr, "planned (dry run, not performed): step %s: %d %s\n", a.Step, a.Seq, a.Action)
			} else if a.Planned {
				c.printf(c.stderr, "planned (dry run, not performed): %d %s\n", a.Seq, a.Action)
			}
		}
	}
	if !f.asJSON {
		_, _ = io.WriteString(c.stdout, res.Output)
		if res.OutputTruncated {
			c.printf(c.stderr, "enact-run: printed output truncated at %d bytes\n", len(res.Output))
		}
	}
	switch res.Status {
	case enact.StatusPass:
		if !f.asJSON && len(res.Outputs) > 0 {
			enc := json.NewEncoder(c.stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(res.Outputs)
		}
		if !f.asJSON {
			c.printf(c.stderr, "receipt %s\n", res.RunID)
		}
		return finish(exitPass, nil)
	case enact.StatusBlock:
		return finish(exitBlocked, fmt.Errorf("BLOCK: %s (receipt %s)", res.Error.Message, res.RunID))
	case enact.StatusPending:
		if !f.asJSON {
			c.printf(c.stderr, "%s", heldText(rep, ref, f))
		}
		return finish(exitPending, nil)
	}
	re := res.Error
	return finish(exitFailed, fmt.Errorf("%w (receipt %s)", re, res.RunID))
}

func (c *cli) validateCommand() *cobra.Command {
	var asJSON, strict bool
	var policyFile string
	var dirs []string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check capability files without running them",
		Long: `Check capability files: the document against the Enact Protocol schema
(strictly: unknown fields are errors unless they start with x-), the inputs
and outputs JSON Schemas, resources, script dependencies the sandbox cannot
satisfy, prebuilt plugin files (path, sha256, Wasm, imports), a memory
limit below what an interpreter needs to start, the declared actions
(each must be an action of this runner's connectors and allowed by the
policy in effect: --policy, $ENACT_POLICY, $ENACT_HOME/policy.yaml or the
built-in default), and the syntax of every script task: its code is
compiled, never run, by the interpreter it runs on (CPython's compile(),
QuickJS's parser) inside the sandbox, within the capability's memory and
time limits; a syntax error names the file and line, the task, the line
and column in the task's code (QuickJS gives the line only) and the
interpreter's message. A composite is checked whole: its flow (cycles,
unknown steps, templates), its imports (found beside it, in each --dir,
then in the shipped set, each at its exact version, nested at most 8
deep), and every capability its steps run. Nothing is run. Exit code 0
when every file is valid, 4 otherwise. With --json, each file's syntax
errors are also in syntax_errors, one object per error (file, task,
language, type, message, line, column, file_line, file_column, text).

A valid document can still declare what this runner cannot give it:
packages beyond the standard library are warnings (the run fails naming
them; --strict makes them errors). Task types the sandbox cannot run
(shell never; agent, prompt and request not yet) are errors.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The on-disk compilation cache, as a run has: checking the
			// scripts' syntax then costs no interpreter compilation.
			engine, release, err := c.engine(cmd.Context())
			if err != nil {
				engine, err = runtime.New(runtime.Config{})
				release = func() { _ = engine.Close(context.WithoutCancel(cmd.Context())) }
			}
			if err != nil {
				return c.fail(exitInternal, err)
			}
			defer release()
			home, err := c.home()
			if err != nil {
				return c.fail(exitInternal, err)
			}
			pol, polPath, err := c.loadPolicy(policyFile, home)
			if err != nil {
				return c.fail(exitInvalid, err)
			}
			if polPath == "" {
				polPath = "the built-in default policy"
			}
			type fileResult struct {
				File     string   `json:"file"`
				ID       string   `json:"id,omitempty"`
				Digest   string   `json:"digest,omitempty"`
				Valid    bool     `json:"valid"`
				Errors   []string `json:"errors"`
				Warnings []string `json:"warnings,omitempty"`
				// SyntaxErrors are the errors among Errors that a
				// script's compiler found, as fields.
				SyntaxErrors []runtime.SyntaxError `json:"syntax_errors,omitempty"`
			}
			var results []fileResult
			bad := 0
			for _, f := range args {
				r := fileResult{File: f, Errors: []string{}}
				capability, err := capabilities.LoadFile(f)
				if err == nil {
					r.ID, r.Digest = capability.ID, capability.Digest
					// A composite is checked whole: its imports, theirs,
					// and every capability a step runs.
					if capability, err = resolve(capability, dirs); err == nil {
						err = engine.Check(capability)
					}
					if w := packageWarnings(err); w != nil && !strict {
						r.Warnings, err = w, nil
					}
					if err == nil {
						// Compiled, not run, by each script's own
						// interpreter.
						r.SyntaxErrors, err = engine.CheckSyntax(cmd.Context(), capability)
						for _, se := range r.SyntaxErrors {
							r.Errors = append(r.Errors, se.Error())
						}
					}
				}
				if err != nil {
					r.Errors = append(r.Errors, splitErrors(err)...)
				}
				if capability != nil {
					r.Errors = append(r.Errors, checkActions(capability, pol, polPath)...)
				}
				if len(r.Errors) > 0 {
					bad++
				} else {
					r.Valid = true
				}
				results = append(results, r)
			}
			if asJSON {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(results)
			} else {
				for _, r := range results {
					if r.Valid {
						c.printf(c.stdout, "ok    %s (%s %s)\n", r.File, r.ID, r.Digest)
						for _, w := range r.Warnings {
							c.printf(c.stdout, "      warning: %s\n", w)
						}
						continue
					}
					c.printf(c.stdout, "FAIL  %s\n", r.File)
					for _, e := range r.Errors {
						c.printf(c.stdout, "      %s\n", e)
						for _, se := range r.SyntaxErrors {
							if se.Error() == e && se.Text != "" {
								c.printf(c.stdout, "%s", syntaxContext(se))
							}
						}
					}
				}
			}
			if bad > 0 {
				c.code = exitInvalid
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as a JSON array")
	cmd.Flags().StringVar(&policyFile, "policy", "", "the policy to check declared actions against (default $ENACT_POLICY, $ENACT_HOME/policy.yaml, or the built-in default)")
	cmd.Flags().BoolVar(&strict, "strict", false, "treat warnings (packages the sandbox lacks) as errors")
	cmd.Flags().StringArrayVar(&dirs, "dir", nil, "directory a composite's imports are looked for in, after the composite's own (repeatable)")
	return cmd
}

// syntaxContext shows the line of code a syntax error stands on, and a
// caret under its column when the interpreter named one.
func syntaxContext(se runtime.SyntaxError) string {
	text := strings.ReplaceAll(se.Text, "\t", " ")
	out := "        " + text + "\n"
	if se.Column > 0 && se.Column <= len([]rune(text))+1 {
		out += "        " + strings.Repeat(" ", se.Column-1) + "^\n"
	}
	return out
}

// packageWarnings returns the problems of a capability check as warnings
// when each of them is a script's packages that the sandbox lacks (the
// document is valid; its runs fail naming them), nil otherwise.
func packageWarnings(err error) []string {
	var re *runtime.Error
	if err == nil || !errors.As(err, &re) || errors.Unwrap(re) == nil {
		return nil
	}
	cause := errors.Unwrap(re)
	problems := []error{cause}
	if j, ok := cause.(interface{ Unwrap() []error }); ok {
		problems = j.Unwrap()
	}
	var out []string
	for _, p := range problems {
		if !errors.Is(p, plugins.ErrUnavailablePackages) {
			return nil
		}
		out = append(out, strings.ReplaceAll(p.Error(), "): plugins: ", "): ")+"; runs of this task fail until it needs only the standard library")
	}
	return out
}

// splitErrors lists the individual problems inside an error.
func splitErrors(err error) []string {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func (c *cli) buildCommand() *cobra.Command {
	var out string
	var asJSON bool
	var dirs []string
	cmd := &cobra.Command{
		Use:   "build FILE",
		Short: "Build a capability's plugins into content-addressed artifacts",
		Long: `Build every task of a capability into its plugin artifact, compile it (filling
the compilation cache under $ENACT_HOME, so the next run starts warm), and
write the artifacts into DIR, each named by its sha256:
  sha256-<hex>.wasm          a prebuilt module, or an interpreter engine
  sha256-<hex>.plugin.json   a script task: its source and the pinned engine
  plugins.json               which task is which artifact (not content-addressed)
Existing artifacts are left as they are (same name, same bytes). For a
composite, the tasks of every capability its steps run are built, named
<capability id>/<task id>.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.doBuild(cmd.Context(), args[0], out, dirs, asJSON)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "enact-build", "directory to write the artifacts into")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the manifest (plugins.json) as JSON instead of one line per artifact")
	cmd.Flags().StringArrayVar(&dirs, "dir", nil, "directory a composite's imports are looked for in, after the composite's own (repeatable)")
	return cmd
}

// stepActions lists the actions of a composite's steps, from each step's
// receipt, the steps of nested composites included.
func (c *cli) stepActions(ctx context.Context, client *enact.Client, actor policy.Actor, prefix string, steps []receipts.Step, depth int) []report.Action {
	var out []report.Action
	for _, st := range steps {
		if st.RunID == "" || depth > capabilities.MaxCompositeDepth {
			continue
		}
		env, err := client.Receipt(ctx, actor, st.RunID)
		if err != nil {
			continue
		}
		for _, a := range report.ActionsOfEnvelope(env) {
			a.Step = prefix + st.ID
			out = append(out, a)
		}
		var body receipts.Receipt
		if json.Unmarshal(env.Body, &body) == nil && len(body.Steps) > 0 {
			out = append(out, c.stepActions(ctx, client, actor, prefix+st.ID+"/", body.Steps, depth+1)...)
		}
	}
	return out
}

// connectorEnv says, per connector, which environment variables configure
// it on this runner (see openConnectors).
var connectorEnv = map[string]string{
	"postgres": "ENACT_POSTGRES_URL (a postgres:// URL)",
	"github":   "GITHUB_TOKEN and GITHUB_REPOSITORY (owner/repo; GITHUB_API_URL for GitHub Enterprise)",
	"hubspot":  "HUBSPOT_TOKEN (HUBSPOT_BASE_URL to point elsewhere)",
}

// connectorHint tells the operator how to configure the connectors of
// actions no connector provides.
func connectorHint(actions []string) string {
	seen := map[string]bool{}
	var lines []string
	for _, a := range actions {
		name, _, _ := strings.Cut(a, ".")
		if seen[name] {
			continue
		}
		seen[name] = true
		if env, ok := connectorEnv[name]; ok {
			lines = append(lines, fmt.Sprintf("  %s: set %s in the runner's environment", name, env))
		} else {
			lines = append(lines, fmt.Sprintf("  %s: no connector of that name is built into this runner", name))
		}
	}
	return "configure the connector, then run again (the idempotency key was not used):\n" + strings.Join(lines, "\n")
}
