package capabilities

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Sentinel errors for the document limits. The error Load returns wraps them
// (as the Err of a *ValidationError) with the detail.
var (
	// ErrTooLarge means the document is larger than MaxSize bytes.
	ErrTooLarge = errors.New("capabilities: document too large")
	// ErrTooDeep means mappings and sequences nest deeper than MaxDepth.
	ErrTooDeep = errors.New("capabilities: document nested too deeply")
	// ErrAliasExpansion means aliases or merge keys expand beyond
	// MaxAliasNodes, or an alias refers to a node that contains it.
	ErrAliasExpansion = errors.New("capabilities: YAML aliases expand too much")
)

// ValidationError is one problem with a capability document, or with the
// inputs or outputs of a run.
//
// For a document, Name is the name given to Load and Line the 1-based line
// of the offending field (0 when unknown). For inputs and outputs, Name is
// "inputs" or "outputs" and Line is 0.
//
// Pointer is the JSON Pointer (RFC 6901) of the offending value; for a
// missing required member it names the member. Rule is the JSON Schema
// keyword that failed ("type", "enum", "required", "additionalProperties",
// ...) or one of the loader's own rules: "yaml" (syntax), "key" (a key that
// is not a string, or a duplicate), "value" (a YAML value with no JSON
// equivalent), "size", "depth", "alias", "version", "unique", "env",
// "memory", "timeout", "path" and "schema" (an inputs, outputs or env.vars
// JSON Schema that does not compile).
type ValidationError struct {
	Name    string
	Line    int
	Pointer string
	Rule    string
	Msg     string
	// Err is the cause, when there is one: ErrTooLarge, ErrTooDeep or
	// ErrAliasExpansion for the limits.
	Err error

	bare string // Msg without the offending value, for WithoutValues; "" unknown
}

// Error formats the problem as "name:line: pointer: rule: message",
// leaving out the parts that are not known.
func (e *ValidationError) Error() string {
	var b strings.Builder
	switch {
	case e.Name != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.Name, e.Line)
	case e.Name != "":
		b.WriteString(e.Name + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Pointer != "" {
		b.WriteString(e.Pointer + ": ")
	}
	if e.Rule != "" {
		b.WriteString(e.Rule + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns Err.
func (e *ValidationError) Unwrap() error { return e.Err }

// ValidationErrors is returned when there are several problems, ordered by
// line (documents) or pointer (inputs and outputs).
type ValidationErrors []*ValidationError

// maxListed is how many problems ValidationErrors.Error lists.
const maxListed = 20

// Error lists the problems one per line, at most 20 of them.
func (e ValidationErrors) Error() string {
	lines := make([]string, 0, min(len(e), maxListed+1))
	for i, v := range e {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf("... and %d more", len(e)-maxListed))
			break
		}
		lines = append(lines, v.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so that errors.As finds the first
// *ValidationError.
func (e ValidationErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, v := range e {
		out[i] = v
	}
	return out
}

// maxErrors bounds how many problems one call reports.
const maxErrors = 100

// collect returns nil, the only problem, or all of them (sorted, without
// duplicates, at most maxErrors) as ValidationErrors.
func collect(errs []*ValidationError) error {
	slices.SortStableFunc(errs, func(a, b *ValidationError) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Pointer, b.Pointer)
	})
	errs = slices.CompactFunc(errs, func(a, b *ValidationError) bool {
		return a.Line == b.Line && a.Pointer == b.Pointer && a.Rule == b.Rule && a.Msg == b.Msg
	})
	switch {
	case len(errs) == 0:
		return nil
	case len(errs) == 1:
		return errs[0]
	}
	return ValidationErrors(errs[:min(len(errs), maxErrors)])
}

// issue is one leaf of a JSON Schema validation error.
type issue struct {
	path       []string
	rule, msg  string
	schemaPath string // the failing subschema's location, for messages
	// opaque says msg may show the offending value anywhere, not only
	// in a trailing " (got …)".
	opaque bool
}

// bare returns the issue's message without the offending value.
func (it issue) bare() string {
	if it.opaque {
		return "is not valid (the value is not shown)"
	}
	if i := strings.Index(it.msg, " (got "); i >= 0 {
		return it.msg[:i] + " (the value is not shown)"
	}
	return it.msg
}

var printer = message.NewPrinter(language.English)

// issues flattens a jsonschema validation error to its leaf causes.
func issues(err *jsonschema.ValidationError, out []issue) []issue {
	if len(err.Causes) > 0 {
		var sub []issue
		for _, c := range err.Causes {
			sub = issues(c, sub)
		}
		// An anyOf whose alternatives all fail on the value itself (as the
		// meta-schema's "type" does) is one problem, not several.
		if _, ok := err.ErrorKind.(*kind.AnyOf); ok && !slices.ContainsFunc(sub, func(it issue) bool {
			return !slices.Equal(it.path, err.InstanceLocation)
		}) {
			msgs := make([]string, len(sub))
			opaque := false
			for i, it := range sub {
				msgs[i] = it.msg
				opaque = opaque || it.opaque
			}
			return append(out, issue{path: slices.Clone(err.InstanceLocation), rule: "anyOf", msg: strings.Join(msgs, ", or "), opaque: opaque})
		}
		return append(out, sub...)
	}
	at := func(extra ...string) []string {
		return append(slices.Clip(err.InstanceLocation), extra...)
	}
	rule := "false"
	if kp := err.ErrorKind.KeywordPath(); len(kp) > 0 {
		rule = kp[0]
	}
	it := issue{path: at(), rule: rule, schemaPath: err.SchemaURL}
	switch k := err.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			out = append(out, issue{path: at(p), rule: rule, msg: "not allowed"})
		}
		return out
	case *kind.Required:
		for _, p := range k.Missing {
			out = append(out, issue{path: at(p), rule: rule, msg: "missing"})
		}
		return out
	case *kind.Type:
		it.msg = fmt.Sprintf("must be %s (got %s)", strings.Join(k.Want, " or "), k.Got)
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = display(w, false)
		}
		it.msg = fmt.Sprintf("must be one of %s (got %s)", strings.Join(want, ", "), display(k.Got, true))
	case *kind.Const:
		it.msg = fmt.Sprintf("must be %s (got %s)", display(k.Want, true), display(k.Got, true))
	case *kind.Pattern:
		it.msg = fmt.Sprintf("must match %s (got %s)", k.Want, display(k.Got, true))
	case *kind.Minimum:
		it.msg = bound(">=", k.Want, k.Got)
	case *kind.Maximum:
		it.msg = bound("<=", k.Want, k.Got)
	case *kind.ExclusiveMinimum:
		it.msg = bound(">", k.Want, k.Got)
	case *kind.ExclusiveMaximum:
		it.msg = bound("<", k.Want, k.Got)
	case *kind.MultipleOf:
		it.msg = bound("a multiple of", k.Want, k.Got)
	case *kind.MinLength:
		it.msg = fmt.Sprintf("must have at least %d characters (got %d)", k.Want, k.Got)
	case *kind.MaxLength:
		it.msg = fmt.Sprintf("must have at most %d characters (got %d)", k.Want, k.Got)
	case *kind.MinItems:
		it.msg = fmt.Sprintf("must have at least %d items (got %d)", k.Want, k.Got)
	case *kind.MaxItems:
		it.msg = fmt.Sprintf("must have at most %d items (got %d)", k.Want, k.Got)
	case *kind.MinProperties:
		it.msg = fmt.Sprintf("must have at least %d members (got %d)", k.Want, k.Got)
	case *kind.MaxProperties:
		it.msg = fmt.Sprintf("must have at most %d members (got %d)", k.Want, k.Got)
	case *kind.OneOf:
		it.msg = fmt.Sprintf("valid against alternatives %d and %d; must be valid against exactly one", k.Subschemas[0], k.Subschemas[1])
	case *kind.FalseSchema:
		it.msg = "not allowed here"
	case *kind.InvalidJsonValue:
		it.rule, it.msg = "value", fmt.Sprintf("%T is not a JSON value", k.Value)
	default:
		it.msg = strings.TrimPrefix(err.ErrorKind.LocalizedString(printer), rule+": ")
		it.opaque = true
	}
	return append(out, it)
}

