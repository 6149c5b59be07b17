package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/plugins"
)

// Result is what a run produced. Run returns it (with what was captured so
// far) even when it also returns an error.
type Result struct {
	// Outputs are the capability's outputs, validated.
	Outputs map[string]any
	// Output is what the tasks printed, interleaved, bounded by
	// Config.MaxOutput.
	Output string
	// OutputTruncated says printed output was dropped past the bound.
	OutputTruncated bool
	// Tasks has one entry per task that started, in order.
	Tasks []TaskResult
	// Limits are the memory limit and deadline the run had.
	MemoryLimit uint64
	Timeout     time.Duration
	// Duration is the wall time of the whole run.
	Duration time.Duration
	// Logs are the lines prebuilt plugins logged through Extism's log
	// functions, in order, at most MaxLogEntries; LogsDropped counts those
	// past the bound. Each line is also in Output, as "[level] message".
	Logs        []LogEntry
	LogsDropped int
}

// TaskResult describes one task of a run.
type TaskResult struct {
	ID       string
	Plugin   string // the plugin digest
	Duration time.Duration
	// Pooled says the task ran on an instance prepared ahead of the run.
	Pooled bool
	// ConfigKeys are the sorted keys of the Extism configuration a
	// prebuilt plugin ran with (the capability's plugin.config and the
	// operator's Config.PluginConfig), and ConfigDigest the digest of
	// their values ("sha256:" and the hex SHA-256 of the configuration as
	// a JSON object with sorted keys); both empty when it had none. The
	// values themselves are never part of a result.
	ConfigKeys   []string
	ConfigDigest string
}

// Limits returns the memory limit and timeout a capability would run with,
// or an error naming the resource a capability asks too much of.
func (e *Engine) Limits(c *capabilities.Capability) (memory uint64, timeout time.Duration, err error) {
	memory, timeout = e.cfg.DefaultMemory, e.cfg.DefaultTimeout
	if m := c.Env.Resources.Memory; m != 0 {
		if m > e.cfg.MaxMemory {
			return 0, 0, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf(
				"env.resources.memory asks for %d bytes; this runner allows at most %d", m, e.cfg.MaxMemory)}
		}
		memory = m
	}
	if t := c.Env.Resources.Timeout; t != 0 {
		if t > e.cfg.MaxTimeout {
			return 0, 0, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf(
				"env.resources.timeout asks for %s; this runner allows at most %s", t, e.cfg.MaxTimeout)}
		}
		timeout = t
	}
	return memory, timeout, nil
}

// Check reports every problem a run of the capability would hit before
// its first task, without compiling or running anything: an unsupported
// capability type, limits beyond this engine's maximums, a script over
// MaxScriptBytes, script dependencies the sandbox lacks, plugin files that
// fail their checks. CheckSyntax compiles the scripts as well.
func (e *Engine) Check(c *capabilities.Capability) error {
	_, err := e.check(c)
	return err
}

func (e *Engine) check(c *capabilities.Capability) ([]*plugins.Plugin, error) {
	if c.Type == "composite" {
		return nil, e.checkComposite(c)
	}
	if err := runnableTasks(c); err != nil {
		return nil, err
	}
	for _, t := range c.Tasks {
		if t.Type == "script" && len(t.Code) > MaxScriptBytes {
			return nil, scriptTooLarge(t)
		}
	}
	memLimit, _, err := e.Limits(c)
	if err != nil {
		return nil, err
	}
	ps, err := e.plugins(c)
	if err != nil {
		return nil, err
	}
	if err := checkFloors(ps, memLimit); err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Kind() == plugins.KindWasm {
			if _, err := e.plan(p, memLimit); err != nil {
				return nil, err
			}
		}
	}
	return ps, nil
}

