// Package runtime runs capabilities in the WebAssembly sandbox.
//
// An Engine owns the wazero configuration (one fixed configuration for the
// whole process: compiler, CloseOnContextDone, a page limit, one
// compilation cache in memory and, when configured, on disk), the compiled
// interpreter engines and prebuilt plugins, and the pools of prepared
// interpreter instances.
//
// Engines that share a cache directory, in one process or several,
// compile each module once between them (on Linux): a compilation holds
// an exclusive lock on a file in the directory named for the module
// (compile-<language or "plugin">-<digest>.lock), and an engine that
// waited for it finds the module in the cache and loads it. A lock held
// for more than two minutes, or one whose file cannot be opened, is done
// without.
//
// # A run
//
// Run validates the inputs (applying defaults), builds the capability's
// plugins (cached by capability digest), and runs the tasks of an atomic
// capability in order under one deadline (env.resources.timeout, default
// Config.DefaultTimeout) and one memory limit per task instance
// (env.resources.memory, default Config.DefaultMemory; see "Memory" below).
// Each task runs in a
// fresh instance: either instantiated for it or taken from a pool of
// instances prepared ahead and never used before. Instances are closed
// after their task; nothing a task leaves in memory reaches another run.
//
// A composite capability has no tasks: Run refuses it, and RunFlow runs its
// flow, calling a StepRunner for each step (enact.Client runs each step as
// a child run with its own grant and receipt) once the steps it needs have
// finished, at most MaxParallelSteps at a time, the whole within the
// composite's timeout (FlowTimeout). Check and Prepare of a composite check
// and prepare every capability its steps run.
//
// # Variables, outputs and task chaining
//
// A script task sees every input as a variable of the same name (names that
// are not identifiers of the language, or are keywords, are reachable only
// through the `inputs` mapping, which always holds all of them). An
// optional input the caller left out, with no default, is still there:
// None in Python, null in JavaScript. A
// top-level `return` of a mapping (Python dict, JavaScript object) gives
// the task's outputs; returning nothing gives none. The next task sees the
// capability's inputs overlaid with the outputs of every earlier task (a
// later value wins), both as variables and in `inputs`. The capability's
// outputs are all tasks' outputs overlaid in the same way, validated
// against the outputs schema.
//
// Validation is bounded like the tasks: the inputs are validated within
// the run's timeout (a validation cut off by it is a timeout; by the
// caller's context, a cancelled run, also code timeout), and the outputs
// within the run's deadline, so a costly outputs schema ends the run as
// timeout. The validation limits of package capabilities (value depth and
// size, validation steps) apply as well; a value refused at one is
// invalid_input or invalid_output with the limit named.
//
// A prebuilt (Extism) plugin receives the same variables as one JSON
// object, its call's input, and returns a JSON object as its output; or,
// as its plugin.input and plugin.output say, receives the bytes of its one
// string input (raw; base64-decoded when the property has contentEncoding
// base64) and returns text or bytes, given as the output named "output"
// (bytes in base64). Its Extism configuration (config_get) is the
// capability's plugin.config overlaid with Config.PluginConfig for the
// capability, then with the run's environment variables (RunSpec.Vars, a
// non-string value as its JSON text); TaskResult records the keys and a
// digest, never the values. Script tasks read the variables as env and
// os.environ (Python) or env and process.env (JavaScript), read-only.
// Its Extism vars start empty in every run. What it logs through Extism's
// log functions is kept in Result.Logs (bounded by MaxLogEntries and
// MaxLogMessage) and in the output as "[level] message" lines: the
// module's imports of those functions are renamed before compilation to
// functions of the runtime (see extism.go), so the go-sdk's process-wide
// log level and standard logger are never involved. Its imports of the
// kernel's memory and I/O functions (alloc, length, load_u8, output_set…)
// are renamed the same way, to functions that call the kernel through
// functions looked up once per instance rather than on every call as the
// go-sdk does (BenchmarkExtismHostCalls: a load_u8 ~13 µs → ~2.5 µs).
//
// What a task prints (Python print, console.log, a plugin's standard output
// and error) is captured, interleaved, into Result.Output, keeping the
// first Config.MaxOutput bytes; Result.OutputTruncated says when more was
// dropped.
//
// # Failures
//
// Every failure is an *Error with a stable Code: invalid_input,
// invalid_output, timeout, memory_limit, output_limit, guest_error (the
// task raised or returned an error), trap (the module trapped or exited),
// plugin_error (a plugin could not be built or loaded), unsupported. The
// Engine stays usable after any of them.
//
// # Memory
//
// env.resources.memory bounds everything a task's instance holds, together:
//
//   - every linear memory, counted page by page as it is allocated and
//     grown, through the runtime's own allocator: a script engine's, a
//     prebuilt plugin's and the Extism kernel's (1 MiB at start), which
//     holds the plugin's input, its output and the replies of host calls;
//   - for a prebuilt plugin, what its module declares, priced from its
//     sections before anything is compiled (package plugins decodes them):
//     8 bytes per table entry, 128 bytes per global, 48 bytes per element
//     segment entry and a byte per data segment byte (see limits.go for
//     how these follow wazero's representation).
//
// A declaration over the limit (a table's or memory's minimum, the globals,
// an element or data segment, or all of them together with the kernel's
// memory) fails the run before it starts with plugin_error, naming what
// and its size. Growth past the limit ends the run with memory_limit:
// memory.grow fails (the guest sees -1 and, nearly always, dies of it), and
// a table the code grows gets a maximum written into the module (half of
// what the declarations leave, shared among such tables, charged up front)
// with every table.grow on it trapping past that maximum. A table the code
// never grows costs its declared size only. An input that cannot fit the
// kernel's memory is refused (memory_limit) rather than handed over empty.
//
// What the host keeps for a run is bounded apart: printed output by
// Config.MaxOutput, a task's returned JSON by 8 MiB (read from guest
// memory, so never more than the limit first), a guest's action request by
// hostfns.MaxRequestBytes and a reply by hostfns.MaxReplyBytes, Extism's
// variable store by its 1 MiB default.
//
// # Sandbox
//
// Guests get no writable filesystem, no environment variables, no
// arguments, no sockets and no clock other than wall and monotonic time:
// the WASI functions the interpreters import are the sandbox's own (see
// wasi.go) and answer "not capable" to every socket call and to every path
// outside the one read-only directory an interpreter may be given (the
// Python engine's standard library, an archive embedded in the binary and
// mounted at /usr/local; see wasifs.go and python.go). Prebuilt plugins
// get wazero's WASI through Extism with no directory open (every path call
// fails) and may import only the Extism kernel minus HTTP and WASI minus
// sockets (package plugins refuses anything else before compilation).
package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/plugins"
)

