package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// MicroPython (PyScript build) start-up parameters: the Python value stack
// in words, and the initial garbage-collected heap in bytes (the heap grows
// in further chunks as needed, within the run's memory budget).
const (
	pythonPyStack = 2048
	pythonHeap    = 2 << 20
)

// MicroPython's proxy kinds (ports/webassembly/proxy_c.c).
const (
	mpKindException = 0xffffffff // -1
	mpKindObject    = 8
	mpKindStr       = 5
)

func pythonInterpreter() *interpreter {
	return &interpreter{
		language: "python",
		init: func(ctx context.Context, m api.Module, _ uint64) (uint32, error) {
			for _, name := range []string{"emscripten_stack_init", "__wasm_call_ctors"} {
				if _, err := m.ExportedFunction(name).Call(ctx); err != nil {
					return 0, err
				}
			}
			if _, err := m.ExportedFunction("mp_js_init").Call(ctx, pythonPyStack, pythonHeap); err != nil {
				return 0, err
			}
			_, err := m.ExportedFunction("proxy_c_init").Call(ctx)
			return 0, err
		},
		// The enact object and the modules the wrapper uses are made once
		// per instance, at start-up (off the run's clock when pooled),
		// instead of being compiled again by every program.
		startup: func(ctx context.Context, inst *instance) error {
			out, err := execPython(ctx, inst, pythonStartup)
			if err != nil {
				return err
			}
			if string(out) != `{"ok": null}` {
				return fmt.Errorf("runtime: python start-up: %s", truncate(string(out), 200))
			}
			return nil
		},
		exec: execPython,
	}
}

// pythonStartup defines enact and imports what the wrapper needs; it
// leaves the envelope {"ok": null} to say it ran.
const pythonStartup = pythonEnact + `import json, io, sys
__enact_result = '{"ok": null}'
`

