package capabilities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"

	"github.com/enact-run/enact/internal/lazyre"
)

// Step statuses, as templates see them in steps.<id>.status and as the
// composite's receipt lists them.
const (
	StepPassed  = "passed"  // the step ran and passed
	StepFailed  = "failed"  // the step ran and failed, or could not start (its inputs)
	StepSkipped = "skipped" // its condition was false
	StepNotRun  = "not_run" // the flow stopped (a step failed) before it started
)

// Limits of a composite document.
const (
	// MaxSteps is the most steps one flow may have.
	MaxSteps = 256
	// MaxTemplateCost is the CEL cost limit of one template or condition
	// evaluation (cel-go cost units).
	MaxTemplateCost = 100_000
	// maxTemplateSize is the longest expression accepted, in bytes.
	maxTemplateSize = 8 << 10
)

// Import is one entry of a composite's imports: a capability the flow may
// call, pinned to a version.
type Import struct {
	ID, Version string
	// Ref is a bundle reference (oci://…@sha256:…), "" when absent. It is
	// tried after the directories and the shipped set (see Resolver).
	Ref string
	// Line is the line of the entry in the document.
	Line int
}

// Flow is a composite's flow: its steps, and how its outputs are made.
type Flow struct {
	// Steps are in document order.
	Steps []*Step
	// Source is outputs.source as written: the composite's outputs, with
	// templates; nil when absent (then the outputs are those of the steps
	// no other step needs, merged in document order).
	Source map[string]any

	source *template // Source compiled
}

// Step is one step of a flow: a call of an imported capability.
type Step struct {
	// ID identifies the step in the flow; the capability id when the
	// document gives none.
	ID string
	// Capability is the id of the imported capability the step runs.
	Capability string
	// Inputs are the step's inputs as written, with templates.
	Inputs map[string]any
	// DependsOn lists the steps named in dependsOn (or upstream's
	// dependencies), in document order.
	DependsOn []string
	// Condition is the CEL condition as written, "" when absent.
	Condition string
	// OnError is "fail" (the default: the flow stops) or "continue".
	OnError string
	// Line is the line of the step in the document.
	Line int

	needs  []string // dependsOn and every step a template reads, sorted
	inputs *template
	cond   *expr
}

// Needs lists the steps this step waits for, sorted: those it depends on
// and those its inputs and condition read.
func (s *Step) Needs() []string { return slices.Clone(s.needs) }

// StepState is what templates see of a finished step.
type StepState struct {
	// Status is StepPassed, StepFailed or StepSkipped.
	Status string
	// Outputs are the step's outputs; empty unless it passed.
	Outputs map[string]any
}

// Scope is what templates are evaluated over: the composite's inputs and
// the steps that finished.
type Scope struct {
	Inputs map[string]any
	Steps  map[string]StepState
}

// template is a JSON value with templates in its strings.
type template struct {
	value any // the value as written
	// parts maps the JSON pointer of each templated string to its parts.
	parts map[string]*templString
	// reads maps each top-level member to the steps its templates read.
	reads map[string][]string
}

// templString is one string with templates: literal text and expressions.
type templString struct {
	whole bool // one template and nothing else: the value keeps its type
	lits  []string
	exprs []*expr // len(lits) == len(exprs)+1
}

// expr is one compiled CEL expression.
type expr struct {
	text    string
	prog    cel.Program
	steps   []string          // the steps it reads
	aliases map[string]string // outputs.<name> → step id
}

var templateRE = lazyre.New(`(?s)\{\{(.*?)\}\}`)

// flowEnv is the CEL environment of templates and conditions.
var flowEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("inputs", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("steps", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("outputs", cel.MapType(cel.StringType, cel.DynType)),
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(maxTemplateSize),
		cel.ParserRecursionLimit(100),
		cel.OptionalTypes(),
		ext.Strings(),
		ext.Lists(),
		ext.Encoders(),
	)
})

