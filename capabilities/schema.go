package capabilities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const (
	protocolID = "https://enact.tools/schema/capability/1.0.0"
	// schemaBase is the base URL of the schemas in a document; relative
	// references resolve against it, and are then refused.
	schemaBase = "https://capability.enact.invalid/"
)

// noLoader refuses every reference outside the schema being compiled: a
// capability must not make the loader read files or the network. The
// draft 2020-12 meta-schemas are built into the compiler.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, errors.New("references outside the document are not allowed")
}

func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	return c
}

// protocolSchema is the compiled schema of the capability document.
var protocolSchema = sync.OnceValue(func() *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(protocolSchemaJSON))
	if err != nil {
		panic(err)
	}
	c := newCompiler()
	if err := c.AddResource(protocolID, doc); err != nil {
		panic(err)
	}
	return c.MustCompile(protocolID)
})

// anyObject is the schema of absent inputs and outputs.
var anyObject = sync.OnceValue(func() *compiled {
	doc := map[string]any{"type": "object"}
	c, err := newCompiled("urn:enact:any-object", doc, []byte(`{"type":"object"}`))
	if err != nil {
		panic(err)
	}
	return c
})

// newCompiled compiles doc at loc for validating values.
func newCompiled(loc string, doc any, raw []byte) (*compiled, error) {
	mt, err := newMetered(loc, doc)
	if err != nil {
		return nil, err
	}
	c := &compiled{doc: doc, raw: raw, schema: mt.full, pool: &meteredPool{loc: loc, doc: doc}}
	c.pool.put(mt)
	return c, nil
}