// pythonProgram wraps a task's source so that the seed examples run
// unchanged: the source becomes the body of a function whose parameters are
// the task's variables (so a top-level `return` gives the outputs and
// assigning to an input works), and the result or the exception is encoded
// as JSON into the global __enact_result. The task's first line is line 2
// of the program; pythonTraceback maps the numbers back.
func pythonProgram(code string, vars map[string]any, order *KeyOrder) (string, error) {
	params, args := []string{"inputs"}, []string{"__enact_args"}
	for _, name := range sortedKeys(vars) {
		if isPythonIdentifier(name) {
			params = append(params, name)
			args = append(args, "__enact_args["+strconv.Quote(name)+"]")
		}
	}
	in, err := orderedJSON(vars, order)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("def __enact_task(" + strings.Join(params, ", ") + "):\n")
	for _, line := range strings.Split(strings.ReplaceAll(code, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("    " + line + "\n")
	}
	b.WriteString("    pass\n")
	b.WriteString(`def __enact_run():
    global __enact_result
    import json
    __enact_args = json.loads(` + pythonStringLiteral(string(in)) + `)
    try:
        r = json.dumps({"ok": __enact_task(` + strings.Join(args, ", ") + `)})
        __enact_result = r
    except BaseException as e:
        import io, sys
        tb = io.StringIO()
        sys.print_exception(e, tb)
        __enact_result = json.dumps({"error": {"type": type(e).__name__, "message": str(e), "trace": tb.getvalue()}})
__enact_run()
`)
	return b.String(), nil
}

// execPython runs a program on a prepared MicroPython instance and returns
// the JSON envelope it left in __enact_result.
func execPython(ctx context.Context, inst *instance, program string) ([]byte, error) {
	// One allocation holds the program, the two names used to fetch the
	// result and the 12-byte proxy value the port's exports fill in.
	addrs, err := inst.cStrings(ctx, 12, program, "__main__", "__enact_result")
	if err != nil {
		return nil, err
	}
	src, mainName, attr, out := addrs[0], addrs[1], addrs[2], addrs[3]
	if _, err := inst.call(ctx, "mp_js_do_exec", uint64(src), uint64(len(program)), uint64(out)); err != nil {
		return nil, err
	}
	if text, isExc, err := pythonException(inst, out); err != nil || isExc {
		if err != nil {
			return nil, err
		}
		// Only a program that did not compile ends here: the wrapper
		// catches everything the task raises.
		name, trace, _ := strings.Cut(text, "\x04")
		return json.Marshal(map[string]any{"error": map[string]any{
			"type": name, "message": lastLine(trace), "trace": trace,
		}})
	}
	// Fetch __main__.__enact_result through the port's proxy exports.
	if _, err := inst.call(ctx, "mp_js_do_import", uint64(mainName), uint64(out)); err != nil {
		return nil, err
	}
	kind, err := inst.u32(out)
	if err != nil {
		return nil, err
	}
	if kind != mpKindObject {
		return nil, fmt.Errorf("runtime: python: __main__ came back as proxy kind %d", kind)
	}
	ref, err := inst.u32(out + 4)
	if err != nil {
		return nil, err
	}
	if _, err := inst.call(ctx, "proxy_c_to_js_lookup_attr", uint64(ref), uint64(attr), uint64(out)); err != nil {
		return nil, err
	}
	if kind, err = inst.u32(out); err != nil {
		return nil, err
	}
	if kind != mpKindStr {
		if text, isExc, _ := pythonException(inst, out); isExc {
			return nil, fmt.Errorf("runtime: python: reading the result: %s", strings.ReplaceAll(text, "\x04", ": "))
		}
		return nil, fmt.Errorf("runtime: python: result came back as proxy kind %d", kind)
	}
	return inst.readSized(out)
}

// pythonException reads the exception text of a proxy value of kind -1.
func pythonException(inst *instance, out uint32) (string, bool, error) {
	kind, err := inst.u32(out)
	if err != nil || kind != mpKindException {
		return "", false, err
	}
	b, err := inst.readSized(out)
	return string(b), true, err
}

// readSized reads the (length, pointer) pair that follows a proxy kind and
// copies out the bytes it names, refusing more than maxResultBytes.
func (i *instance) readSized(out uint32) ([]byte, error) {
	n, err := i.u32(out + 4)
	if err != nil {
		return nil, err
	}
	if n > maxResultBytes {
		return nil, &Error{Code: CodeOutputLimit, Message: fmt.Sprintf("the task returned %d bytes of JSON; the limit is %d", n, maxResultBytes)}
	}
	ptr, err := i.u32(out + 8)
	if err != nil {
		return nil, err
	}
	return i.read(ptr, n)
}

var (
	pyTraceLine  = regexp.MustCompile(`File "<stdin>", line (\d+), in __enact_task`)
	pyTraceOther = regexp.MustCompile(`(?m)^  File "<stdin>", line \d+, in __enact_run\n`)
	pySyntaxLine = regexp.MustCompile(`File "<stdin>", line (\d+)`)
)

// pythonTraceback rewrites a MicroPython traceback so it names the task
// and its own line numbers, and drops the wrapper's frames.
func pythonTraceback(taskID, trace string) string {
	trace = pyTraceOther.ReplaceAllString(trace, "")
	fix := func(re *regexp.Regexp, s string) string {
		return re.ReplaceAllStringFunc(s, func(m string) string {
			n, _ := strconv.Atoi(re.FindStringSubmatch(m)[1])
			return fmt.Sprintf("File %q, line %d", taskID, max(n-1, 1))
		})
	}
	return fix(pySyntaxLine, fix(pyTraceLine, trace))
}

var pythonKeywords = setOf("False", "None", "True", "and", "as", "assert", "async", "await", "break",
	"class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
	"if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
	"while", "with", "yield", "inputs")

func isPythonIdentifier(s string) bool {
	return isASCIIIdentifier(s, "_") && !pythonKeywords[s] && !strings.HasPrefix(s, "__enact")
}

// pythonStringLiteral quotes JSON text as a Python string literal. The JSON
// comes from marshalJSON, which never emits lone surrogates, so Python's
// escapes and JSON's agree on every character.
func pythonStringLiteral(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