// Defaults for a zero Config.
const (
	DefaultMemory  = 64 << 20
	MaxMemory      = 2 << 30
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 10 * time.Minute
	DefaultOutput  = 1 << 20
)

// maxResultBytes bounds the JSON a task may return.
const maxResultBytes = 8 << 20

// Config configures an Engine. The zero value is safe: memory and time are
// bounded by the defaults above and nothing is written to disk.
type Config struct {
	// CacheDir holds compiled modules across processes, and the lock
	// files that keep them from compiling the same module at once; ""
	// keeps them in memory only, in one cache shared by every such engine
	// of the process.
	CacheDir string
	// DefaultMemory and MaxMemory bound what each task of a run may hold
	// in bytes (all its linear memories and a prebuilt module's tables,
	// globals and segments: see the package documentation): the default
	// applies when a capability sets no env.resources.memory, the maximum
	// refuses a capability asking for more.
	DefaultMemory, MaxMemory uint64
	// DefaultTimeout and MaxTimeout do the same for the run's deadline.
	DefaultTimeout, MaxTimeout time.Duration
	// MaxOutput bounds the printed output kept per run, in bytes.
	MaxOutput int
	// PluginConfig returns the Extism configuration the operator gives
	// the prebuilt plugins of a capability (by id), or nil: for each key,
	// it overrides the capability's own plugin.config. It is for values
	// that are not the author's to fix (a region, an account name);
	// results and receipts record its keys and a digest, never its values.
	// It is called once per prebuilt task run, possibly concurrently; nil
	// gives none. (*policy.Policy).PluginConfig is one.
	PluginConfig func(capabilityID string) map[string]string
	// PoolSize is how many prepared instances to keep ready per script
	// language and memory limit. 0 prepares none: every task instantiates
	// its engine on demand (right for a one-shot CLI run).
	PoolSize int
	// Preparing, when set, is told when an interpreter starts being
	// prepared (compiled, or loaded from CacheDir) and returns what to
	// call when it is ready: a CLI shows progress with it. Nil: nothing.
	Preparing func(language string) (done func())
}

