package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/enact-run/enact/capabilities"
	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/internal/lazyre"
)

// MaxScriptBytes bounds the source of one script task, in bytes. A larger
// script is refused before anything is compiled, by Check (and so by every
// run) and by CheckSyntax.
const MaxScriptBytes = 256 << 10

// SyntaxError is a syntax error the interpreter's own compiler found in a
// script task's code.
type SyntaxError struct {
	// File is the capability document's name, "" when unknown.
	File string `json:"file,omitempty"`
	// Task is the id of the task whose code it is, Language its language.
	Task     string `json:"task"`
	Language string `json:"language"`
	// Type is the interpreter's name for the error: SyntaxError,
	// IndentationError or TabError (Python), SyntaxError (JavaScript), or
	// what else the compiler raised (a RecursionError for code nested too
	// deeply).
	Type string `json:"type"`
	// Message is the interpreter's message, without the type.
	Message string `json:"message"`
	// Line and Column place the error in the code as written in the
	// task's code field: line 1 is its first line, column 1 the first
	// character of a line (after the block's indentation). Zero when the
	// interpreter named no place; QuickJS names the line only.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// FileLine and FileColumn place it in the document (exact for a block
	// scalar, `code: |`); zero when unknown.
	FileLine   int `json:"file_line,omitempty"`
	FileColumn int `json:"file_column,omitempty"`
	// Text is the line of code the error stands on, when the interpreter
	// gave it.
	Text string `json:"text,omitempty"`
}

// Error reads "cap.yaml:12:9: task main (python) line 2, column 5:
// SyntaxError: invalid syntax".
func (s *SyntaxError) Error() string {
	var b strings.Builder
	if s.File != "" {
		b.WriteString(s.File)
		if s.FileLine > 0 {
			fmt.Fprintf(&b, ":%d", s.FileLine)
			if s.FileColumn > 0 {
				fmt.Fprintf(&b, ":%d", s.FileColumn)
			}
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "task %s (%s)", s.Task, s.Language)
	if s.Line > 0 {
		fmt.Fprintf(&b, " line %d", s.Line)
		if s.Column > 0 {
			fmt.Fprintf(&b, ", column %d", s.Column)
		}
	}
	b.WriteString(": " + s.Type)
	if s.Message != "" {
		b.WriteString(": " + s.Message)
	}
	return b.String()
}

// CheckSyntax compiles the code of every script task of a capability (of
// every capability a composite's steps run) with the interpreter it runs
// on, and runs none of it: CPython compiles it as a run does (compile(),
// with a top-level return allowed); QuickJS parses it in compile-only
// mode, wrapped in the async function a run wraps it in. It returns the
// syntax errors found, one at most per task (each compiler stops at its
// first), in task order.
//
// Each task is compiled in a fresh instance under the capability's memory
// limit, the whole within its timeout, as a run would be, with no actions
// granted: code
// that makes a compiler work too long or too hard ends the check with an
// *Error (timeout, memory_limit), as does a script over MaxScriptBytes
// (invalid_input) or an engine that cannot start.
func (e *Engine) CheckSyntax(ctx context.Context, c *capabilities.Capability) ([]SyntaxError, error) {
	return e.checkSyntax(ctx, c, map[*capabilities.Capability]bool{})
}

func (e *Engine) checkSyntax(ctx context.Context, c *capabilities.Capability, seen map[*capabilities.Capability]bool) ([]SyntaxError, error) {
	if seen[c] {
		return nil, nil
	}
	seen[c] = true
	var found []SyntaxError
	if c.Type == "composite" {
		for _, im := range c.Imports {
			sub := c.Imported(im.ID)
			if sub == nil {
				return found, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("composite %s: import %s is not resolved", c.ID, im.ID), cause: capabilities.ErrUnresolved}
			}
			errs, err := e.checkSyntax(ctx, sub, seen)
			found = append(found, errs...)
			if err != nil {
				return found, err
			}
		}
		return found, nil
	}
	memLimit, timeout, err := e.Limits(c)
	if err != nil {
		return nil, err
	}
	var scripts []capabilities.Task
	for _, t := range c.Tasks {
		if t.Type == "script" && (t.Language == "python" || t.Language == "javascript") {
			scripts = append(scripts, t)
		}
	}
	// The engines first, outside the deadline, as a run prepares them
	// before its clock starts: on a fresh cache, compiling CPython (or
	// waiting for another process compiling it) is not the task's time.
	for _, t := range scripts {
		if _, err := e.interpreter(ctx, t.Language); err != nil {
			return found, err
		}
	}
	// One deadline for the capability's tasks, as a run has.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, t := range scripts {
		se, err := e.checkTask(ctx, c, t, memLimit, timeout)
		if err != nil {
			return found, err
		}
		if se != nil {
			found = append(found, *se)
		}
	}
	return found, nil
}