// composite reads imports, flow and outputs.source. For an atomic
// capability they must be absent.
func (l *loader) composite(doc map[string]any, c *Capability, source any) {
	if c.Type != "composite" {
		for _, k := range []string{"imports", "flow"} {
			if doc[k] != nil {
				l.add([]string{k}, "composite", k+" belongs to a composite capability (type: composite)")
			}
		}
		if source != nil {
			l.add([]string{"outputs", "source"}, "composite", "outputs.source belongs to a composite capability (type: composite)")
		}
		return
	}
	if len(list(doc, "tasks")) > 0 {
		l.add([]string{"tasks"}, "composite", "a composite capability has a flow, not tasks")
	}
	seenImport := map[string]bool{}
	for i, im := range list(doc, "imports") {
		at := []string{"imports", fmt.Sprint(i)}
		imp := Import{ID: str(im, "id"), Version: str(im, "version"), Ref: str(im, "ref"), Line: l.lines.at(at)}
		if seenImport[imp.ID] {
			l.add(append(at, "id"), "unique", fmt.Sprintf("capability %q is imported twice", imp.ID))
		}
		seenImport[imp.ID] = true
		c.Imports = append(c.Imports, imp)
	}
	f := &Flow{}
	c.Flow = f
	steps := list(obj(doc, "flow"), "steps")
	if len(steps) > MaxSteps {
		l.add([]string{"flow", "steps"}, "steps", fmt.Sprintf("the flow has %d steps; the most is %d", len(steps), MaxSteps))
		return
	}
	uses := map[string]int{}
	for _, s := range steps {
		uses[str(s, "capability")]++
	}
	ids := map[string]int{}
	for i, s := range steps {
		at := []string{"flow", "steps", fmt.Sprint(i)}
		st := &Step{ID: str(s, "id"), Capability: str(s, "capability"), Condition: str(s, "condition"),
			OnError: str(s, "onError"), Line: l.lines.at(at)}
		st.Inputs, _ = s["inputs"].(map[string]any)
		if h := obj(s, "handler"); h != nil {
			if succ, ok := h["onSuccess"]; ok && succ != "next" {
				l.add(append(at, "handler", "onSuccess"), "onSuccess", fmt.Sprintf("step %q: handler.onSuccess may only be next (go on); to choose between later steps, give them a condition", st.ID))
			}
			oe := str(h, "onError")
			if oe == "next" {
				oe = "continue" // upstream's word for going on
			}
			if oe != "" {
				if st.OnError != "" && st.OnError != oe {
					l.add(append(at, "handler", "onError"), "onError", fmt.Sprintf("step %q says onError %s and handler.onError %s; give one", st.ID, st.OnError, oe))
				}
				st.OnError = oe
			}
		}
		if st.OnError == "" {
			st.OnError = "fail"
		}
		if st.ID == "" {
			st.ID = st.Capability
			if uses[st.Capability] > 1 {
				l.add(at, "id", fmt.Sprintf("step %d has no id and capability %q appears in %d steps: give each an id", i, st.Capability, uses[st.Capability]))
			}
		}
		if first, dup := ids[st.ID]; dup {
			l.add(append(at, "id"), "unique", fmt.Sprintf("duplicate step id %q (first used at line %d)", st.ID, first))
		} else {
			ids[st.ID] = st.Line
		}
		if !seenImport[st.Capability] {
			l.add(append(at, "capability"), "imports", fmt.Sprintf("step %q runs %q, which is not in imports", st.ID, st.Capability))
		}
		for _, k := range []string{"dependsOn", "dependencies"} {
			arr, _ := s[k].([]any)
			for _, v := range arr {
				if d, ok := v.(string); ok && !slices.Contains(st.DependsOn, d) {
					st.DependsOn = append(st.DependsOn, d)
				}
			}
		}
		f.Steps = append(f.Steps, st)
	}
	// Templates resolve upstream's outputs.<name> to the one step that
	// has that id or runs that capability.
	alias := map[string][]string{}
	for _, st := range f.Steps {
		alias[st.Capability] = append(alias[st.Capability], st.ID)
	}
	for i, st := range f.Steps {
		at := []string{"flow", "steps", fmt.Sprint(i)}
		var err error
		if st.inputs, err = compileTemplate(st.Inputs, ids, alias); err != nil {
			l.add(append(at, "inputs"), "template", fmt.Sprintf("step %q: %v", st.ID, err))
			continue
		}
		if st.Condition != "" {
			text := st.Condition
			if m := templateRE.FindStringSubmatch(strings.TrimSpace(text)); m != nil && m[0] == strings.TrimSpace(text) {
				text = m[1]
			}
			if st.cond, err = compileExpr(text, ids, alias); err != nil {
				l.add(append(at, "condition"), "template", fmt.Sprintf("step %q: condition: %v", st.ID, err))
				continue
			}
		}
		needs := map[string]bool{}
		for j, d := range st.DependsOn {
			if _, ok := ids[d]; !ok {
				l.add(append(at, "dependsOn", fmt.Sprint(j)), "dependsOn", fmt.Sprintf("step %q depends on %q, which is not a step of this flow", st.ID, d))
				continue
			}
			needs[d] = true
		}
		for _, r := range st.inputs.reads {
			for _, d := range r {
				needs[d] = true
			}
		}
		if st.cond != nil {
			for _, d := range st.cond.steps {
				needs[d] = true
			}
		}
		if needs[st.ID] {
			l.add(at, "cycle", fmt.Sprintf("step %q depends on itself", st.ID))
			delete(needs, st.ID)
		}
		for d := range needs {
			st.needs = append(st.needs, d)
		}
		sort.Strings(st.needs)
	}
	if cycle := findCycle(f.Steps); cycle != nil {
		l.add([]string{"flow", "steps"}, "cycle", fmt.Sprintf("the steps form a cycle: %s", strings.Join(cycle, " → ")))
	}
	if src, ok := source.(map[string]any); ok {
		f.Source = src
		var err error
		if f.source, err = compileTemplate(src, ids, alias); err != nil {
			l.add([]string{"outputs", "source"}, "template", err.Error())
		}
	} else if source != nil {
		l.add([]string{"outputs", "source"}, "type", "outputs.source must be a mapping of output names to values")
	}
}

