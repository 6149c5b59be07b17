package runtime

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/internal/lazyre"
	"github.com/enact-run/enact/plugins"
)

// jsHeadroom is memory left outside QuickJS's own allocation limit, so that
// reaching the limit raises a catchable "out of memory" inside the engine
// instead of failing the engine's own bookkeeping.
const jsHeadroom = 2 << 20

// jsMaxStack is QuickJS's stack limit for JavaScript recursion.
const jsMaxStack = 256 << 10

func javascriptInterpreter() *interpreter {
	return &interpreter{
		language:  "javascript",
		snapshots: &snapshots{},
		image:     true,
		init: func(ctx context.Context, m api.Module, memLimit uint64) (uint32, error) {
			limit := uint64(0)
			if memLimit > 2*jsHeadroom {
				limit = memLimit - jsHeadroom
			}
			res, err := m.ExportedFunction("New_QJS").Call(ctx, limit, jsMaxStack, 0, 0)
			if err != nil {
				return 0, err
			}
			if uint32(res[0]) == 0 {
				return 0, errGuestOutOfMemory
			}
			res, err = m.ExportedFunction("QJS_GetContext").Call(ctx, res[0])
			if err != nil {
				return 0, err
			}
			jsctx := res[0]
			if err := closeModules(ctx, m, uint32(jsctx)); err != nil {
				return 0, err
			}
			if err := jsInstallProxy(ctx, m, jsctx, jsProxyHost, "__enact_host"); err != nil {
				return 0, err
			}
			if err := jsInstallProxy(ctx, m, jsctx, jsProxySys, "__enact_sys"); err != nil {
				return 0, err
			}
			return uint32(jsctx), nil
		},
		// What every program needs is evaluated once, at start-up, and so
		// is part of the snapshot new instances start from.
		startup: func(ctx context.Context, inst *instance) error {
			_, err := evalJavaScript(ctx, inst, jsStartup, "<enact>")
			return err
		},
		exec: execJavaScript,
	}
}

// jsPrelude removes what QuickJS's standard library adds to the global
// object beyond the language: file and process access (std, os, bjson and
// the process's arguments), timers built on them, and the engine's Go
// bridge. The modules behind them are closed by closeModules.
const jsPrelude = `for (const k of ["std", "os", "bjson", "scriptArgs", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "QJS_PROXY_VALUE"]) delete globalThis[k];`

// jsStartup prepares the global object for programs: the prelude, a
// Math.random to be seeded per run, the web-platform APIs (js/webapi.js)
// and the enact object.
var jsStartup = jsPrelude + jsRandom + jsWebAPI + javascriptEnact

// jsRandom replaces Math.random with xoshiro128**, seeded per run from the
// host's random source by the program's first statement
// (__enact_seed(a, b, c, d), which then removes itself). The engine seeds
// its own generator once, at start-up, from the clock; instances restored
// from a start-up snapshot would all share that seed, and so the same
// sequence of numbers.
const jsRandom = `{
  let a = 0, b = 0, c = 0, d = 1;
  const next = () => {
    const r = Math.imul(((x) => (x << 7) | (x >>> 25))(Math.imul(b, 5)), 9), t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = (d << 11) | (d >>> 21);
    return r >>> 0;
  };
  Object.defineProperty(Math, "random", { value: function random() { return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992; }, writable: true, configurable: true });
  Object.defineProperty(globalThis, "__enact_seed", { value: (s0, s1, s2, s3) => { a = s0 | 0; b = s1 | 0; c = s2 | 0; d = s3 | 0; delete globalThis.__enact_seed; }, configurable: true });
}
`