// compile compiles the JSON Schema found at path in the document, nil when
// absent. Format assertions are on; problems are recorded with their line.
// A schema whose validation effort would grow exponentially with the depth
// of the value is refused.
func (l *loader) compile(doc any, path ...string) *compiled {
	if doc == nil {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		l.add(path, "schema", err.Error())
		return nil
	}
	loc := schemaBase + strings.Join(path, ".") + ".json"
	c, err := newCompiled(loc, doc, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	var (
		sve *jsonschema.SchemaValidationError
		ve  *jsonschema.ValidationError
		lue *jsonschema.LoadURLError
	)
	switch {
	case err == nil:
		if p := analyse(c.schema); p != nil {
			l.add(append(slices.Clip(path), schemaTokens(p.at)...), "schema", p.msg)
			return nil
		}
		return c
	case errors.As(err, &sve) && errors.As(sve.Err, &ve):
		for _, it := range issues(ve, nil) {
			l.add(append(slices.Clip(path), it.path...), it.rule, it.msg)
		}
	case errors.As(err, &lue):
		l.add(path, "schema", fmt.Sprintf("$ref to %q: %v", strings.TrimPrefix(lue.URL, schemaBase), lue.Err))
	default:
		l.add(path, "schema", strings.ReplaceAll(err.Error(), schemaBase, ""))
	}
	return nil
}

// protocolMessage words a protocol schema violation for the author of the
// document.
func protocolMessage(doc any, it issue) string {
	def := it.schemaPath[strings.LastIndexByte(it.schemaPath, '/')+1:]
	got := func() any { return valueAt(doc, it.path) }
	inTask := len(it.path) == 3 && it.path[0] == "tasks"
	switch {
	case it.rule == "additionalProperties":
		return unknownFieldMessage(it.path)
	case it.rule == "minItems" && len(it.path) == 1 && it.path[0] == "tasks":
		return "an atomic capability needs at least one task"
	case it.rule == "false" && inTask:
		typ, _ := valueAt(doc, []string{"tasks", it.path[1], "type"}).(string)
		return fmt.Sprintf("not allowed in a %s task", typ)
	case it.rule != "pattern":
		return it.msg
	}
	s := display(got(), true)
	switch def {
	case "semver":
		return "must be a semantic version such as 1.0.0 (got " + s + ")"
	case "capabilityId":
		return "must be segments of letters, digits, '_', '-' and '.' separated by '/', no segment starting with '.' (got " + s + ")"
	case "taskId":
		return "must be letters, digits, '_', '-' and '.', not starting with '.' (got " + s + ")"
	case "sha256":
		return "must be 64 lowercase hexadecimal digits (got " + s + ")"
	case "exportName":
		return "must be a function name: a letter or '_' then letters, digits and '_' (got " + s + ")"
	case "memory":
		return "must be a number and a unit, such as 512MB, 1GB or 64MiB (got " + s + ")"
	case "timeout":
		return "must be a number and a unit, such as 300s, 1.5s or 2m (got " + s + ")"
	}
	return it.msg
}

// valueAt returns the value at path in a JSON-compatible value, nil when
// there is none.
func valueAt(v any, path []string) any {
	for _, tok := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// schemaFor returns the inputs (or outputs) schema, a schema accepting any
// object when the document has none.
func (c *Capability) schemaFor(inputs bool) *compiled {
	s := c.outputs
	if inputs {
		s = c.inputs
	}
	if s == nil {
		return anyObject()
	}
	return s
}

// InputSchema returns a copy of the inputs JSON Schema as JSON,
// {"type":"object"} when the document has none.
func (c *Capability) InputSchema() json.RawMessage { return bytes.Clone(c.schemaFor(true).raw) }

// OutputSchema returns a copy of the outputs JSON Schema as JSON,
// {"type":"object"} when the document has none.
func (c *Capability) OutputSchema() json.RawMessage { return bytes.Clone(c.schemaFor(false).raw) }

// ValidateInputs is ValidateInputsContext with a context that is never
// done: the validation limits still bound it.
func (c *Capability) ValidateInputs(in map[string]any) (map[string]any, error) {
	return c.ValidateInputsContext(context.Background(), in)
}

// ValidateInputsContext returns a new map holding a deep copy of in with
// the inputs schema's defaults applied, once that map validates against
// the schema (nil and the problems otherwise); in is never modified. See
// the package documentation for how defaults apply. Values are those
// encoding/json produces (numbers as float64 or json.Number); Go integer
// types are accepted too. The error is a *ValidationError or
// ValidationErrors named "inputs", with Pointer into the inputs; a value
// refused at a validation limit gives a *ValidationError whose Err is
// ErrValidationLimit, and a validation ended by ctx an error wrapping
// ctx.Err().
func (c *Capability) ValidateInputsContext(ctx context.Context, in map[string]any) (map[string]any, error) {
	s := c.schemaFor(true)
	if in == nil {
		in = map[string]any{}
	}
	list, _, err := checkValue(in, "inputs")
	if err != nil {
		return nil, err
	}
	if len(list) > 0 {
		return nil, issueErrors(list, "inputs")
	}
	out, _ := clone(in).(map[string]any)
	applyDefaults(s.doc, out)
	if err := validate(ctx, s, out, "inputs"); err != nil {
		return nil, err
	}
	return out, nil
}

// ValidateOutputs is ValidateOutputsContext with a context that is never
// done: the validation limits still bound it.
func (c *Capability) ValidateOutputs(out map[string]any) error {
	return c.ValidateOutputsContext(context.Background(), out)
}

// ValidateOutputsContext validates out against the outputs schema. The
// error is a *ValidationError or ValidationErrors named "outputs", with
// Pointer into the outputs; limits and ctx end it as for
// ValidateInputsContext.
func (c *Capability) ValidateOutputsContext(ctx context.Context, out map[string]any) error {
	if out == nil {
		out = map[string]any{}
	}
	return validate(ctx, c.schemaFor(false), out, "outputs")
}

// jsonNumber reports whether s is a JSON number in the syntax this
// validator accepts: at most 1000 integer digits, 1000 fraction digits and
// a four-digit exponent, so that no number costs it more than a few
// kilobytes. A scanner rather than a regular expression: it runs on every
// number of every value validated and allocates nothing.
func jsonNumber(s string) bool {
	digits := func(i, most int) (int, int) {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, n = i+1, n+1
		}
		if n > most {
			return i, -1
		}
		return i, n
	}
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	i, n := digits(i, 1000)
	if n <= 0 || n > 1 && s[start] == '0' {
		return false
	}
	if i < len(s) && s[i] == '.' {
		if i, n = digits(i+1, 1000); n <= 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i, n = digits(i, 4); n <= 0 {
			return false
		}
	}
	return i == len(s)
}

// check refuses the scalars the validator cannot judge safely: floats that
// are not finite and json.Number strings that are not JSON numbers.
func check(v any, path []string, errs []issue) []issue {
	switch x := v.(type) {
	case float32:
		errs = check(float64(x), path, errs)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			errs = append(errs, issue{path: slices.Clone(path), rule: "type", msg: "not a JSON number (NaN or infinite)"})
		}
	case json.Number:
		if !jsonNumber(string(x)) {
			errs = append(errs, issue{path: slices.Clone(path), rule: "type", msg: fmt.Sprintf("%q is not a JSON number this validator accepts", display(string(x), false)), opaque: true})
		}
	}
	return errs
}

