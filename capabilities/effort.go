package capabilities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Limits on validating inputs and outputs. See the package documentation.
const (
	// MaxValueDepth is the deepest nesting of objects and arrays an inputs
	// or outputs value may have.
	MaxValueDepth = 256
	// MaxValueBytes bounds the size of an inputs or outputs value, measured
	// as its compact JSON encoding.
	MaxValueBytes = 16 << 20
	// BaseValidationSteps and StepsPerValueNode bound the schema
	// evaluations one validation may make (each time a subschema is applied
	// to a value counts one): BaseValidationSteps plus StepsPerValueNode
	// for each object, array and scalar in the value.
	BaseValidationSteps = 100_000
	StepsPerValueNode   = 32
	// maxDetailSteps bounds the schema evaluations spent working out the
	// problems of a value already found invalid.
	maxDetailSteps = 50_000
	// maxAnalysisSteps bounds the static analysis of one schema at load.
	maxAnalysisSteps = 2_000_000
	// maxInPlace bounds how many subschemas may apply to one value location
	// without descending into it.
	maxInPlace = 10_000
)

// ErrValidationLimit is the cause (Err) of a *ValidationError refusing an
// inputs or outputs value at one of the validation limits: MaxValueDepth,
// MaxValueBytes, or the step limit (BaseValidationSteps and
// StepsPerValueNode).
var ErrValidationLimit = errors.New("capabilities: validation limit")

// stopped is what the meter panics with to end a validation.
type stopped struct{ err error }

// meter counts the schema evaluations of one validation and ends it when
// its budget is spent or its context is done.
type meter struct {
	steps, limit int
	done         <-chan struct{}
	ctx          context.Context
}

func (m *meter) tick() {
	m.steps++
	if m.steps > m.limit {
		panic(stopped{fmt.Errorf("%w: validation stopped after %d schema evaluations (the limit for this value: BaseValidationSteps plus StepsPerValueNode per value node)", ErrValidationLimit, m.limit)})
	}
	if m.steps&63 == 0 && m.done != nil {
		select {
		case <-m.done:
			panic(stopped{m.ctx.Err()})
		default:
		}
	}
}

// metered is one compiled copy of a schema whose every subschema calls its
// meter when it is applied. A copy serves one validation at a time.
type metered struct {
	// full reports every problem; check only says whether the value is
	// valid (it is {"not": {"not": full}}, which the validator evaluates
	// without building error reports).
	full, check *jsonschema.Schema
	m           *meter
}

// meteredPool keeps the metered copies of one schema; a validation takes
// one, or compiles a new one when all are in use.
type meteredPool struct {
	mu   sync.Mutex
	free []*metered
	loc  string
	doc  any
}

// newMetered compiles doc at loc (and the check schema beside it), and
// instruments both.
func newMetered(loc string, doc any) (*metered, error) {
	c := newCompiler()
	c.AssertFormat()
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	checkLoc := loc + ".check"
	if err := c.AddResource(checkLoc, map[string]any{"not": map[string]any{"not": map[string]any{"$ref": loc}}}); err != nil {
		return nil, err
	}
	full, err := c.Compile(loc)
	if err != nil {
		return nil, err
	}
	check, err := c.Compile(checkLoc)
	if err != nil {
		return nil, err
	}
	m := &meter{}
	instrument(check, m)
	return &metered{full: full, check: check, m: m}, nil
}

func (p *meteredPool) get() (*metered, error) {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		mt := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return mt, nil
	}
	p.mu.Unlock()
	return newMetered(p.loc, p.doc)
}

func (p *meteredPool) put(mt *metered) {
	mt.m.ctx, mt.m.done = nil, nil
	p.mu.Lock()
	if len(p.free) < 8 {
		p.free = append(p.free, mt)
	}
	p.mu.Unlock()
}