func (c Config) withDefaults() Config {
	if c.DefaultMemory == 0 {
		c.DefaultMemory = DefaultMemory
	}
	if c.MaxMemory == 0 {
		c.MaxMemory = MaxMemory
	}
	if c.DefaultTimeout == 0 {
		c.DefaultTimeout = DefaultTimeout
	}
	if c.MaxTimeout == 0 {
		c.MaxTimeout = MaxTimeout
	}
	if c.MaxOutput == 0 {
		c.MaxOutput = DefaultOutput
	}
	return c
}

// Engine runs capabilities. It is safe for concurrent use; each run gets
// its own instances.
type Engine struct {
	cfg      Config
	rtConfig wazero.RuntimeConfig
	cache    wazero.CompilationCache
	// cacheDir is the directory behind cache (cfg.CacheDir, or a test
	// binary's shared directory), "" for one in memory only: where the
	// compile locks are taken.
	cacheDir string
	// lockWait bounds the wait for a compile lock (compileLockWait; a
	// test may shorten it).
	lockWait time.Duration

	mu       sync.Mutex
	interps  map[string]*lazyInterp
	prebuilt map[string]*lazyExtism
	built    map[string][]*plugins.Plugin
	pools    map[poolKey]*pool
	closed   bool
	// noImages keeps every interpreter on page-copy snapshots (a test
	// hook; see snapshot_image.go).
	noImages bool
	// imageDir, when set, is where images are kept on disk instead of
	// under the cache directory (a test hook: a test's own images beside a
	// shared compilation cache).
	imageDir string
	// lockBusy and compiling are test hooks: lockBusy is called when a
	// compile lock is found held by someone else, compiling with the
	// lock's path once the lock is taken (or given up), just before
	// compiling.
	lockBusy  func()
	compiling func(lockPath string)
}

type lazyInterp struct {
	once sync.Once
	in   *interpreter
	err  error
}

type lazyExtism struct {
	once sync.Once
	cp   *extism.CompiledPlugin
	err  error
	// growFuncs are the functions a table bound added (see
	// plugins.BoundTables): a trap in one is a table refused growth.
	growFuncs map[uint32]int
}

// New creates an Engine. Nothing is compiled until first use or Warm.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	if cfg.DefaultMemory > cfg.MaxMemory {
		return nil, fmt.Errorf("runtime: default memory %d exceeds maximum %d", cfg.DefaultMemory, cfg.MaxMemory)
	}
	var cache wazero.CompilationCache
	cacheDir := cfg.CacheDir
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("runtime: compilation cache: %w", err)
		}
		newCacheMu.Lock()
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		newCacheMu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("runtime: compilation cache: %w", err)
		}
		cache = c
	} else {
		cache, cacheDir = memoryCache()
	}
	pages := uint32(min(cfg.MaxMemory/65536, 65536))
	return &Engine{
		cfg:      cfg,
		cache:    cache,
		cacheDir: cacheDir,
		lockWait: compileLockWait,
		// The one runtime configuration of the process. Every runtime the
		// engine creates, Extism's included, uses exactly this value, so
		// compiled code is shared through the cache.
		// Debug info is off: with it, every compiled module carries a
		// source map that the on-disk cache reads back in 16-byte pieces
		// (hundreds of thousands of reads for QuickJS, ~300 ms against
		// ~50 ms without). Traps still name the guest function.
		rtConfig: wazero.NewRuntimeConfigCompiler().
			WithCloseOnContextDone(true).
			WithDebugInfoEnabled(false).
			WithMemoryLimitPages(pages).
			WithCompilationCache(cache),
		interps:  map[string]*lazyInterp{},
		prebuilt: map[string]*lazyExtism{},
		built:    map[string][]*plugins.Plugin{},
		pools:    map[poolKey]*pool{},
	}, nil
}