// Prepare does what Check does and then compiles (or loads from the
// compilation cache) everything the capability's tasks run on.
func (e *Engine) Prepare(ctx context.Context, c *capabilities.Capability) ([]*plugins.Plugin, error) {
	ps, err := e.check(c)
	if err != nil {
		return nil, err
	}
	if c.Type == "composite" {
		// A composite prepares what its steps run; it has no plugins itself.
		for _, im := range c.Imports {
			if _, err := e.Prepare(ctx, c.Imported(im.ID)); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	memLimit, _, _ := e.Limits(c)
	for _, p := range ps {
		if p.Kind() == plugins.KindScript {
			_, err = e.interpreter(ctx, p.Language())
		} else {
			var plan *modulePlan
			if plan, err = e.plan(p, memLimit); err == nil {
				_, err = e.extismPlugin(ctx, p, plan)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// Run runs a capability with the given inputs (decoded JSON: maps, slices,
// strings, bools, float64 or json.Number, nil) and no actions: every
// action a guest asks for is answered not_granted. See the package
// documentation for the semantics.
func (e *Engine) Run(ctx context.Context, c *capabilities.Capability, inputs map[string]any) (*Result, error) {
	return e.RunWith(ctx, c, inputs, nil)
}

// RunWith runs a capability whose guests' action requests (see the guest
// ABI in package hostfns) are answered by host, normally the gate's
// handler for this run. A nil host grants nothing.
func (e *Engine) RunWith(ctx context.Context, c *capabilities.Capability, inputs map[string]any, host hostfns.Handler) (*Result, error) {
	return e.RunOrdered(ctx, c, inputs, nil, host)
}

// RunOrdered is RunWith for a caller that has its inputs as JSON text:
// order (see KeyOrderOf) is the text's key order, which the tasks' inputs
// keep. A nil order sorts the keys.
func (e *Engine) RunOrdered(ctx context.Context, c *capabilities.Capability, inputs map[string]any, order *KeyOrder, host hostfns.Handler) (*Result, error) {
	return e.Execute(ctx, c, RunSpec{Inputs: inputs, Order: order, Host: host})
}

// RunSpec is what one run of a capability gets besides the capability.
type RunSpec struct {
	// Inputs are the run's inputs, validated and completed by the run.
	Inputs map[string]any
	// Order is the key order of the inputs' JSON text (KeyOrderOf); nil
	// sorts the keys.
	Order *KeyOrder
	// Vars are the capability's environment variables, resolved by
	// (*capabilities.Capability).ResolveVars. Script tasks read them as
	// env["NAME"] and os.environ (Python) or env.NAME and process.env
	// (JavaScript), read-only; prebuilt plugins as configuration keys,
	// over plugin.config and Config.PluginConfig. They are never part of
	// a Result, except as a task's configuration keys and digest; what a
	// task prints or returns is the caller's to redact.
	Vars map[string]any
	// Host answers the guests' action requests; nil grants nothing.
	Host hostfns.Handler
}

// Execute runs a capability as RunSpec describes; RunOrdered is Execute
// without variables.
func (e *Engine) Execute(ctx context.Context, c *capabilities.Capability, spec RunSpec) (*Result, error) {
	inputs, order, host := spec.Inputs, spec.Order, spec.Host
	if host == nil {
		host = hostfns.NoActions
	}
	start := time.Now()
	res := &Result{}
	defer func() { res.Duration = time.Since(start) }()

	if inputs == nil {
		inputs = map[string]any{}
	}
	if c.Type == "composite" {
		return res, &Error{Code: CodeUnsupported, Message: "a composite capability runs through enact.Client (each step a child run with its own receipt), or RunFlow"}
	}
	in, err := validateInputs(ctx, e, c, inputs)
	if err != nil {
		return res, err
	}
	ps, err := e.Prepare(ctx, c)
	if err != nil {
		return res, err
	}
	res.MemoryLimit, res.Timeout, _ = e.Limits(c)

	ctx, cancel := context.WithTimeout(ctx, res.Timeout)
	defer cancel()
	output := newBoundedBuffer(e.cfg.MaxOutput)
	logs := &pluginLogs{output: output}
	ctx = withCallState(ctx, &callState{output: output, host: host, logs: logs})
	defer func() {
		res.Output, res.OutputTruncated = output.result()
		res.Logs, res.LogsDropped = logs.result()
	}()

	vars := maps.Clone(in)
	// Optional inputs the caller left out, with no default, are still
	// variables: None in Python, null in JavaScript and in a plugin's JSON.
	for _, name := range declaredInputs(c) {
		if _, ok := vars[name]; !ok {
			vars[name] = nil
		}
	}
	outputs := map[string]any{}
	for _, p := range ps {
		tstart := time.Now()
		tr := TaskResult{ID: p.TaskID(), Plugin: p.Digest()}
		var out map[string]any
		if p.Kind() == plugins.KindScript {
			out, tr.Pooled, err = e.runScript(ctx, p, vars, order, res.MemoryLimit, spec.Vars)
		} else {
			var cfg map[string]string
			var operator map[string]string
			if e.cfg.PluginConfig != nil {
				operator = e.cfg.PluginConfig(c.ID)
			}
			cfg, tr.ConfigKeys, tr.ConfigDigest = pluginConfig(p, operator, spec.Vars)
			out, err = e.runPrebuilt(ctx, p, vars, res.MemoryLimit, cfg, logs)
		}
		tr.Duration = time.Since(tstart)
		res.Tasks = append(res.Tasks, tr)
		if err != nil {
			return res, e.classify(ctx, p.TaskID(), err)
		}
		maps.Copy(vars, out)
		maps.Copy(outputs, out)
	}
	// The outputs are validated within the run's deadline.
	if err := c.ValidateOutputsContext(ctx, outputs); err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return res, &Error{Code: CodeTimeout, Message: "the run exceeded its time limit while its outputs were validated", cause: err}
		case ctx.Err() != nil:
			return res, &Error{Code: CodeCancelled, Message: "the run was cancelled while its outputs were validated", cause: err}
		}
		return res, &Error{Code: CodeInvalidOutput, Message: err.Error(), cause: err}
	}
	res.Outputs = outputs
	return res, nil
}

// validateInputs validates a run's inputs within the time the run would
// have (the capability's timeout, or the engine's default), so that a
// costly inputs schema cannot hold the host longer than the run itself.
// A validation cut off by that time is a timeout; by the caller's context,
// a cancelled run.
func validateInputs(ctx context.Context, e *Engine, c *capabilities.Capability, inputs map[string]any) (map[string]any, error) {
	_, timeout, err := e.Limits(c)
	if err != nil {
		timeout = e.cfg.DefaultTimeout
	}
	vctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	in, err := c.ValidateInputsContext(vctx, inputs)
	switch {
	case err == nil:
		return in, nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, &Error{Code: CodeTimeout, Message: "the run's context reached its deadline while its inputs were validated", cause: err}
	case ctx.Err() != nil:
		return nil, &Error{Code: CodeCancelled, Message: "the run was cancelled while its inputs were validated", cause: err}
	case vctx.Err() != nil:
		return nil, &Error{Code: CodeTimeout, Message: fmt.Sprintf("validating the inputs took longer than the run's time limit of %s", timeout), cause: err}
	}
	return nil, &Error{Code: CodeInvalidInput, Message: err.Error(), cause: err}
}

// ValidateInputs validates and completes (defaults) a run's inputs as
// RunWith does, bounded by the time the run would have: an *Error with
// code invalid_input (the message names the field, or the validation limit
// hit) or timeout.
func (e *Engine) ValidateInputs(ctx context.Context, c *capabilities.Capability, inputs map[string]any) (map[string]any, error) {
	return validateInputs(ctx, e, c, inputs)
}

// declaredInputs lists the properties of a capability's inputs schema.
func declaredInputs(c *capabilities.Capability) []string {
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(c.InputSchema(), &schema)
	names := make([]string, 0, len(schema.Properties))
	for name := range schema.Properties {
		names = append(names, name)
	}
	return names
}

// runScript runs one script task on a fresh or pooled, never-used instance.
func (e *Engine) runScript(ctx context.Context, p *plugins.Plugin, vars map[string]any, order *KeyOrder, memLimit uint64, env map[string]any) (map[string]any, bool, error) {
	in, err := e.interpreter(ctx, p.Language())
	if err != nil {
		return nil, false, err
	}
	var program string
	if in.language == "python" {
		program, err = pythonProgram(p, vars, order, env)
	} else {
		program, err = javascriptProgram(p.Code(), vars, order, env, p.EntryPoint())
	}
	if err != nil {
		return nil, false, err
	}
	inst := e.poolFor(in, memLimit).take()
	pooled := inst != nil
	if inst == nil {
		if inst, err = e.newInstance(ctx, in, memLimit); err != nil {
			return nil, false, err
		}
	}
	defer inst.close(ctx)
	envelope, err := in.exec(ctx, inst, program)
	if err != nil {
		if inst.budget.refused.Load() && ctx.Err() == nil {
			return nil, pooled, &Error{Code: CodeMemoryLimit, Message: fmt.Sprintf("the task exceeded its memory limit of %d MiB", memLimit>>20)}
		}
		return nil, pooled, err
	}
	out, err := decodeEnvelope(envelope, in.language, p, inst.budget.refused.Load())
	return out, pooled, err
}

// decodeEnvelope turns a script's {"ok": value} or {"error": {...}} into
// outputs or an *Error.
func decodeEnvelope(envelope []byte, language string, p *plugins.Plugin, memRefused bool) (map[string]any, error) {
	var env struct {
		OK    json.RawMessage `json:"ok"`
		Error *struct {
			Type, Message, Trace string
		} `json:"error"`
	}
	if err := json.Unmarshal(envelope, &env); err != nil {
		// Both runners encode with their language's own JSON encoder, which
		// raises on what it cannot encode; this is a guard, not a path.
		return nil, &Error{Code: CodeGuestError, Message: fmt.Sprintf(
			"TypeError: the task returned a value that is not JSON-serialisable (%v): %s", err, truncate(string(envelope), 120))}
	}
	if env.Error != nil {
		code := CodeGuestError
		if env.Error.Type == "MemoryError" || (env.Error.Type == "InternalError" && env.Error.Message == "out of memory") || memRefused && env.Error.Type == "RangeError" {
			code = CodeMemoryLimit
		}
		trace := env.Error.Trace
		if language == "python" {
			// CPython's runner names the document and its lines itself.
		} else {
			trace = javascriptTraceback(p, trace)
		}
		msg, text := env.Error.Type, env.Error.Message
		if language != "python" {
			text = jsImportMessage(env.Error.Type, text)
		}
		if text != "" {
			msg += ": " + text
		}
		return nil, &Error{Code: code, Message: msg, Trace: trace}
	}
	return decodeOutputs(env.OK, language)
}

// decodeOutputs decodes a task's returned JSON into outputs: an object, or
// nothing (null).
func decodeOutputs(raw []byte, what string) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	if raw[0] != '{' {
		return nil, &Error{Code: CodeInvalidOutput, Message: fmt.Sprintf("the %s task must return a mapping of output names to values, not %s", what, truncate(string(raw), 80))}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, &Error{Code: CodeInvalidOutput, Message: fmt.Sprintf("the %s task returned invalid JSON: %v", what, err)}
	}
	for k, v := range out {
		out[k] = canonicalNumbers(v)
	}
	return out, nil
}

// canonicalNumbers writes integral numbers without a fraction, so that
// Python's 212.0 and JavaScript's 212 are the same output, 212. Numbers
// beyond 2^53 keep their text: they may not survive a float64.
func canonicalNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			return x
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return x
		}
		return json.Number(strconv.FormatInt(int64(f), 10))
	case map[string]any:
		for k, e := range x {
			x[k] = canonicalNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = canonicalNumbers(e)
		}
	}
	return v
}

