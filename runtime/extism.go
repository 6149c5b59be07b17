package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero/api"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/plugins"
)

// Bounds on what a prebuilt plugin may log in one run.
const (
	// MaxLogEntries is how many log lines a run keeps; later ones are
	// counted in Result.LogsDropped.
	MaxLogEntries = 256
	// MaxLogMessage is how many bytes of one log message are kept.
	MaxLogMessage = 4096
)

// LogEntry is one line a prebuilt plugin logged through Extism's log
// functions (log_trace, log_debug, log_info, log_warn, log_error).
type LogEntry struct {
	// Task is the id of the task whose plugin logged the line.
	Task string `json:"task"`
	// Level is "trace", "debug", "info", "warn" or "error".
	Level string `json:"level"`
	// Message is the logged text, cut at MaxLogMessage bytes (with "…")
	// and made valid UTF-8.
	Message string `json:"message"`
}

// pluginLogs collects the log lines of one run.
type pluginLogs struct {
	mu      sync.Mutex
	entries []LogEntry
	dropped int
	output  *boundedBuffer
	task    string
}

// add keeps one log line of the current task.
func (l *pluginLogs) add(level, msg string) {
	if len(msg) > MaxLogMessage {
		msg = msg[:MaxLogMessage] + "…"
	}
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= MaxLogEntries {
		l.dropped++
		return
	}
	l.entries = append(l.entries, LogEntry{Task: l.task, Level: level, Message: msg})
	if l.output != nil {
		_, _ = l.output.Write([]byte("[" + level + "] " + strings.TrimRight(msg, "\n") + "\n"))
	}
}

// startTask makes the lines logged from now on the given task's.
func (l *pluginLogs) startTask(task string) {
	l.mu.Lock()
	l.task = task
	l.mu.Unlock()
}

func (l *pluginLogs) result() ([]LogEntry, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries), l.dropped
}

// extismLogModule is the module the runtime serves Extism's log functions
// from. The go-sdk's own keep the level in a process-wide global and send
// the lines, with the SDK's own debug lines, to the standard logger; a
// plugin's imports of them are renamed to this module (see
// plugins.RenameImports), whose functions keep the lines in the run.
const extismLogModule = "enact:extism/log"

// extismLogLevels are the log functions of the Extism kernel and their
// levels.
var extismLogLevels = map[string]string{
	"log_trace": "trace", "log_debug": "debug", "log_info": "info", "log_warn": "warn", "log_error": "error",
}

// renameKernelImports points a module's imports of the Extism log
// functions (and get_log_level) at extismLogModule, those of the kernel
// functions in kernelForwards at extismKernelModule, and those of WASI at
// extismWASIModule.
func renameKernelImports(module, name string) (string, bool) {
	if module == wasiModule {
		return extismWASIModule, true
	}
	if module != "extism:host/env" {
		return "", false
	}
	if _, ok := extismLogLevels[name]; ok || name == "get_log_level" {
		return extismLogModule, true
	}
	if _, ok := kernelIndex[name]; ok {
		return extismKernelModule, true
	}
	return "", false
}

// extismKernelModule is the module the runtime serves the Extism kernel's
// memory and I/O functions from. The go-sdk forwards each of a plugin's
// calls of them to the kernel module after looking the function up by name
// (api.Module.ExportedFunction), and every lookup builds a new call engine
// with a stack of its own: ~10 µs per call. The runtime forwards them to
// functions it looks up once per instance.
const extismKernelModule = "enact:extism/kernel"

// kernelForwards are the kernel functions served from extismKernelModule,
// with their signatures (those of the Extism kernel, extism-runtime.wasm).
// input_load_u64, load_u64 and store_u64 stay with the go-sdk: it serves
// them in Go without calling the kernel.
var kernelForwards = []struct {
	name            string
	params, results []extism.ValueType
}{
	{"alloc", i64s(1), i64s(1)},
	{"free", i64s(1), nil},
	{"load_u8", i64s(1), []extism.ValueType{extism.ValueTypeI32}},
	{"input_load_u8", i64s(1), []extism.ValueType{extism.ValueTypeI32}},
	{"store_u8", []extism.ValueType{extism.ValueTypeI64, extism.ValueTypeI32}, nil},
	{"input_set", i64s(2), nil},
	{"output_set", i64s(2), nil},
	{"input_length", nil, i64s(1)},
	{"input_offset", nil, i64s(1)},
	{"output_length", nil, i64s(1)},
	{"output_offset", nil, i64s(1)},
	{"length", i64s(1), i64s(1)},
	{"length_unsafe", i64s(1), i64s(1)},
	{"reset", nil, nil},
	{"error_set", i64s(1), nil},
	{"error_get", nil, i64s(1)},
	{"memory_bytes", nil, i64s(1)},
}

func i64s(n int) []extism.ValueType {
	out := make([]extism.ValueType, n)
	for i := range out {
		out[i] = extism.ValueTypeI64
	}
	return out
}