// splitSource takes outputs.source out of the outputs schema: it is not a
// JSON Schema keyword. Upstream's form, a source in each property
// (outputs.properties.<name>.source), is gathered into one source.
func splitSource(outputs any) (schema, source any) {
	o, ok := outputs.(map[string]any)
	if !ok {
		return outputs, nil
	}
	cp := make(map[string]any, len(o))
	for k, v := range o {
		if k != "source" {
			cp[k] = v
		}
	}
	src, whole := o["source"]
	props, _ := o["properties"].(map[string]any)
	var each map[string]any
	var pcp map[string]any
	for name, p := range props {
		pm, _ := p.(map[string]any)
		ps, ok := pm["source"]
		if !ok {
			continue
		}
		if each == nil {
			each, pcp = map[string]any{}, make(map[string]any, len(props))
			for k, v := range props {
				pcp[k] = v
			}
		}
		each[name] = ps
		q := make(map[string]any, len(pm))
		for k, v := range pm {
			if k != "source" {
				q[k] = v
			}
		}
		pcp[name] = q
	}
	switch {
	case each == nil && !whole:
		return outputs, nil
	case each == nil:
		return cp, src
	}
	cp["properties"] = pcp
	if whole {
		// Both forms: the whole source, and the properties' sources for
		// members it does not give.
		if sm, ok := src.(map[string]any); ok {
			for k, v := range sm {
				each[k] = v
			}
		} else {
			return cp, src // refused as not a mapping
		}
	}
	return cp, each
}