// instrument makes every subschema reachable from root call m.tick when
// the validator applies it. The validator calls a schema's format check on
// every value that passed the schema's type, const and enum keywords,
// before it applies any subschema, so a format that ticks (wrapping the
// schema's own format, when it has one) sees every evaluation that can
// lead deeper.
func instrument(root *jsonschema.Schema, m *meter) {
	tick := &jsonschema.Format{Name: "enact-effort", Validate: func(any) error { m.tick(); return nil }}
	walkSchemas(root, func(s *jsonschema.Schema) {
		if f := s.Format; f != nil {
			s.Format = &jsonschema.Format{Name: f.Name, Validate: func(v any) error { m.tick(); return f.Validate(v) }}
		} else {
			s.Format = tick
		}
	})
}

// walkSchemas calls fn once for each schema reachable from root.
func walkSchemas(root *jsonschema.Schema, fn func(*jsonschema.Schema)) {
	seen := map[*jsonschema.Schema]bool{}
	stack := []*jsonschema.Schema{root}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s == nil || seen[s] {
			continue
		}
		seen[s] = true
		fn(s)
		for _, e := range inPlace(s) {
			stack = append(stack, e.to)
		}
		for _, e := range descents(s) {
			stack = append(stack, e.to)
		}
		if s.Else != nil {
			stack = append(stack, s.Else)
		}
	}
}

// edge is a subschema of a schema, with the keyword that holds it.
type edge struct {
	to *jsonschema.Schema
	kw string
	// label is the child value a descent applies to: "p:name" for a named
	// property, "o:*" for object members in general, "a:N" for an array
	// index, "a:*" for array items in general, "k:*" for property names.
	label string
	re    jsonschema.Regexp // the pattern of a patternProperties edge
}

// inPlace lists the subschemas applied to the same value as s, except then
// and else, which apply one or the other. A $dynamicRef may resolve to any
// schema with the same $dynamicAnchor; analyse adds those.
func inPlace(s *jsonschema.Schema) []edge {
	var out []edge
	add := func(t *jsonschema.Schema, kw string) {
		if t != nil {
			out = append(out, edge{to: t, kw: kw})
		}
	}
	add(s.Ref, "$ref")
	add(s.RecursiveRef, "$recursiveRef")
	if s.DynamicRef != nil {
		add(s.DynamicRef.Ref, "$dynamicRef")
	}
	add(s.Not, "not")
	for _, t := range s.AllOf {
		add(t, "allOf")
	}
	for _, t := range s.AnyOf {
		add(t, "anyOf")
	}
	for _, t := range s.OneOf {
		add(t, "oneOf")
	}
	add(s.If, "if")
	for _, k := range slices.Sorted(maps.Keys(s.DependentSchemas)) {
		add(s.DependentSchemas[k], "dependentSchemas")
	}
	for _, k := range slices.Sorted(maps.Keys(s.Dependencies)) {
		if t, ok := s.Dependencies[k].(*jsonschema.Schema); ok {
			add(t, "dependencies")
		}
	}
	return out
}

// descents lists the subschemas applied to the members or items of the
// value s applies to. Then is listed by the caller with else.
func descents(s *jsonschema.Schema) []edge {
	var out []edge
	add := func(t *jsonschema.Schema, kw, label string) {
		if t != nil {
			out = append(out, edge{to: t, kw: kw, label: label})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		add(s.Properties[k], "properties", "p:"+k)
	}
	pats := make([]jsonschema.Regexp, 0, len(s.PatternProperties))
	for re := range s.PatternProperties {
		pats = append(pats, re)
	}
	sort.Slice(pats, func(i, j int) bool { return pats[i].String() < pats[j].String() })
	for _, re := range pats {
		out = append(out, edge{to: s.PatternProperties[re], kw: "patternProperties", label: "o:*", re: re})
	}
	if t, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
		add(t, "additionalProperties", "o:*")
	}
	add(s.UnevaluatedProperties, "unevaluatedProperties", "o:*")
	add(s.PropertyNames, "propertyNames", "k:*")
	for i, t := range s.PrefixItems {
		add(t, "prefixItems", "a:"+strconv.Itoa(i))
	}
	add(s.Items2020, "items", "a:*")
	switch it := s.Items.(type) {
	case *jsonschema.Schema:
		add(it, "items", "a:*")
	case []*jsonschema.Schema:
		for i, t := range it {
			add(t, "items", "a:"+strconv.Itoa(i))
		}
	}
	if t, ok := s.AdditionalItems.(*jsonschema.Schema); ok {
		add(t, "additionalItems", "a:*")
	}
	add(s.Contains, "contains", "a:*")
	add(s.UnevaluatedItems, "unevaluatedItems", "a:*")
	add(s.ContentSchema, "contentSchema", "c:*")
	return out
}