// runPrebuilt runs one prebuilt Extism plugin in a new instance. The run's
// budget holds everything the instance claims: the module's tables,
// globals and segments (charged before instantiation), its linear memory
// and the Extism kernel's (charged as they grow, so the plugin's input,
// output and host-call replies, which live in the kernel's memory, count
// too).
func (e *Engine) runPrebuilt(ctx context.Context, p *plugins.Plugin, vars map[string]any, memLimit uint64, config map[string]string, logs *pluginLogs) (map[string]any, error) {
	plan, err := e.plan(p, memLimit)
	if err != nil {
		return nil, err
	}
	le, err := e.extismPlugin(ctx, p, plan)
	if err != nil {
		return nil, err
	}
	input, err := prebuiltInput(p, vars)
	if err != nil {
		return nil, err
	}
	// The input is copied into the kernel's memory before the call; past
	// the budget the kernel's allocation fails and the guest would see an
	// empty input, so an input that cannot fit is refused here.
	var mems uint64
	for _, m := range p.Footprint().Memories {
		mems += uint64(m.Min) * pageBytes
	}
	if need := plan.fixed + mems + kernelMemory + uint64(len(input)) + pageBytes; need > memLimit {
		return nil, &Error{Code: CodeMemoryLimit, Message: fmt.Sprintf(
			"the plugin's input is %d bytes; with what the module declares (%s) it does not fit the memory limit of %s", len(input), mib(plan.fixed+mems+kernelMemory), mib(memLimit))}
	}
	budget := &memoryBudget{limit: memLimit}
	budget.used.Store(plan.fixed)
	ictx := experimental.WithMemoryAllocator(ctx, budget)
	// The plugin's WASI is the sandbox's (extismWASIFunctions): nothing of
	// the module configuration reaches it.
	plugin, err := le.cp.Instance(ictx, extism.PluginInstanceConfig{ModuleConfig: wazero.NewModuleConfig()})
	if err == nil && budget.refused.Load() {
		_ = plugin.Close(context.WithoutCancel(ctx))
		err = errors.New("instantiation exceeded the memory limit")
	}
	if err != nil {
		return nil, e.prebuiltError(ctx, budget, le, err)
	}
	defer plugin.Close(context.WithoutCancel(ctx))
	// Extism vars start empty in every run: each instance is new.
	plugin.Config = config
	logs.startTask(p.TaskID())
	if ctx, err = withPluginMain(ctx, plugin); err != nil {
		return nil, &Error{Code: CodePluginError, Message: "serve the plugin's WASI: " + err.Error()}
	}
	rc, out, err := plugin.CallWithContext(ctx, p.Function(), input)
	if err != nil || rc != 0 {
		if err == nil {
			err = fmt.Errorf("the plugin's %s returned %d", p.Function(), rc)
		}
		return nil, e.prebuiltError(ctx, budget, le, err)
	}
	if len(out) > maxResultBytes {
		return nil, &Error{Code: CodeOutputLimit, Message: fmt.Sprintf("the plugin returned %d bytes; the limit is %d", len(out), maxResultBytes)}
	}
	return prebuiltOutputs(p, out)
}