func bound(op string, want, got *big.Rat) string {
	w, _ := want.Float64()
	g, _ := got.Float64()
	return fmt.Sprintf("must be %s %v (got %v)", op, w, g)
}

// display shows a JSON value in a message; strings are quoted when quote is
// set. A value longer than 80 characters is described, not shown: a cut
// copy would show part of it, which a redactor looking for the whole value
// (a secret's) would miss.
func display(v any, quote bool) string {
	if s, ok := v.(string); ok && !quote {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("(a value of type %T)", v)
	}
	if n := utf8.RuneCount(b); n > 80 {
		switch x := v.(type) {
		case string:
			return fmt.Sprintf("(a string of %d characters)", utf8.RuneCountInString(x))
		case map[string]any:
			return fmt.Sprintf("(an object of %d members)", len(x))
		case []any:
			return fmt.Sprintf("(an array of %d items)", len(x))
		}
		return fmt.Sprintf("(a value of %d characters)", n)
	}
	return string(b)
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pointer formats path as a JSON Pointer.
func pointer(path []string) string {
	var b strings.Builder
	for _, tok := range path {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(tok))
	}
	return b.String()
}

// WithoutValues returns err, an error of ValidateInputs or ValidateOutputs,
// with every problem whose Pointer passes through a member named in names
// (compared case-insensitively) worded without the offending value: "must
// match ^sk-" instead of "must match ^sk- (got "…")". Other problems, and
// errors of other types, are returned as they are. The runner passes the
// policy's secret input names, so that an invalid secret is never echoed.
func WithoutValues(err error, names []string) error {
	if len(names) == 0 {
		return err
	}
	hidden := func(e *ValidationError) bool {
		for _, tok := range strings.Split(e.Pointer, "/")[1:] {
			tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
			for _, n := range names {
				if strings.EqualFold(tok, n) {
					return true
				}
			}
		}
		return false
	}
	strip := func(e *ValidationError) *ValidationError {
		if !hidden(e) {
			return e
		}
		c := *e
		c.Msg = e.bare
		if c.Msg == "" {
			c.Msg = "is not valid (the value is not shown)"
		}
		return &c
	}
	switch e := err.(type) {
	case ValidationErrors:
		out := make(ValidationErrors, len(e))
		for i, v := range e {
			out[i] = strip(v)
		}
		return out
	case *ValidationError:
		return strip(e)
	}
	return err
}