// checkEnvelope is what a compile-only request answers: {"ok": null} or
// the error, its place in the code and the line it stands on.
type checkEnvelope struct {
	Error *struct {
		Type, Message, Text string
		Trace               string
		Line, Column        int
	} `json:"error"`
}

// checkTask compiles one task's code in a fresh instance.
func (e *Engine) checkTask(ctx context.Context, c *capabilities.Capability, t capabilities.Task, memLimit uint64, timeout time.Duration) (*SyntaxError, error) {
	if len(t.Code) > MaxScriptBytes {
		return nil, scriptTooLarge(t)
	}
	in, err := e.interpreter(ctx, t.Language)
	if err != nil {
		return nil, err
	}
	ctx = withCallState(ctx, &callState{output: newBoundedBuffer(4 << 10), host: hostfns.NoActions})
	fail := func(err error) error {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return &Error{Code: CodeTimeout, Task: t.ID, Message: fmt.Sprintf("compiling the code of the capability's tasks took longer than its time limit of %s", timeout), cause: err}
		case ctx.Err() != nil:
			return &Error{Code: CodeCancelled, Task: t.ID, Message: "the syntax check was cancelled", cause: err}
		}
		return e.classify(ctx, t.ID, err)
	}
	inst := e.poolFor(in, memLimit).take()
	if inst == nil {
		if inst, err = e.newInstance(ctx, in, memLimit); err != nil {
			return nil, fail(err)
		}
	}
	defer inst.close(ctx)
	var envelope []byte
	if in.language == "python" {
		envelope, err = checkPython(ctx, inst, c, t)
	} else {
		envelope, err = checkJavaScript(ctx, inst, t.Code)
	}
	overLimit := &Error{Code: CodeMemoryLimit, Task: t.ID, Message: fmt.Sprintf("compiling the task's code needs more than its memory limit of %d MiB", memLimit>>20), cause: err}
	if err != nil {
		if inst.budget.refused.Load() && ctx.Err() == nil {
			return nil, overLimit
		}
		err = fail(err)
		if re, ok := asError(err); ok && re.Code == CodeTrap {
			// The compiler itself crashed (code nested deeper than its
			// stack): a run of the code would end the same way.
			re.Message = fmt.Sprintf("the %s engine crashed compiling the task's code (%s); a run of it fails the same way", in.language, re.Message)
		}
		return nil, err
	}
	var env checkEnvelope
	if err := json.Unmarshal(envelope, &env); err != nil {
		return nil, fmt.Errorf("runtime: %s: the syntax check answered %q", in.language, truncate(string(envelope), 120))
	}
	if env.Error == nil {
		return nil, nil
	}
	x := env.Error
	// A compiler that ran out of memory under the budget is the limit; one
	// that gave up on its own (CPython's parser raises MemoryError for
	// code nested too deeply) is the code's fault, and reported as found.
	if inst.budget.refused.Load() && (x.Type == "MemoryError" || x.Type == "InternalError" || x.Type == "RangeError") {
		return nil, overLimit
	}
	se := &SyntaxError{File: c.Name, Task: t.ID, Language: t.Language, Type: x.Type, Message: x.Message, Line: x.Line, Column: x.Column, Text: x.Text}
	lines := strings.Split(strings.TrimRight(t.Code, "\r\n"), "\n")
	if in.language == "javascript" {
		se.Message = strings.TrimPrefix(se.Message, se.Type+": ")
		se.Line = jsSyntaxLine(x.Trace)
		if se.Line > len(lines) {
			// The compiler reached the wrapper's closing line: the code
			// ended inside something it opened.
			se.Line = len(lines)
			se.Message += " (at the end of the code)"
		}
	}
	if se.Text == "" && se.Line > 0 && se.Line <= len(lines) {
		// CPython's compiler (as against its parser) and QuickJS give
		// no text.
		se.Text = strings.TrimRight(lines[se.Line-1], "\r")
	}
	if se.Line > 0 && t.CodeLine > 0 {
		se.FileLine = t.CodeLine + se.Line - 1
		if se.Column > 0 && t.CodeColumn > 0 {
			se.FileColumn = t.CodeColumn + se.Column - 1
		}
	}
	return se, nil
}