// jsSeed is the statement that seeds Math.random for one run.
func jsSeed() string {
	var seed [4]uint32
	for seed == [4]uint32{} {
		var b [16]byte
		_, _ = rand.Read(b[:])
		for i := range seed {
			seed[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
	}
	return fmt.Sprintf("__enact_seed(%d, %d, %d, %d);\n", seed[0], seed[1], seed[2], seed[3])
}

// javascriptProgram wraps a task's source in an async function (so a
// top-level return gives the outputs and await works) and turns the outcome
// into a JSON envelope, the program's completion value. The task's
// variables become writable globals rather than parameters, so the task may
// declare its own `const celsius` or destructure `inputs`. The body is
// compiled with the AsyncFunction constructor so that a syntax error in the
// task is reported like any other exception.
func javascriptProgram(code string, vars map[string]any, order *KeyOrder, env map[string]any, entry string) (string, error) {
	names := []string{}
	for _, name := range sortedKeys(vars) {
		if isJSIdentifier(name) {
			names = append(names, name)
		}
	}
	in, err := orderedJSON(vars, order)
	if err != nil {
		return "", err
	}
	if entry != "" {
		// Function declarations are hoisted: the call after the code sees
		// them; a top-level return before it wins.
		code += "\n;return await __enact_entry(typeof " + entry + " === \"function\" ? " + entry + " : undefined, " + strconv.Quote(entry) + ");"
	}
	src, err := marshalJSON(code)
	if err != nil {
		return "", err
	}
	keys, err := marshalJSON(names)
	if err != nil {
		return "", err
	}
	if env == nil {
		env = map[string]any{}
	}
	envJSON, err := marshalJSON(env)
	if err != nil {
		return "", err
	}
	environ, err := marshalJSON(capabilities.VarTexts(env))
	if err != nil {
		return "", err
	}
	// The wrapper's completion value is undefined, not its promise: the
	// host's event loop (jsLoop) waits for the task, not QJS_Eval.
	return jsSeed() + `void (async () => {
  const __enact_in = ` + string(in) + `;
  const loop = __enact_loop, define = Object.defineProperty, AsyncFunction = (async function () {}).constructor, freeze = Object.freeze;
  // The capability's environment variables, read-only: env with their
  // values, process.env with their text. An input of the same name wins.
  define(globalThis, "env", { value: freeze(` + string(envJSON) + `), writable: true, configurable: true });
  if (typeof globalThis.process === "undefined") define(globalThis, "process", { value: freeze({ env: freeze(` + string(environ) + `) }), writable: true, configurable: true });
  define(globalThis, "__enact_entry", { value: (f, name) => {
    if (f === undefined) throw new ReferenceError("the task's entry point " + name + " is not a function its code defines");
    const m = /^[^(]*\(([^)]*)\)/.exec(Function.prototype.toString.call(f));
    const params = m ? m[1].split(",").map((p) => p.replace(/=[\s\S]*$/, "").trim()).filter((p) => p !== "") : [];
    if (!params.every((p) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(p))) return f(__enact_in);
    return f(...params.map((p) => __enact_in[p]));
  }, configurable: true });
  define(globalThis, "inputs", { value: __enact_in, writable: true, configurable: true });
  for (const k of ` + string(keys) + `) define(globalThis, k, { value: __enact_in[k], writable: true, configurable: true });
  try {
    loop.ok(await new AsyncFunction(` + string(src) + `)());
  } catch (e) {
    loop.fail(e);
  }
})()`, nil
}

// execJavaScript evaluates a program on a prepared QuickJS instance, runs
// its event loop (jsLoop) and returns the envelope the task settled with.
func execJavaScript(ctx context.Context, inst *instance, program string) ([]byte, error) {
	ctx = withJSRunClock(ctx)
	if _, err := evalJavaScript(ctx, inst, program, "<task>"); err != nil {
		return nil, err
	}
	return jsLoop(ctx, inst)
}

// evalJavaScript evaluates source as a global script and returns its
// completion value; an exception is an error.
func evalJavaScript(ctx context.Context, inst *instance, source, file string) (uint64, error) {
	return evalScript(ctx, inst, source, file, false)
}

// evalScript is evalJavaScript; release frees the copies of the source and
// file name afterwards (the engine keeps neither), for code evaluated
// again and again in one instance. Otherwise they go with the instance.
func evalScript(ctx context.Context, inst *instance, source, file string, release bool) (uint64, error) {
	jsctx := uint64(inst.handle)
	addrs, err := inst.cStrings(ctx, 0, source, file)
	if err != nil {
		return 0, err
	}
	opts, err := inst.call(ctx, "QJS_CreateEvalOption", uint64(addrs[0]), 0, 0, uint64(addrs[1]), 0 /* JS_EVAL_TYPE_GLOBAL */)
	if err != nil {
		return 0, err
	}
	if uint32(opts) == 0 {
		return 0, errGuestOutOfMemory
	}
	val, err := inst.call(ctx, "QJS_Eval", jsctx, opts)
	if err != nil {
		return 0, err
	}
	if release {
		_, _ = inst.call(ctx, "free", opts)
		_, _ = inst.call(ctx, "free", uint64(addrs[0]))
	}
	isExc, err := inst.call(ctx, "QJS_IsException", val)
	if err != nil {
		return 0, err
	}
	if uint32(isExc) != 0 {
		// The wrapper catches what the task throws; an exception here means
		// the engine itself gave up, which under a budget is memory.
		if inst.budget.refused.Load() {
			return 0, &Error{Code: CodeMemoryLimit, Message: "the JavaScript engine ran out of memory"}
		}
		exc, err := inst.call(ctx, "JS_GetException", jsctx)
		if err != nil {
			return 0, err
		}
		text, _ := jsString(ctx, inst, exc)
		return 0, fmt.Errorf("runtime: javascript: uncaught exception outside the task (%s): %s", file, truncate(string(text), 200))
	}
	return val, nil
}

// jsString converts a JavaScript value to a string with QJS_ToCString and
// copies it out, refusing more than maxResultBytes.
func jsString(ctx context.Context, inst *instance, val uint64) ([]byte, error) {
	text, _, err := jsCString(ctx, inst, val)
	return text, err
}

// jsCString is jsString that also returns what QJS_ToCString allocated
// (the word packing the C string's address and length, at packed): the
// caller's to free, or the instance's to drop.
func jsCString(ctx context.Context, inst *instance, val uint64) (text []byte, packed uint64, err error) {
	packed, err = inst.call(ctx, "QJS_ToCString", uint64(inst.handle), val)
	if err != nil {
		return nil, 0, err
	}
	if uint32(packed) == 0 {
		return nil, 0, fmt.Errorf("runtime: javascript: the value has no string form")
	}
	b, err := inst.read(uint32(packed), 8)
	if err != nil {
		return nil, 0, err
	}
	v := binary.LittleEndian.Uint64(b)
	ptr, n := uint32(v>>32), uint32(v)
	if n > maxResultBytes {
		return nil, 0, &Error{Code: CodeOutputLimit, Message: fmt.Sprintf("the task returned %d bytes of JSON; the limit is %d", n, maxResultBytes)}
	}
	text, err = inst.read(ptr, n)
	return text, packed, err
}

var jsTraceLine = lazyre.New(`<input>:(\d+)(?::(\d+))?`)

// javascriptTraceback makes QuickJS's stack name the task's code where it
// is in the capability document (file:line:column, from p.CodeAt), or else
// the task and the code's own line numbers (the AsyncFunction constructor
// puts the body on line 3), and drops the frames of the wrapper (<task>),
// of the runtime's own code (<enact>, <loop>) and the native calls those
// made.
func javascriptTraceback(p *plugins.Plugin, trace string) string {
	file, line0, col0 := p.CodeAt()
	var keep []string
	lines := strings.Split(trace, "\n")
	internal := func(line string) bool {
		return strings.Contains(line, "(<task>") || strings.Contains(line, "(<enact>") || strings.Contains(line, "(<loop>")
	}
	for i, line := range lines {
		if internal(line) || strings.HasSuffix(line, "(native)") && i+1 < len(lines) && internal(lines[i+1]) {
			continue
		}
		keep = append(keep, jsTraceLine.ReplaceAllStringFunc(line, func(m string) string {
			sub := jsTraceLine.FindStringSubmatch(m)
			n, _ := strconv.Atoi(sub[1])
			n = max(n-2, 1)
			if file == "" || line0 == 0 {
				if sub[2] != "" {
					return fmt.Sprintf("%s:%d:%s", p.TaskID(), n, sub[2])
				}
				return fmt.Sprintf("%s:%d", p.TaskID(), n)
			}
			if c, err := strconv.Atoi(sub[2]); err == nil {
				return fmt.Sprintf("%s:%d:%d", file, line0+n-1, col0+c-1)
			}
			return fmt.Sprintf("%s:%d", file, line0+n-1)
		}))
	}
	return strings.TrimRight(strings.Join(keep, "\n"), "\n")
}

var jsReserved = setOf("break", "case", "catch", "class", "const", "continue", "debugger", "default",
	"delete", "do", "else", "enum", "export", "extends", "false", "finally", "for", "function", "if",
	"import", "in", "instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true",
	"try", "typeof", "var", "void", "while", "with", "yield", "let", "static", "implements", "interface",
	"package", "private", "protected", "public", "await", "arguments", "eval", "inputs",
	"globalThis", "undefined", "NaN", "Infinity")

func isJSIdentifier(s string) bool {
	return isASCIIIdentifier(s, "_$") && !jsReserved[s] && !strings.HasPrefix(s, "__enact")
}