// reach is one way a schema applied to a value leads to a subschema applied
// to one of the value's members or items.
type reach struct {
	edge
	from  *jsonschema.Schema   // the schema holding the descent's keyword
	via   []*jsonschema.Schema // the schemas passed through, the descent's target last
	count int                  // how many times it happens (then/else count once)
}

// analysis is the static effort analysis of one schema.
type analysis struct {
	steps   int
	dynamic map[string][]*jsonschema.Schema // $dynamicAnchor → schemas
	closure map[*jsonschema.Schema][]reach
}

// schemaProblem is a schema refused by the analysis: its pointer in the
// schema and why.
type schemaProblem struct {
	at  string // schema location
	msg string
}

var errAnalysis = errors.New("analysis budget")

// analyse looks for schemas whose validation effort grows exponentially
// with the depth of the value (a recursion in which some value location is
// validated against the recursion more than once per level: the branches
// of an anyOf, oneOf or allOf, a not, an if, or two keywords that each
// re-enter it for the same member or item) or, without recursion, applies
// more than maxInPlace subschemas to one value location.
func analyse(root *jsonschema.Schema) *schemaProblem {
	a := &analysis{dynamic: map[string][]*jsonschema.Schema{}, closure: map[*jsonschema.Schema][]reach{}}
	walkSchemas(root, func(s *jsonschema.Schema) {
		if s.DynamicAnchor != "" {
			a.dynamic[s.DynamicAnchor] = append(a.dynamic[s.DynamicAnchor], s)
		}
	})
	// The entries are the schemas applied to a value location as a whole:
	// the root and every descent's target.
	var entries []*jsonschema.Schema
	seen := map[*jsonschema.Schema]bool{}
	queue := []*jsonschema.Schema{root}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if seen[s] {
			continue
		}
		seen[s] = true
		entries = append(entries, s)
		rs, p := a.reaches(s)
		if p != nil {
			return p
		}
		for _, r := range rs {
			if !seen[r.to] {
				queue = append(queue, r.to)
			}
		}
	}
	// The recursion graph: entry → entries applied to one of its members
	// or items. A strongly connected part in which some entry applies its
	// part's entries more than once to one member repeats that at every
	// level: exponential.
	comp := sccs(entries, func(s *jsonschema.Schema) []*jsonschema.Schema {
		var out []*jsonschema.Schema
		for _, r := range a.closure[s] {
			out = append(out, r.to)
		}
		return out
	})
	for _, s := range entries {
		c := comp[s]
		var rs []reach
		labels := map[string]bool{}
		for _, r := range a.closure[s] {
			if comp[r.to] == c {
				rs = append(rs, r)
				labels[r.label] = true
			}
		}
		for _, label := range slices.Sorted(maps.Keys(labels)) {
			if ways, n := applied(label, rs); n >= 2 {
				return a.problem(ways, label, n)
			}
		}
	}
	return nil
}

