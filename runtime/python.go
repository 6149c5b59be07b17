package runtime

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/plugins"
)

// Python tasks run on CPython 3.13 built for wasm32-wasi as a reactor
// (plugins/engines/cpython; its entry points are documented in
// enact_python.c). The engine is initialised once per memory limit: the
// interpreter starts isolated (no environment, no arguments, no site, the
// standard library read from the archive mounted read-only at /usr/local),
// runs python/boot.py, which imports the modules tool authors use and closes
// what the sandbox cannot offer, and the memory it leaves is the snapshot
// every run of that limit starts from.
//
// A run hands __enact_run one JSON request: the task's code, the document's
// name and the line its code starts on (so tracebacks and syntax errors
// name cap.yaml:14, not a line of the task), the inputs' JSON text (an
// object whose key order is the caller's), and a fresh 128-bit seed for
// random, the capability's environment variables (their values as the
// global env, their text as os.environ, both read-only) and the task's
// entry point. The task runs as a module named __main__, inputs as its
// globals, with a top-level return allowed (or its entry point called with
// the inputs its parameters name); the runner answers {"ok": value} or
// {"error": {type, message, trace}}, the envelope decodeEnvelope reads.
//
// Frozen by the snapshot, and so shared by every run of a process: the
// string-hash seed (CPython draws it once, at initialisation; set and dict
// iteration orders of strings are stable within a process, as under a fixed
// PYTHONHASHSEED) and everything the boot code computed. Not frozen: random
// (reseeded per run), os.urandom and the secrets module (the host's
// entropy on every call), the clock (read from the host on every call).

//go:embed python/boot.py
var pythonBoot string

// pythonStdlibMount is where the standard library archive appears inside
// the guest: its lib/python3.13 is the interpreter's module path and its
// share/zoneinfo is the tz database.
const pythonStdlibMount = "/usr/local"

func pythonInterpreter() *interpreter {
	return &interpreter{
		language:  "python",
		snapshots: &snapshots{},
		// One copy-on-write image of the initialised interpreter serves
		// every memory limit: initialisation does not depend on it.
		image:         true,
		imageAnyLimit: true,
		// The image is kept on disk too (a new process maps it instead of
		// initialising CPython): it depends on the boot code and the
		// standard library as well as on the module.
		imageIdentity: "cpython\x00" + pythonBoot + "\x00" + plugins.PythonStdlibSHA256(),
		init:          initCPython,
		exec:          execCPython,
	}
}

// initCPython runs the reactor's constructors, initialises the interpreter
// and runs the boot code. What the interpreter prints while it starts is
// kept for the error, should it fail.
func initCPython(ctx context.Context, m api.Module, _ uint64) (uint32, error) {
	stderr := newBoundedBuffer(8 << 10)
	ctx = withCallState(ctx, &callState{output: stderr})
	if f := m.ExportedFunction("_initialize"); f != nil {
		if _, err := f.Call(ctx); err != nil {
			return 0, err
		}
	}
	boot := pythonBoot + "\x00"
	res, err := m.ExportedFunction("malloc").Call(ctx, uint64(len(boot)))
	if err != nil {
		return 0, err
	}
	if uint32(res[0]) == 0 || !m.Memory().WriteString(uint32(res[0]), boot) {
		return 0, errGuestOutOfMemory
	}
	if res, err = m.ExportedFunction("enact_init").Call(ctx, res[0]); err != nil {
		return 0, err
	}
	if uint32(res[0]) != 0 {
		text, _ := stderr.result()
		return 0, fmt.Errorf("runtime: python start-up failed: %s", truncate(strings.TrimSpace(text), 2000))
	}
	return 0, nil
}

// pythonRequest is what __enact_run receives.
type pythonRequest struct {
	Code   string `json:"code"`
	File   string `json:"file"`
	Line   int    `json:"line"`
	Inputs string `json:"inputs"`
	Seed   string `json:"seed"`
	// Env and Environ are the capability's environment variables as a
	// JSON object: their values, and their text (os.environ).
	Env     string `json:"env,omitempty"`
	Environ string `json:"environ,omitempty"`
	// Entry is the task's entry point, "" for none.
	Entry string `json:"entry,omitempty"`
	// Check asks the runner to compile the code only and answer
	// {"ok": null} or its syntax error (CheckSyntax); the fields above
	// it then need only code and file, with line 1.
	Check bool `json:"check,omitempty"`
}