// Warm compiles the interpreter engines of the given languages ("python",
// "javascript") ahead of the first run, and fills their pools when pooling
// is on.
func (e *Engine) Warm(ctx context.Context, languages ...string) error {
	for _, lang := range languages {
		in, err := e.interpreter(ctx, lang)
		if err != nil {
			return err
		}
		if e.cfg.PoolSize > 0 {
			e.poolFor(in, e.cfg.DefaultMemory)
		}
	}
	return nil
}

// Close stops the pools and releases every compiled module.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	pools := e.pools
	e.pools = nil
	e.mu.Unlock()
	for _, p := range pools {
		p.stop(ctx)
	}
	var errs []error
	// Copies, taken under the lock: a background Warm may still be
	// looking entries up. Nothing is added once closed is set.
	e.mu.Lock()
	interps, prebuilt := maps.Clone(e.interps), maps.Clone(e.prebuilt)
	e.mu.Unlock()
	for _, li := range interps {
		// Wait for a compilation still under way (a background Warm):
		// once.Do returns only after it, and makes li.in safe to read.
		li.once.Do(func() { li.err = errEngineClosed })
		if li.in != nil {
			errs = append(errs, li.in.rt.Close(ctx))
			li.in.images.close() // [image]
		}
	}
	for _, le := range prebuilt {
		le.once.Do(func() { le.err = errEngineClosed })
		if le.cp != nil {
			errs = append(errs, le.cp.Close(ctx))
		}
	}
	if e.cfg.CacheDir != "" {
		// The in-memory cache is the process's, shared by every engine
		// without a directory, and outlives them.
		errs = append(errs, e.cache.Close(ctx))
	}
	return errors.Join(errs...)
}

// interpreter returns the compiled interpreter of a language, compiling it
// (or loading it from the cache) on first use. Each interpreter has a
// wazero runtime of its own, created from the one configuration, because
// both engines import a module named "env" with different contents.
func (e *Engine) interpreter(ctx context.Context, lang string) (*interpreter, error) {
	e.mu.Lock()
	li := e.interps[lang]
	if li == nil {
		if e.closed {
			e.mu.Unlock()
			return nil, errEngineClosed
		}
		li = &lazyInterp{}
		e.interps[lang] = li
	}
	e.mu.Unlock()
	li.once.Do(func() { li.in, li.err = e.compileInterpreter(context.WithoutCancel(ctx), lang) })
	return li.in, li.err
}

func (e *Engine) compileInterpreter(ctx context.Context, lang string) (*interpreter, error) {
	engine, err := plugins.EngineFor(lang)
	if err != nil {
		return nil, err
	}
	wasm, err := engine.Wasm()
	if err != nil {
		return nil, err
	}
	var in *interpreter
	switch lang {
	case "python":
		in = pythonInterpreter()
	default:
		in = javascriptInterpreter()
	}
	imageDir := e.cfg.CacheDir
	if e.imageDir != "" {
		imageDir = e.imageDir
	}
	if e.cfg.Preparing != nil {
		done := e.cfg.Preparing(lang)
		defer done()
	}
	wasm = prepareImages(in, wasm, e.noImages, imageDir) // [image] the module rewritten for memory images, or as it is
	rt := wazero.NewRuntimeWithConfig(ctx, e.rtConfig)
	compiled, err := func() (wazero.CompiledModule, error) {
		defer e.lockCompile(interpreterLockName(engine))()
		return rt.CompileModule(ctx, wasm)
	}()
	in.live = &sync.Map{}
	if err == nil && lang == "python" {
		err = preparePython(ctx, rt, in)
	} else if err == nil {
		err = instantiateWASI(ctx, rt)
		if err == nil {
			err = instantiateEnv(ctx, rt, in.live, compiled)
		}
	}
	if err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("runtime: prepare %s engine: %w", lang, err)
	}
	in.rt, in.compiled = rt, compiled
	for _, m := range compiled.ExportedMemories() {
		in.minMemory = uint64(m.Min()) * 65536
	}
	return in, nil
}