// applied returns the reaches that apply to a member or item of the label
// ("p:name", "o:*" for a member no properties keyword names, "a:N",
// "a:*" for an item beyond every prefixItems), and how many times in all.
func applied(label string, rs []reach) ([]reach, int) {
	general := map[string]string{"p": "o", "o": "o", "a": "a", "k": "k", "c": "c"}
	kind, name, _ := strings.Cut(label, ":")
	var out []reach
	n := 0
	take := func(r reach) {
		out = append(out, r)
		n += r.count
	}
	// For members no properties keyword names, per schema object either
	// some patterns or additionalProperties apply, not both.
	patterns, additional := map[*jsonschema.Schema]int{}, map[*jsonschema.Schema]int{}
	for _, r := range rs {
		rkind, rname, _ := strings.Cut(r.label, ":")
		switch {
		case r.label == label && name != "*":
			take(r)
		case rname != "*" || general[rkind] != general[kind]:
		case general[kind] == "o":
			switch r.kw {
			case "patternProperties":
				if kind == "o" {
					patterns[r.from] += r.count
				}
				if kind == "o" || r.re.MatchString(name) {
					take(r)
				}
			case "additionalProperties":
				_, named := r.from.Properties[name]
				matched := false
				for re := range r.from.PatternProperties {
					matched = matched || re.MatchString(name)
				}
				if kind == "o" {
					additional[r.from] += r.count
					take(r)
				} else if !named && !matched {
					take(r)
				}
			default:
				take(r)
			}
		case kind == "a" && name != "*" && r.kw == "items" && r.from.Items2020 == r.to:
			if i, _ := strconv.Atoi(name); i >= len(r.from.PrefixItems) {
				take(r)
			}
		default:
			take(r)
		}
	}
	for from, p := range patterns {
		n -= min(p, additional[from])
	}
	return out, n
}

// problem words an exponential recursion, naming the applicator where the
// first two ways into it part.
func (a *analysis) problem(rs []reach, label string, n int) *schemaProblem {
	var ways [][]*jsonschema.Schema
	for _, r := range rs {
		if r.count > 0 {
			ways = append(ways, r.via)
		}
	}
	x, y := ways[0], ways[1]
	i := 0
	for i < len(x) && i < len(y) && x[i] == y[i] {
		i++
	}
	at := x[0].Location
	if i > 0 {
		at = x[i-1].Location
		// Name the keyword of the common schema under which the ways part
		// (anyOf of /$defs/node/anyOf/1), when it is written inside it.
		if i < len(x) && strings.HasPrefix(x[i].Location, at+"/") {
			kw, _, _ := strings.Cut(strings.TrimPrefix(x[i].Location, at+"/"), "/")
			at += "/" + kw
		}
	}
	what := "each member"
	switch kind, name, _ := strings.Cut(label, ":"); {
	case kind == "p":
		what = fmt.Sprintf("member %q", name)
	case kind == "a" && name == "*":
		what = "each item"
	case kind == "a":
		what = "item " + name
	case kind == "k":
		what = "each property name"
	}
	return &schemaProblem{at: at, msg: fmt.Sprintf(
		"recursive schema: every level validates %s against the recursion %d times, so validation effort would grow exponentially with the depth of the value (re-enter the recursion once, outside anyOf/oneOf/allOf/not/if)",
		what, n)}
}