// pythonProgram builds the request that runs a task's code with the given
// variables, whose JSON keeps the caller's key order.
func pythonProgram(p *plugins.Plugin, vars map[string]any, order *KeyOrder, env map[string]any) (string, error) {
	in, err := orderedJSON(vars, order)
	if err != nil {
		return "", err
	}
	file, line, _ := p.CodeAt()
	if file == "" {
		file = "<task " + p.TaskID() + ">"
	}
	var seed [16]byte
	_, _ = rand.Read(seed[:])
	r := pythonRequest{
		Code:   strings.ReplaceAll(p.Code(), "\r\n", "\n"),
		File:   file,
		Line:   max(line, 1),
		Inputs: string(in),
		Seed:   hex.EncodeToString(seed[:]),
		Entry:  p.EntryPoint(),
	}
	if len(env) > 0 {
		values, err := marshalJSON(env)
		if err != nil {
			return "", err
		}
		text, err := marshalJSON(capabilities.VarTexts(env))
		if err != nil {
			return "", err
		}
		r.Env, r.Environ = string(values), string(text)
	}
	req, err := marshalJSON(r)
	return string(req), err
}

// execCPython runs one request on a prepared instance and returns the
// envelope the runner produced.
func execCPython(ctx context.Context, inst *instance, request string) ([]byte, error) {
	addrs, err := inst.cStrings(ctx, 0, request)
	if err != nil {
		return nil, err
	}
	rc, err := inst.call(ctx, "enact_run", uint64(addrs[0]), uint64(len(request)))
	if err != nil {
		return nil, err
	}
	if uint32(rc) != 0 {
		// The runner catches everything a task raises; failing itself
		// means it could not even allocate its answer.
		if inst.budget.refused.Load() {
			return nil, &Error{Code: CodeMemoryLimit, Message: "the Python interpreter ran out of memory"}
		}
		return nil, fmt.Errorf("runtime: python: the runner failed (see the output)")
	}
	n, err := inst.call(ctx, "enact_result_length")
	if err != nil {
		return nil, err
	}
	if int32(n) < 0 {
		return nil, fmt.Errorf("runtime: python: the runner left no result")
	}
	if uint32(n) > maxResultBytes {
		return nil, &Error{Code: CodeOutputLimit, Message: fmt.Sprintf("the task returned %d bytes of JSON; the limit is %d", uint32(n), maxResultBytes)}
	}
	ptr, err := inst.call(ctx, "enact_result")
	if err != nil {
		return nil, err
	}
	return inst.read(uint32(ptr), uint32(n))
}

// instantiateEnactHost builds the "enact" host module of the CPython
// engine: call(request, length) performs one action request and keeps the
// reply, returning its length; reply(buffer, length) copies the kept reply
// into guest memory. The reply stays on the host between the two, so the
// host never calls back into the guest (no allocation from inside a host
// call).
func instantiateEnactHost(ctx context.Context, r wazero.Runtime, in *interpreter) error {
	i32 := api.ValueTypeI32
	_, err := r.NewHostModuleBuilder("enact").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, s []uint64) {
		inst := instanceOf(in.live, m)
		ptr, n := uint32(s[0]), uint32(s[1])
		var reply []byte
		if n > hostfns.MaxRequestBytes {
			reply = hostfns.ErrorReply(hostfns.CodeInvalidRequest, fmt.Sprintf("the request is %d bytes; the limit is %d", n, hostfns.MaxRequestBytes))
		} else {
			req, err := inst.read(ptr, n)
			if err != nil {
				panic(err)
			}
			reply = hostCall(ctx, req)
		}
		inst.reply = reply
		s[0] = uint64(len(reply))
	}), []api.ValueType{i32, i32}, []api.ValueType{i32}).Export("call").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, m api.Module, s []uint64) {
		inst := instanceOf(in.live, m)
		ptr, n := uint32(s[0]), uint32(s[1])
		if inst.reply == nil || int(n) != len(inst.reply) || !m.Memory().Write(ptr, inst.reply) {
			s[0] = api.EncodeI32(-1)
			return
		}
		inst.reply = nil
		s[0] = uint64(n)
	}), []api.ValueType{i32, i32}, []api.ValueType{i32}).Export("reply").
		Instantiate(ctx)
	return err
}

// preparePython instantiates the host modules of the CPython engine: the
// sandbox's WASI with the standard library archive mounted read-only at
// /usr/local (nothing else is reachable), and enact.
func preparePython(ctx context.Context, rt wazero.Runtime, in *interpreter) error {
	zr, err := plugins.PythonStdlib()
	if err != nil {
		return err
	}
	mount, err := newWASIMount(newArchiveFS(zr), pythonStdlibMount)
	if err != nil {
		return err
	}
	if err := instantiateWASI(ctx, rt, wasiOptions{Mount: mount}); err != nil {
		return err
	}
	in.mount = mount
	return instantiateEnactHost(ctx, rt, in)
}