func (e *Engine) prebuiltError(ctx context.Context, budget *memoryBudget, le *lazyExtism, err error) error {
	if ctx.Err() == nil && budget.refused.Load() {
		return &Error{Code: CodeMemoryLimit, Message: fmt.Sprintf("the plugin exceeded its memory limit of %s", mib(budget.limit))}
	}
	if table, ok := trappedInGrow(err, le.growFuncs); ok && ctx.Err() == nil {
		return &Error{Code: CodeMemoryLimit, Message: fmt.Sprintf(
			"the plugin grew table %d past what its memory limit of %s allows", table, mib(budget.limit)), cause: err}
	}
	if _, ok := asError(err); ok {
		return err
	}
	// A plugin ending itself with WASI's proc_exit: status 0 is a success
	// (the go-sdk returns no error for it, and the run takes the plugin's
	// output, as Extism hosts do); any other status is the plugin's own
	// failure, reported with it.
	var exit *sys.ExitError
	if errors.As(err, &exit) && ctx.Err() == nil {
		return &Error{Code: CodeExit, Message: fmt.Sprintf("the plugin exited with status %d", exit.ExitCode()), cause: err}
	}
	return &Error{Code: CodeGuestError, Message: err.Error(), cause: err}
}

// trappedInGrow reports whether a trap happened in one of the functions a
// table bound added, that is, a table.grow past the bound: wazero's trap
// names the innermost function first in its stack trace, as
// "<module>.$<index>(" when the module gives it no name (and these
// functions have none).
func trappedInGrow(err error, growFuncs map[uint32]int) (int, bool) {
	if len(growFuncs) == 0 {
		return 0, false
	}
	msg := err.Error()
	_, trace, ok := strings.Cut(msg, "wasm stack trace:\n\t")
	if !ok {
		return 0, false
	}
	frame, _, _ := strings.Cut(trace, "\n")
	_, fn, ok := strings.Cut(frame, ".$")
	if !ok {
		return 0, false
	}
	idx, _, _ := strings.Cut(fn, "(")
	n, err := strconv.ParseUint(idx, 10, 32)
	if err != nil {
		return 0, false
	}
	table, ok := growFuncs[uint32(n)]
	return table, ok
}

// classify turns whatever a task failed with into an *Error carrying the
// task id.
func (e *Engine) classify(ctx context.Context, task string, err error) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &Error{Code: CodeTimeout, Task: task, Message: "the run exceeded its time limit", cause: err}
		}
		return &Error{Code: CodeCancelled, Task: task, Message: "the run was cancelled", cause: err}
	}
	if errors.Is(err, errGuestOutOfMemory) {
		return &Error{Code: CodeMemoryLimit, Task: task, Message: err.Error(), cause: err}
	}
	if re, ok := asError(err); ok {
		cp := *re
		cp.Task = task
		return &cp
	}
	// wazero appends the guest's stack to a trap; the first line says it.
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return &Error{Code: CodeTrap, Task: task, Message: strings.TrimSuffix(msg, " (recovered by wazero)"), cause: err}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
