package runtime

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// Error codes, stable across releases: they cross into receipts and into
// the JSON the CLI prints.
const (
	CodeInvalidInput  = "invalid_input"
	CodeInvalidOutput = "invalid_output"
	CodeTimeout       = "timeout"
	CodeMemoryLimit   = "memory_limit"
	CodeOutputLimit   = "output_limit"
	CodeGuestError    = "guest_error"
	CodeTrap          = "trap"
	CodePluginError   = "plugin_error"
	CodeUnsupported   = "unsupported"
	// CodeCancelled: the caller cancelled the run (a signal to the CLI, a
	// server shutting down or its client gone) before it ended.
	CodeCancelled = "cancelled"
	// CodeExit: a prebuilt plugin ended itself with WASI's proc_exit and a
	// non-zero status, which the message gives.
	CodeExit = "exit"
)

// Error is why a run failed.
type Error struct {
	// Code is one of the Code constants.
	Code string
	// Task is the id of the task that failed, "" when no task had started.
	Task string
	// Message says what happened, in one line where possible.
	Message string
	// Trace is the guest's traceback or stack, when it gave one, with line
	// numbers of the task's own source.
	Trace string
	cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Task != "" {
		b.WriteString(": task " + e.Task)
	}
	b.WriteString(": " + e.Message)
	return b.String()
}

// Unwrap returns the underlying error, when there is one (for example the
// capabilities.ValidationErrors behind invalid_input).
func (e *Error) Unwrap() error { return e.cause }

var errGuestOutOfMemory = errors.New("the engine could not allocate memory for the program")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// marshalJSON encodes v without HTML escaping; invalid UTF-8 becomes U+FFFD,
// so the text never holds lone surrogates.
func marshalJSON(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// asError returns err as an *Error if it is one.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// isASCIIIdentifier reports whether s is a letter or one of extra, followed
// by letters, digits or extra. Non-ASCII names stay reachable through the
// task's inputs mapping only.
func isASCIIIdentifier(s, extra string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', strings.ContainsRune(extra, r):
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