// kernelIndex is the position of each name in kernelForwards.
var kernelIndex = func() map[string]int {
	m := make(map[string]int, len(kernelForwards))
	for i, f := range kernelForwards {
		m[f.name] = i
	}
	return m
}()

// kernelFuncs are the kernel functions of one plugin instance, looked up
// on first use. An instance runs on one goroutine at a time, and so do
// these.
type kernelFuncs struct {
	mod api.Module
	fns [32]api.Function
}

// kernelFunc returns the kernel function at index i of kernelForwards for
// the instance making the current call (the go-sdk puts its kernel module
// in the call's context), looked up once per instance and run.
func kernelFunc(ctx context.Context, i int) api.Function {
	mod, _ := ctx.Value(extism.PluginCtxKey("extism")).(api.Module)
	if mod == nil {
		panic(errors.New("enact: an Extism kernel call outside a plugin call"))
	}
	st := callStateFrom(ctx)
	if st == nil {
		return mod.ExportedFunction(kernelForwards[i].name)
	}
	if st.kernel == nil || st.kernel.mod != mod {
		st.kernel = &kernelFuncs{mod: mod}
	}
	f := st.kernel.fns[i]
	if f == nil {
		if f = mod.ExportedFunction(kernelForwards[i].name); f == nil {
			panic(fmt.Errorf("enact: the Extism kernel has no function %s", kernelForwards[i].name))
		}
		st.kernel.fns[i] = f
	}
	return f
}

// kernelCall calls the kernel function at index i of kernelForwards.
func kernelCall(ctx context.Context, i int, stack []uint64) {
	if err := kernelFunc(ctx, i).CallWithStack(ctx, stack); err != nil {
		panic(err)
	}
}

// extismKernelFunctions serve the imports renameKernelImports moved to
// extismKernelModule.
func extismKernelFunctions() []extism.HostFunction {
	fns := make([]extism.HostFunction, 0, len(kernelForwards))
	for i, k := range kernelForwards {
		f := extism.NewHostFunctionWithStack(k.name, func(ctx context.Context, _ *extism.CurrentPlugin, stack []uint64) {
			kernelCall(ctx, i, stack)
		}, k.params, k.results)
		f.SetNamespace(extismKernelModule)
		fns = append(fns, f)
	}
	return fns
}

// kernelLength is the length of the Extism memory block at offset, 0 for
// none.
func kernelLength(ctx context.Context, offset uint64) uint64 {
	stack := []uint64{offset}
	kernelCall(ctx, kernelIndex["length"], stack)
	return stack[0]
}

// kernelAlloc allocates n bytes of Extism memory, returning 0 when the
// kernel's memory cannot grow.
func kernelAlloc(ctx context.Context, n uint64) uint64 {
	stack := []uint64{n}
	kernelCall(ctx, kernelIndex["alloc"], stack)
	return stack[0]
}

// kernelFree frees the Extism memory block at offset.
func kernelFree(ctx context.Context, offset uint64) {
	kernelCall(ctx, kernelIndex["free"], []uint64{offset})
}

// extismLogFunctions serve the imports renameLogImports renamed: each log
// function reads the message from the kernel's memory, frees it and keeps
// it in the run's logs; get_log_level answers trace (0), so plugins log
// everything and the run's bound decides what is kept.
func extismLogFunctions() []extism.HostFunction {
	var fns []extism.HostFunction
	for name, level := range extismLogLevels {
		f := extism.NewHostFunctionWithStack(name, func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
			msg := "(unreadable log message)"
			if b, ok := p.Memory().Read(uint32(stack[0]), uint32(kernelLength(ctx, stack[0]))); ok {
				msg = string(b)
			}
			kernelFree(ctx, stack[0])
			if st := callStateFrom(ctx); st != nil && st.logs != nil {
				st.logs.add(level, msg)
			}
		}, []extism.ValueType{extism.ValueTypePTR}, nil)
		f.SetNamespace(extismLogModule)
		fns = append(fns, f)
	}
	f := extism.NewHostFunctionWithStack("get_log_level", func(_ context.Context, _ *extism.CurrentPlugin, stack []uint64) {
		stack[0] = 0
	}, nil, []extism.ValueType{extism.ValueTypeI32})
	f.SetNamespace(extismLogModule)
	return append(fns, f)
}

// extismWASIModule is the module the runtime serves a prebuilt plugin's
// WASI imports from: the sandbox's own WASI (wasiFunctions), the one the
// interpreters have, without a mount. There is no preopened directory, so
// every path call answers ENOTCAPABLE; standard output and error go to the
// run's bounded output; there are no arguments or environment variables;
// poll_oneoff sleeps within the run's deadline. (The go-sdk's WASI, wazero's,
// stays instantiated beside it, unused: the go-sdk runs a WASI module's
// _initialize or constructors only when it has its own WASI enabled.)
const extismWASIModule = "enact:extism/wasi"