// findCycle returns the ids of a cycle among the steps' needs, first id
// repeated at the end, or nil.
func findCycle(steps []*Step) []string {
	byID := map[string]*Step{}
	for _, s := range steps {
		byID[s.ID] = s
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		color[id] = grey
		stack = append(stack, id)
		if s := byID[id]; s != nil {
			for _, d := range s.needs {
				switch color[d] {
				case grey:
					i := slices.Index(stack, d)
					return append(slices.Clone(stack[i:]), d)
				case white:
					if c := visit(d); c != nil {
						return c
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return nil
	}
	for _, s := range steps {
		if color[s.ID] == white {
			if c := visit(s.ID); c != nil {
				return c
			}
		}
	}
	return nil
}

// compileTemplate compiles every template in a JSON value.
func compileTemplate(v map[string]any, ids map[string]int, alias map[string][]string) (*template, error) {
	t := &template{value: v, parts: map[string]*templString{}, reads: map[string][]string{}}
	var walk func(v any, path []string) error
	walk = func(v any, path []string) error {
		switch x := v.(type) {
		case string:
			ts, err := compileString(x, ids, alias)
			if err != nil {
				return fmt.Errorf("%s: %w", pointer(path), err)
			}
			if ts != nil {
				t.parts[pointer(path)] = ts
				for _, e := range ts.exprs {
					t.reads[path[0]] = append(t.reads[path[0]], e.steps...)
				}
			}
		case map[string]any:
			for k, e := range x {
				if err := walk(e, append(slices.Clip(path), k)); err != nil {
					return err
				}
			}
		case []any:
			for i, e := range x {
				if err := walk(e, append(slices.Clip(path), strconv.Itoa(i))); err != nil {
					return err
				}
			}
		}
		return nil
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := walk(v[k], []string{k}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// compileString compiles the templates of one string, nil when it has
// none.
func compileString(s string, ids map[string]int, alias map[string][]string) (*templString, error) {
	locs := templateRE.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		if strings.Contains(s, "{{") {
			return nil, errors.New("a template opens with {{ and is not closed with }}")
		}
		return nil, nil
	}
	ts := &templString{whole: len(locs) == 1 && locs[0][0] == 0 && locs[0][1] == len(s)}
	last := 0
	for _, loc := range locs {
		ts.lits = append(ts.lits, s[last:loc[0]])
		e, err := compileExpr(s[loc[2]:loc[3]], ids, alias)
		if err != nil {
			return nil, err
		}
		ts.exprs = append(ts.exprs, e)
		last = loc[1]
	}
	ts.lits = append(ts.lits, s[last:])
	return ts, nil
}

// compileExpr compiles one CEL expression and finds the steps it reads.
func compileExpr(text string, ids map[string]int, alias map[string][]string) (*expr, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("empty template {{ }}")
	}
	env, err := flowEnv()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(text)
	if iss.Err() != nil {
		return nil, fmt.Errorf("{{ %s }}: %v", text, strings.ReplaceAll(iss.Err().Error(), "\n", " "))
	}
	e := &expr{text: text, aliases: map[string]string{}}
	var problem error
	seen := map[string]bool{}
	read := func(id string) {
		if !seen[id] {
			seen[id] = true
			e.steps = append(e.steps, id)
		}
	}
	celast.PostOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(x celast.Expr) {
		if problem != nil {
			return
		}
		root, name, ok := member(x)
		switch {
		case !ok:
			return
		case root == "steps":
			if name == "" {
				problem = errors.New("steps must be followed by a step id written out (steps.norm or steps[\"norm\"]), so the flow's order is known")
				return
			}
			if _, known := ids[name]; !known {
				problem = fmt.Errorf("{{ %s }} reads step %q, which is not a step of this flow", text, name)
				return
			}
			read(name)
		case root == "outputs":
			if name == "" {
				problem = errors.New("outputs must be followed by a step or capability id written out (outputs.Normalize.email)")
				return
			}
			targets := alias[name]
			if _, isStep := ids[name]; isStep {
				targets = []string{name} // a step id is unique
			}
			switch len(targets) {
			case 0:
				problem = fmt.Errorf("{{ %s }} reads outputs.%s, and no step has that id or runs that capability", text, name)
			case 1:
				e.aliases[name] = targets[0]
				read(targets[0])
			default:
				problem = fmt.Errorf("{{ %s }}: outputs.%s is ambiguous (steps %s): write steps.<id>.outputs", text, name, strings.Join(targets, ", "))
			}
		}
	}))
	// A bare `steps` or `outputs` (passed to a function, say) is refused.
	if problem == nil {
		celast.PostOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(x celast.Expr) {
			if problem != nil || x.Kind() != celast.IdentKind {
				return
			}
			if n := x.AsIdent(); n == "steps" || n == "outputs" {
				if !usedAsMember(ast.NativeRep().Expr(), x.ID()) {
					problem = fmt.Errorf("{{ %s }}: %s must be followed by an id written out", text, n)
				}
			}
		}))
	}
	if problem != nil {
		return nil, problem
	}
	sort.Strings(e.steps)
	e.prog, err = env.Program(ast, cel.CostLimit(MaxTemplateCost), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("{{ %s }}: %v", text, err)
	}
	return e, nil
}

// member recognises steps.<name>, steps["name"], outputs.<name> and
// outputs["name"]: root is the identifier, name the member ("" when the
// index is not a string literal). ok is false for anything else.
func member(x celast.Expr) (root, name string, ok bool) {
	switch x.Kind() {
	case celast.SelectKind:
		s := x.AsSelect()
		if s.Operand().Kind() == celast.IdentKind {
			return s.Operand().AsIdent(), s.FieldName(), true
		}
	case celast.CallKind:
		c := x.AsCall()
		if (c.FunctionName() == operators.Index || c.FunctionName() == operators.OptIndex) && len(c.Args()) == 2 && c.Args()[0].Kind() == celast.IdentKind {
			root = c.Args()[0].AsIdent()
			if lit := c.Args()[1]; lit.Kind() == celast.LiteralKind {
				if s, isStr := lit.AsLiteral().(types.String); isStr {
					return root, string(s), true
				}
			}
			return root, "", true
		}
	}
	return "", "", false
}

// usedAsMember reports whether the identifier with this id is the operand
// of a member access that member recognises.
func usedAsMember(root celast.Expr, id int64) bool {
	found := false
	celast.PostOrderVisit(root, celast.NewExprVisitor(func(x celast.Expr) {
		if found {
			return
		}
		switch x.Kind() {
		case celast.SelectKind:
			found = x.AsSelect().Operand().ID() == id
		case celast.CallKind:
			c := x.AsCall()
			if (c.FunctionName() == operators.Index || c.FunctionName() == operators.OptIndex) && len(c.Args()) == 2 {
				found = c.Args()[0].ID() == id
			}
		}
	}))
	return found
}

// EvalInputs returns the step's inputs with its templates evaluated over
// scope. A member whose templates fail because a step they read did not
// pass is left out; any other failure is an error naming the member.
func (s *Step) EvalInputs(ctx context.Context, scope Scope) (map[string]any, error) {
	return s.inputs.eval(ctx, scope)
}

// EvalCondition evaluates the step's condition over scope: true when it
// has none. A condition that fails because a step it reads did not pass
// is false (the step is skipped); any other failure is an error.
func (s *Step) EvalCondition(ctx context.Context, scope Scope) (bool, error) {
	if s.cond == nil {
		return true, nil
	}
	v, err := s.cond.eval(ctx, scope)
	if err != nil {
		for _, d := range s.cond.steps {
			if scope.Steps[d].Status != StepPassed {
				return false, nil
			}
		}
		return false, fmt.Errorf("condition %s: %w", s.Condition, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s gave %s, not a bool", s.Condition, typeName(v))
	}
	return b, nil
}

// EvalOutputs assembles the composite's outputs from outputs.source, or,
// without one, merges the outputs of the steps no other step needs, in
// document order.
func (f *Flow) EvalOutputs(ctx context.Context, scope Scope) (map[string]any, error) {
	if f.source != nil {
		return f.source.eval(ctx, scope)
	}
	needed := map[string]bool{}
	for _, s := range f.Steps {
		for _, d := range s.needs {
			needed[d] = true
		}
	}
	out := map[string]any{}
	for _, s := range f.Steps {
		if !needed[s.ID] {
			for k, v := range scope.Steps[s.ID].Outputs {
				out[k] = v
			}
		}
	}
	return out, nil
}

func (t *template) eval(ctx context.Context, scope Scope) (map[string]any, error) {
	if t == nil {
		return map[string]any{}, nil
	}
	vars := activation(scope)
	out := map[string]any{}
	src, _ := t.value.(map[string]any)
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := t.evalValue(ctx, vars, src[k], []string{k})
		if err != nil {
			unpassed := false
			for _, d := range t.reads[k] {
				if scope.Steps[d].Status != StepPassed {
					unpassed = true
				}
			}
			if unpassed {
				continue // reads a step that did not pass: left out
			}
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (t *template) evalValue(ctx context.Context, vars map[string]any, v any, path []string) (any, error) {
	switch x := v.(type) {
	case string:
		ts := t.parts[pointer(path)]
		if ts == nil {
			return x, nil
		}
		return ts.eval(ctx, vars)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ev, err := t.evalValue(ctx, vars, e, append(slices.Clip(path), k))
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ev, err := t.evalValue(ctx, vars, e, append(slices.Clip(path), strconv.Itoa(i)))
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	}
	return v, nil
}

func (ts *templString) eval(ctx context.Context, vars map[string]any) (any, error) {
	if ts.whole {
		return ts.exprs[0].evalVars(ctx, vars)
	}
	var b strings.Builder
	for i, e := range ts.exprs {
		b.WriteString(ts.lits[i])
		v, err := e.evalVars(ctx, vars)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok {
			b.WriteString(s)
		} else {
			j, _ := json.Marshal(v)
			b.Write(j)
		}
	}
	b.WriteString(ts.lits[len(ts.lits)-1])
	return b.String(), nil
}

func (e *expr) eval(ctx context.Context, scope Scope) (any, error) {
	return e.evalVars(ctx, activation(scope))
}

func (e *expr) evalVars(ctx context.Context, vars map[string]any) (any, error) {
	acts := vars
	if len(e.aliases) > 0 {
		steps, _ := vars["steps"].(map[string]any)
		outs := map[string]any{}
		for name, id := range e.aliases {
			if st, ok := steps[id].(map[string]any); ok {
				outs[name] = st["outputs"]
			}
		}
		acts = map[string]any{"inputs": vars["inputs"], "steps": vars["steps"], "outputs": outs}
	}
	val, _, err := e.prog.ContextEval(ctx, acts)
	if err != nil {
		return nil, fmt.Errorf("{{ %s }}: %v", e.text, err)
	}
	v, err := fromCEL(val)
	if err != nil {
		return nil, fmt.Errorf("{{ %s }}: %v", e.text, err)
	}
	return v, nil
}

// activation is the variables of an evaluation: numbers as CEL numbers.
func activation(scope Scope) map[string]any {
	steps := make(map[string]any, len(scope.Steps))
	for id, st := range scope.Steps {
		outs := st.Outputs
		if outs == nil {
			outs = map[string]any{}
		}
		steps[id] = map[string]any{"status": st.Status, "outputs": toCEL(outs)}
	}
	in := scope.Inputs
	if in == nil {
		in = map[string]any{}
	}
	return map[string]any{"inputs": toCEL(in), "steps": steps, "outputs": map[string]any{}}
}

// toCEL turns json.Number into int64 (integral and in range) or float64.
func toCEL(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case float64:
		// An integral number is an int whichever way it was decoded.
		if f := x; f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
			return int64(f)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = toCEL(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toCEL(e)
		}
		return out
	}
	return v
}

// fromCEL turns a CEL value into a JSON-compatible one; numbers become
// json.Number.
func fromCEL(v ref.Val) (any, error) {
	switch x := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(x), nil
	case types.String:
		return string(x), nil
	case types.Int:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case types.Uint:
		return json.Number(strconv.FormatUint(uint64(x), 10)), nil
	case types.Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("the value %v is not a JSON number", f)
		}
		if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
			return json.Number(strconv.FormatInt(int64(f), 10)), nil
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	case types.Bytes:
		return nil, errors.New("bytes have no JSON form: use base64.encode()")
	}
	if l, ok := v.(traits.Lister); ok {
		out := []any{}
		it := l.Iterator()
		for it.HasNext() == types.True {
			e, err := fromCEL(it.Next())
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	}
	if m, ok := v.(traits.Mapper); ok {
		out := map[string]any{}
		it := m.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return nil, fmt.Errorf("a map key %v is not a string", k)
			}
			e, err := fromCEL(m.Get(k))
			if err != nil {
				return nil, err
			}
			out[string(ks)] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %s has no JSON form", v.Type())
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