// scriptTooLarge is the error of a script over MaxScriptBytes.
func scriptTooLarge(t capabilities.Task) error {
	return &Error{Code: CodeInvalidInput, Task: t.ID, Message: fmt.Sprintf(
		"its code (line %d) is %d bytes; the limit is %d (%d KiB)", t.Line, len(t.Code), MaxScriptBytes, MaxScriptBytes>>10)}
}

// checkPython asks CPython's runner to compile a task's code only.
func checkPython(ctx context.Context, inst *instance, c *capabilities.Capability, t capabilities.Task) ([]byte, error) {
	file := c.Name
	if file == "" {
		file = "<task " + t.ID + ">"
	}
	req, err := marshalJSON(pythonRequest{
		Code:  strings.ReplaceAll(t.Code, "\r\n", "\n"),
		File:  file,
		Line:  1,
		Check: true,
	})
	if err != nil {
		return nil, err
	}
	return execCPython(ctx, inst, string(req))
}

// jsCompileOnly is QuickJS's JS_EVAL_FLAG_COMPILE_ONLY: the source is
// parsed and compiled to bytecode, which is returned, not run.
const jsCompileOnly = 1 << 5

// jsFunctionHead is how QuickJS's AsyncFunction constructor opens the
// function it makes of a body (a run compiles the task that way): the
// body starts on line 3.
const jsFunctionHead = "(async function anonymous(\n) {\n"

// jsDescribeSyntax describes the exception a compilation left in
// __enact_syntax as the envelope of a failed run.
const jsDescribeSyntax = `(() => {
  const e = globalThis.__enact_syntax;
  delete globalThis.__enact_syntax;
  let type = "SyntaxError", message = "", trace = "";
  try { type = String(e?.name ?? "Error"); message = String(e?.message ?? e); trace = String(e?.stack ?? ""); } catch {}
  return JSON.stringify({ error: { type, message, trace } });
})()`

// checkJavaScript compiles a task's code, wrapped as a run wraps it, in
// compile-only mode: nothing of it runs, even code that would close the
// wrapper early. It answers {"ok": null} or the envelope of the syntax
// error, whose stack gives the place.
func checkJavaScript(ctx context.Context, inst *instance, code string) ([]byte, error) {
	jsctx := uint64(inst.handle)
	addrs, err := inst.cStrings(ctx, 0, jsFunctionHead+code+"\n})", "<task>", "__enact_syntax")
	if err != nil {
		return nil, err
	}
	opts, err := inst.call(ctx, "QJS_CreateEvalOption", uint64(addrs[0]), 0, 0, uint64(addrs[1]), jsCompileOnly /* | JS_EVAL_TYPE_GLOBAL */)
	if err != nil {
		return nil, err
	}
	if uint32(opts) == 0 {
		return nil, errGuestOutOfMemory
	}
	val, err := inst.call(ctx, "QJS_Eval", jsctx, opts)
	if err != nil {
		return nil, err
	}
	isExc, err := inst.call(ctx, "QJS_IsException", val)
	if err != nil {
		return nil, err
	}
	if uint32(isExc) == 0 {
		return []byte(`{"ok":null}`), nil
	}
	exc, err := inst.call(ctx, "JS_GetException", jsctx)
	if err != nil {
		return nil, err
	}
	global, err := inst.call(ctx, "JS_GetGlobalObject", jsctx)
	if err != nil {
		return nil, err
	}
	if _, err := inst.call(ctx, "JS_SetPropertyStr", jsctx, global, uint64(addrs[2]), exc); err != nil {
		return nil, err
	}
	desc, err := evalJavaScript(ctx, inst, jsDescribeSyntax, "<enact>")
	if err != nil {
		return nil, err
	}
	return jsString(ctx, inst, desc)
}

var jsTaskLine = lazyre.New(`<task>:(\d+)`)

// jsSyntaxLine finds the line of a syntax error in QuickJS's stack, as a
// line of the task's own code (the wrapper's head takes two), or 0. The
// stack's column is not the error's (QuickJS-NG names the column of the
// enclosing function there), so none is reported.
func jsSyntaxLine(trace string) int {
	m := jsTaskLine.FindStringSubmatch(trace)
	if m == nil {
		return 0
	}
	line, _ := strconv.Atoi(m[1])
	return max(line-strings.Count(jsFunctionHead, "\n"), 0)
}