// extismPlugin returns the compiled form of a prebuilt plugin as planned
// for a memory limit, compiling it on first use. A plan that bounds tables
// compiles the rewritten module, under a key of its own.
func (e *Engine) extismPlugin(ctx context.Context, p *plugins.Plugin, plan *modulePlan) (*lazyExtism, error) {
	e.mu.Lock()
	le := e.prebuilt[plan.key]
	if le == nil {
		if e.closed {
			e.mu.Unlock()
			return nil, errEngineClosed
		}
		le = &lazyExtism{}
		e.prebuilt[plan.key] = le
	}
	e.mu.Unlock()
	le.once.Do(func() {
		wasm := p.Wasm()
		if len(plan.maxima) > 0 {
			bound, err := plugins.BoundTables(wasm, plan.maxima)
			if err != nil {
				le.err = &Error{Code: CodePluginError, Task: p.TaskID(), Message: "bound the plugin's tables: " + err.Error(), cause: err}
				return
			}
			wasm, le.growFuncs = bound.Wasm, bound.GrowFuncs
		}
		renamed, err := plugins.RenameImports(wasm, renameKernelImports)
		if err != nil {
			le.err = &Error{Code: CodePluginError, Task: p.TaskID(), Message: "serve the plugin's kernel imports: " + err.Error(), cause: err}
			return
		}
		manifest := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: renamed, Name: "main"}}}
		func() {
			defer e.lockCompile("plugin-" + plan.key)()
			le.cp, le.err = extism.NewCompiledPlugin(context.WithoutCancel(ctx), manifest,
				extism.PluginConfig{RuntimeConfig: e.rtConfig, EnableWasi: true},
				slices.Concat([]extism.HostFunction{extismEnactCall()}, extismLogFunctions(), extismKernelFunctions(), extismWASIFunctions()))
		}()
		if le.err != nil {
			le.err = &Error{Code: CodePluginError, Task: p.TaskID(), Message: "compile plugin: " + le.err.Error()}
		}
	})
	if le.err != nil {
		return nil, le.err
	}
	return le, nil
}

// plan prices a prebuilt plugin against a memory limit (see planModule).
func (e *Engine) plan(p *plugins.Plugin, memLimit uint64) (*modulePlan, error) {
	return planModule(p.TaskID(), p.Footprint(), p.Digest(), memLimit)
}

// extismEnactCall is the guest ABI's entry point for Extism plugins:
// extism:host/user.enact_call takes the offset of a request in Extism
// memory and returns the offset of the reply.
func extismEnactCall() extism.HostFunction {
	f := extism.NewHostFunctionWithStack("enact_call", func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
		var reply []byte
		if n := kernelLength(ctx, stack[0]); n > hostfns.MaxRequestBytes {
			reply = hostfns.ErrorReply(hostfns.CodeInvalidRequest, fmt.Sprintf("the request is %d bytes; the limit is %d", n, hostfns.MaxRequestBytes))
		} else if req, ok := p.Memory().Read(uint32(stack[0]), uint32(n)); !ok {
			// Read directly, not through ReadBytes, which asks the kernel
			// for the length again: every kernel call costs a nested
			// wazero call.
			reply = hostfns.ErrorReply(hostfns.CodeInvalidRequest, "enact_call: the request is outside the plugin's memory")
		} else {
			reply = hostCall(ctx, bytes.Clone(req))
		}
		off := kernelAlloc(ctx, uint64(len(reply)))
		if off != 0 && !p.Memory().Write(uint32(off), reply) {
			panic(fmt.Errorf("enact_call: write reply: the block at %d is outside the kernel's memory", off))
		}
		if off == 0 {
			// The kernel's alloc returns 0 when its memory cannot grow:
			// the run's budget refused it, and the run ends memory_limit.
			panic(fmt.Errorf("enact_call: the reply of %d bytes does not fit the plugin's memory limit", len(reply)))
		}
		stack[0] = off
	}, []extism.ValueType{extism.ValueTypePTR}, []extism.ValueType{extism.ValueTypePTR})
	f.SetNamespace("extism:host/user")
	return f
}