// schemaTokens returns the JSON Pointer tokens of a schema location.
func schemaTokens(loc string) []string {
	_, frag, _ := strings.Cut(loc, "#")
	if frag == "" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(frag, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks
}

// reaches returns (and keeps) the descents reachable from s through the
// subschemas that apply to the same value, with how many times each is
// reached.
func (a *analysis) reaches(s *jsonschema.Schema) ([]reach, *schemaProblem) {
	if rs, ok := a.closure[s]; ok {
		return rs, nil
	}
	var out []reach
	inPlaceCount := 0
	var walk func(t *jsonschema.Schema, via []*jsonschema.Schema) error
	walk = func(t *jsonschema.Schema, via []*jsonschema.Schema) error {
		if slices.Contains(via, t) {
			return nil // the validator stops a cycle at one value location
		}
		a.steps++
		inPlaceCount++
		if a.steps > maxAnalysisSteps || inPlaceCount > maxInPlace {
			return errAnalysis
		}
		via = append(slices.Clip(via), t)
		for _, e := range descents(t) {
			out = append(out, reach{edge: e, from: t, via: append(slices.Clip(via), e.to), count: 1})
		}
		if t.Then != nil || t.Else != nil {
			// then and else never both apply: count the costlier once.
			before := len(out)
			if t.Then != nil {
				if err := walk(t.Then, via); err != nil {
					return err
				}
			}
			mid := len(out)
			if t.Else != nil {
				if err := walk(t.Else, via); err != nil {
					return err
				}
			}
			thenN, elseN := map[string]int{}, map[string]int{}
			for _, r := range out[before:mid] {
				thenN[r.label]++
			}
			for _, r := range out[mid:] {
				elseN[r.label]++
			}
			for i := before; i < len(out); i++ {
				l := out[i].label
				if thenN[l] == 0 || elseN[l] == 0 {
					continue
				}
				// Keep the side that applies more often; drop the other.
				if (i < mid) == (thenN[l] < elseN[l]) {
					out[i].count = 0
				}
			}
		}
		for _, e := range inPlace(t) {
			if err := walk(e.to, via); err != nil {
				return err
			}
		}
		if t.DynamicRef != nil && t.DynamicRef.Anchor != "" {
			for _, d := range a.dynamic[t.DynamicRef.Anchor] {
				if d != t.DynamicRef.Ref {
					if err := walk(d, via); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := walk(s, nil); err != nil {
		if a.steps > maxAnalysisSteps {
			return nil, &schemaProblem{at: s.Location, msg: fmt.Sprintf(
				"the schema is too complex to analyse (more than %d steps); validation effort could not be bounded", maxAnalysisSteps)}
		}
		return nil, &schemaProblem{at: s.Location, msg: fmt.Sprintf(
			"more than %d subschemas apply to one value location (through $ref, allOf, anyOf, oneOf, not, if); validation effort would be unbounded", maxInPlace)}
	}
	a.closure[s] = out
	return out, nil
}

// sccs numbers the strongly connected components of the graph (Tarjan).
func sccs(nodes []*jsonschema.Schema, next func(*jsonschema.Schema) []*jsonschema.Schema) map[*jsonschema.Schema]int {
	index := map[*jsonschema.Schema]int{}
	low := map[*jsonschema.Schema]int{}
	on := map[*jsonschema.Schema]bool{}
	comp := map[*jsonschema.Schema]int{}
	var stack []*jsonschema.Schema
	n, c := 0, 0
	var visit func(v *jsonschema.Schema)
	visit = func(v *jsonschema.Schema) {
		index[v], low[v] = n, n
		n++
		stack = append(stack, v)
		on[v] = true
		for _, w := range next(v) {
			if _, ok := index[w]; !ok {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				comp[w] = c
				if w == v {
					break
				}
			}
			c++
		}
	}
	for _, v := range nodes {
		if _, ok := index[v]; !ok {
			visit(v)
		}
	}
	return comp
}

// checkValue refuses a value nested deeper than MaxValueDepth or larger
// than MaxValueBytes, and the values the validator cannot judge safely:
// floats that are not finite and json.Number strings that are not JSON
// numbers. It never descends past MaxValueDepth.
func checkValue(v any, name string) ([]issue, int, error) {
	var size, nodes int
	var errs []issue
	var deep []string
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		if deep != nil || size > MaxValueBytes {
			return
		}
		nodes++
		if len(path) > MaxValueDepth {
			deep = slices.Clone(path)
			return
		}
		switch x := v.(type) {
		case map[string]any:
			size += 2
			for k, e := range x {
				size += len(k) + 4
				walk(e, append(path, k))
			}
		case []any:
			size += 2
			for i, e := range x {
				size++
				walk(e, append(path, strconv.Itoa(i)))
			}
		case string:
			size += len(x) + 2
		case json.Number:
			size += len(x)
		default:
			size += 8
		}
		errs = check(v, path, errs)
	}
	walk(v, nil)
	switch {
	case deep != nil:
		return nil, 0, &ValidationError{Name: name, Pointer: pointer(deep[:min(len(deep), 8)]) + "/...", Rule: "depth", Err: ErrValidationLimit,
			Msg: fmt.Sprintf("the value nests objects and arrays deeper than %d levels (the limit, MaxValueDepth)", MaxValueDepth)}
	case size > MaxValueBytes:
		return nil, 0, &ValidationError{Name: name, Rule: "size", Err: ErrValidationLimit,
			Msg: fmt.Sprintf("the value is larger than %d bytes of JSON (the limit, MaxValueBytes)", MaxValueBytes)}
	}
	return errs, nodes, nil
}