// validate checks v's size and depth, then validates it against s, ending
// the validation when it has made more schema evaluations than the step
// limit allows for the value, or when ctx is done.
func validate(ctx context.Context, s *compiled, v map[string]any, name string) error {
	list, nodes, err := checkValue(v, name)
	if err != nil || len(list) > 0 {
		if err != nil {
			return err
		}
		return issueErrors(list, name)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("capabilities: %s validation did not start: %w", name, ctx.Err())
	}
	mt, err := s.pool.get()
	if err != nil {
		return &ValidationError{Name: name, Rule: "schema", Msg: err.Error()}
	}
	mt.m.ctx, mt.m.done = ctx, ctx.Done()
	defer s.pool.put(mt)
	// First only whether the value is valid, which is cheap; then, for an
	// invalid value, its problems, within a smaller budget.
	valid, err := metering(mt.m, BaseValidationSteps+StepsPerValueNode*nodes, func() bool { return mt.check.Validate(v) == nil })
	if err != nil {
		return wordStop(err, name)
	}
	if valid {
		return nil
	}
	var verr error
	_, err = metering(mt.m, maxDetailSteps, func() bool { verr = mt.full.Validate(v); return true })
	if errors.Is(err, ErrValidationLimit) {
		return &ValidationError{Name: name, Rule: "schema", Msg: fmt.Sprintf(
			"the value does not match the schema (working out where took more than %d schema evaluations, so the details are left out)", maxDetailSteps)}
	}
	if err != nil {
		return wordStop(err, name)
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return &ValidationError{Name: name, Rule: "schema", Msg: verr.Error()}
	}
	return issueErrors(issues(ve, nil), name)
}

// metering runs fn with the meter set to limit, returning why the meter
// stopped it, if it did.
func metering(m *meter, limit int, fn func() bool) (ok bool, err error) {
	m.steps, m.limit = 0, limit
	defer func() {
		if r := recover(); r != nil {
			st, is := r.(stopped)
			if !is {
				panic(r)
			}
			err = st.err
		}
	}()
	return fn(), nil
}

// wordStop turns why a meter stopped a validation into its error.
func wordStop(err error, name string) error {
	if errors.Is(err, ErrValidationLimit) {
		return &ValidationError{Name: name, Rule: "steps", Err: ErrValidationLimit,
			Msg: strings.TrimPrefix(err.Error(), ErrValidationLimit.Error()+": ")}
	}
	return fmt.Errorf("capabilities: %s validation stopped: %w", name, err)
}

func issueErrors(list []issue, name string) error {
	errs := make([]*ValidationError, len(list))
	for i, it := range list {
		errs[i] = &ValidationError{Name: name, Pointer: pointer(it.path), Rule: it.rule, Msg: it.msg, bare: it.bare()}
	}
	return collect(errs)
}

// clone deep-copies the maps and slices of a JSON-compatible value.
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		if x == nil {
			return x
		}
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = clone(e)
		}
		return s
	}
	return v
}

// applyDefaults sets each absent member of obj that the schema's properties
// give a default to a copy of that default, then descends into the members
// that are objects.
func applyDefaults(schema any, obj map[string]any) {
	s, _ := schema.(map[string]any)
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		ps, _ := p.(map[string]any)
		if _, present := obj[name]; !present {
			if d, ok := ps["default"]; ok {
				obj[name] = clone(d)
			}
		}
		if child, ok := obj[name].(map[string]any); ok && child != nil {
			applyDefaults(ps, child)
		}
	}
}