// extismWASIFunctions serve the imports renameKernelImports moved to
// extismWASIModule. The go-sdk gives a host function the kernel's memory,
// not the plugin's, so each call finds the plugin's module in the call's
// context (see withPluginMain).
func extismWASIFunctions() []extism.HostFunction {
	defs := wasiFunctions(nil)
	fns := make([]extism.HostFunction, 0, len(defs))
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		d := defs[name]
		f := extism.NewHostFunctionWithStack(name, func(ctx context.Context, _ *extism.CurrentPlugin, stack []uint64) {
			mod, _ := ctx.Value(pluginMainKey{}).(api.Module)
			if mod == nil {
				panic(errors.New("enact: a WASI call of a plugin outside a run"))
			}
			d.fn(ctx, mod, stack)
		}, d.params, d.results)
		f.SetNamespace(extismWASIModule)
		fns = append(fns, f)
	}
	return fns
}

type pluginMainKey struct{}

// withPluginMain puts the main module of a go-sdk plugin instance in a
// context, for extismWASIFunctions. The go-sdk keeps the module in an
// unexported field (Plugin.Module wraps it without its memory); it is read
// once per instance, through reflection, and checked to be an api.Module.
func withPluginMain(ctx context.Context, p *extism.Plugin) (context.Context, error) {
	v := reflect.ValueOf(p.Module()).Elem()
	f := v.FieldByName("inner")
	if !f.IsValid() || f.Type() != reflect.TypeFor[api.Module]() {
		return nil, fmt.Errorf("this version of the go-sdk keeps a plugin's module as %v, not an api.Module named inner", f)
	}
	mod, _ := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(api.Module)
	if mod == nil {
		return nil, errors.New("the go-sdk plugin has no main module")
	}
	return context.WithValue(ctx, pluginMainKey{}, mod), nil
}

// prebuiltInput is the input a prebuilt plugin receives: the JSON object of
// the task's variables, or for a raw plugin the bytes of its one input.
func prebuiltInput(p *plugins.Plugin, vars map[string]any) ([]byte, error) {
	if p.InputMode() != "raw" {
		return marshalJSON(vars)
	}
	name, b64 := p.RawInput()
	switch v := vars[name].(type) {
	case nil:
		return nil, nil
	case string:
		if !b64 {
			return []byte(v), nil
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("input %q is not valid base64 (contentEncoding base64): %v", name, err)}
		}
		return b, nil
	default:
		return nil, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("input %q of a raw plugin must be a string, not %T", name, v)}
	}
}

// prebuiltOutputs turns what a prebuilt plugin returned into outputs, as
// its output mode says.
func prebuiltOutputs(p *plugins.Plugin, out []byte) (map[string]any, error) {
	switch p.OutputMode() {
	case "text":
		if !utf8.Valid(out) {
			return nil, &Error{Code: CodeInvalidOutput, Message: fmt.Sprintf("the plugin's output is not valid UTF-8 text (output: text): %s", quoteBytes(out, 32))}
		}
		return map[string]any{"output": string(out)}, nil
	case "bytes":
		return map[string]any{"output": base64.StdEncoding.EncodeToString(out)}, nil
	}
	trimmed := strings.TrimSpace(string(out))
	if trimmed != "" && trimmed != "null" && !json.Valid(out) {
		return nil, &Error{Code: CodeInvalidOutput, Message: fmt.Sprintf(
			"the plugin returned %s, not JSON (set plugin.output to text or bytes for a plugin that returns other data)", quoteBytes(out, 32))}
	}
	return decodeOutputs(out, "plugin")
}

// quoteBytes quotes the start of some bytes for a message, with their size.
func quoteBytes(b []byte, n int) string {
	cut := b
	if len(cut) > n {
		cut = cut[:n]
	}
	q := fmt.Sprintf("%+q", cut)
	if len(b) > n {
		q = q[:len(q)-1] + "…\""
	}
	return fmt.Sprintf("%s (%d bytes)", q, len(b))
}

// pluginConfig merges the Extism configuration of a prebuilt task: the
// capability's own, overlaid with what the operator gives the capability.
// It returns the merged map, its sorted keys and the digest of the values.
func pluginConfig(p *plugins.Plugin, operator map[string]string, vars map[string]any) (map[string]string, []string, string) {
	cfg := p.Config()
	if cfg == nil && len(operator) == 0 && len(vars) == 0 {
		return nil, nil, ""
	}
	if cfg == nil {
		cfg = map[string]string{}
	}
	for k, v := range operator {
		cfg[k] = v
	}
	// The capability's environment variables come last: a variable
	// overrides a configuration key of the same name.
	for k, v := range capabilities.VarTexts(vars) {
		cfg[k] = v
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// encoding/json writes map keys sorted: the same configuration gives
	// the same bytes.
	b, _ := json.Marshal(cfg)
	sum := sha256.Sum256(b)
	return cfg, keys, "sha256:" + hex.EncodeToString(sum[:])
}