// plugins returns the plugins of a capability, building them once per
// capability digest and directory.
func (e *Engine) plugins(c *capabilities.Capability) ([]*plugins.Plugin, error) {
	key := c.Digest + "\x00" + c.Dir
	e.mu.Lock()
	ps, ok := e.built[key]
	e.mu.Unlock()
	if ok {
		return ps, nil
	}
	ps, err := plugins.Build(c)
	if err != nil {
		// The code says plugin_error already: no "plugins:" after it.
		msg := strings.ReplaceAll(err.Error(), "): plugins: ", "): ")
		return nil, &Error{Code: CodePluginError, Message: msg, cause: err}
	}
	e.mu.Lock()
	if len(e.built) > 1024 {
		clear(e.built)
	}
	e.built[key] = ps
	e.mu.Unlock()
	return ps, nil
}

var errEngineClosed = errors.New("runtime: engine closed")

// compileLockWait bounds how long a compilation waits for the compile
// lock of another process (or engine) on the same cache directory before
// compiling anyway. Each Engine takes it when created (lockWait), so a
// test can shorten one engine's wait without touching the others.
var compileLockWait = 2 * time.Minute

// lockCompile takes the compile lock of a module (what names it: the
// language and engine digest of an interpreter, the plan key of a plugin)
// in the engine's cache directory, and returns what releases it; with no
// directory, or when the lock cannot be had (see lockFile), it takes none.
//
// Compiling CPython costs seconds of CPU (tens under the race detector),
// and processes started together on a fresh cache (a fleet of runners, a
// test run's binaries and the runners they start) would each compile the
// same module at once. Under the lock one of them compiles and fills the
// on-disk cache; each one that waited finds the module there when its
// turn comes and loads it instead. The file is named by a digest of what
// names the module, so different modules never wait for each other.
func (e *Engine) lockCompile(name string) (unlock func()) {
	if e.cacheDir == "" {
		return func() {}
	}
	path := e.compileLockPath(name)
	unlock = lockFile(path, e.lockWait, e.lockBusy)
	if e.compiling != nil {
		e.compiling(path)
	}
	return unlock
}

// compileLockPath is the file of a compile lock: compile-<kind>-<digest>.lock
// in the cache directory, kind being what name starts with (a language,
// or "plugin").
func (e *Engine) compileLockPath(name string) string {
	sum := sha256.Sum256([]byte(name))
	kind, _, _ := strings.Cut(name, "-")
	return filepath.Join(e.cacheDir, "compile-"+kind+"-"+hex.EncodeToString(sum[:8])+".lock")
}

// interpreterLockName names an interpreter engine's compile lock.
func interpreterLockName(engine *plugins.Engine) string {
	return engine.Language() + "-" + engine.SHA256()
}

// memoryCache is the compilation cache of engines configured without a
// directory: one per process, so that a second engine (a test's, a
// reloaded server's) finds the interpreters compiled instead of spending
// seconds on CPython again. wazero caches may be shared by runtimes; the
// compiled code of a module stays while any runtime uses it.
//
// In a test binary (testing.Testing) the process's cache is kept in the
// module's shared test cache directory (internal/testcache names the same
// one) instead: compiling CPython costs tens of seconds of CPU under the
// race detector, and each package's tests would otherwise pay it again on
// every run. Compiled code is keyed by the module's bytes; nothing else
// about the engines changes. Programs built by go build never take this
// branch. The directory is returned with the cache: compilations take
// their compile locks there (see lockCompile), as they do in a
// configured CacheDir, so the test binaries of one `go test` run and the
// runners they start compile each module once between them.
var memoryCache = sync.OnceValues(func() (wazero.CompilationCache, string) {
	if testing.Testing() {
		dir := testCacheDir()
		if os.MkdirAll(dir, 0o700) == nil {
			newCacheMu.Lock()
			c, err := wazero.NewCompilationCacheWithDir(dir)
			newCacheMu.Unlock()
			if err == nil {
				return c, dir
			}
		}
	}
	return wazero.NewCompilationCache(), ""
})

// testCacheDir is the module's shared test cache directory, the one
// internal/testcache.Dir makes (a test checks they agree).
func testCacheDir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("enact-test-cache-%d", os.Getuid()))
}

// newCacheMu serialises wazero.NewCompilationCacheWithDir: wazero v1.12
// caches its own version string in an unsynchronised global on first use,
// so two engines created at once race on it.
var newCacheMu sync.Mutex
