package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"go.yaml.in/yaml/v3"
)

// MaxRuleCost is the CEL cost limit of one expression evaluation (cel-go
// cost units, roughly one per operation and per element a function
// visits). An evaluation that exceeds it fails, and so does its rule.
const MaxRuleCost = 100_000

// maxExprSize is the longest CEL expression accepted, in code points.
const maxExprSize = 8 << 10

// celEnv is the one CEL environment every rule compiles in. It is built on
// first use and never changed.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Types(actorType, actionType, capabilityType),
		cel.Variable("actor", cel.ObjectType(actorType.TypeName())),
		cel.Variable("action", cel.ObjectType(actionType.TypeName())),
		cel.Variable("capability", cel.ObjectType(capabilityType.TypeName())),
		cel.Variable("inputs", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("facts", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("time", cel.TimestampType),
		cel.Variable("dry_run", cel.BoolType),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.ParserExpressionSizeLimit(maxExprSize),
		cel.ParserRecursionLimit(100),
		cel.OptionalTypes(),
		ext.Strings(),
	)
})

// --- object types for actor, action and capability ---

// objType is a CEL struct type whose values are *celObj. Declaring the
// fields lets the type checker reject a misspelt field at load time.
type objType struct {
	*types.Type
	names  []string
	fields map[string]*types.FieldType
}

func newObjType(name string, fieldNames []string, fieldTypes []*types.Type) *objType {
	t := &objType{Type: types.NewObjectType(name), names: fieldNames, fields: map[string]*types.FieldType{}}
	for i, f := range fieldNames {
		t.fields[f] = &types.FieldType{
			Type:  fieldTypes[i],
			IsSet: func(obj any) bool { _, ok := obj.(*celObj); return ok },
			GetFrom: func(obj any) (any, error) {
				o, ok := obj.(*celObj)
				if !ok || o.t != t {
					return nil, fmt.Errorf("no such field %s on %T", f, obj)
				}
				return o.vals[i], nil
			},
		}
	}
	return t
}

var (
	actorType = newObjType("enact.Actor", []string{"email", "roles"},
		[]*types.Type{types.StringType, types.NewListType(types.StringType)})
	actionType = newObjType("enact.Action", []string{"id", "args", "target"},
		[]*types.Type{types.StringType, types.NewMapType(types.StringType, types.DynType), types.NewMapType(types.StringType, types.DynType)})
	capabilityType = newObjType("enact.Capability", []string{"id", "version", "digest"},
		[]*types.Type{types.StringType, types.StringType, types.StringType})
)

func (t *objType) ReflectType() reflect.Type { return nil }
func (t *objType) FieldNames() []string      { return slices.Clone(t.names) }
func (t *objType) FindFieldType(name string) (*types.FieldType, bool) {
	f, ok := t.fields[name]
	return f, ok
}
func (t *objType) NewValue(types.Adapter, map[string]ref.Val) ref.Val {
	return types.NewErr("%s values cannot be constructed in a rule", t.TypeName())
}
func (t *objType) Adapt(_ types.Adapter, v any) ref.Val {
	if o, ok := v.(*celObj); ok && o.t == t {
		return o
	}
	return types.NewErr("cannot adapt %T to %s", v, t.TypeName())
}

// celObj is a value of an objType: its field values in declaration order.
type celObj struct {
	t    *objType
	vals []ref.Val
}

func (o *celObj) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted to %v", o.t.TypeName(), typeDesc)
}

func (o *celObj) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case types.TypeType:
		return o.t.Type
	case o.t.Type:
		return o
	}
	return types.NewErr("type conversion error from %s to %s", o.t.TypeName(), typeVal.TypeName())
}

func (o *celObj) Equal(other ref.Val) ref.Val {
	p, ok := other.(*celObj)
	if !ok || p.t != o.t {
		return types.False
	}
	for i := range o.vals {
		if eq := o.vals[i].Equal(p.vals[i]); eq != types.True {
			return eq
		}
	}
	return types.True
}

func (o *celObj) Type() ref.Type { return o.t.Type }
func (o *celObj) Value() any     { return o }

// Get implements traits.Indexer, for field access on a dyn value.
func (o *celObj) Get(field ref.Val) ref.Val {
	if s, ok := field.(types.String); ok {
		if i := slices.Index(o.t.names, string(s)); i >= 0 {
			return o.vals[i]
		}
	}
	return types.NewErr("no such field: %v", field)
}

// IsSet implements traits.FieldTester, for has(actor.email).
func (o *celObj) IsSet(field ref.Val) ref.Val {
	if s, ok := field.(types.String); ok && slices.Contains(o.t.names, string(s)) {
		return types.True
	}
	return types.NewErr("no such field: %v", field)
}

// --- maps with a fixed iteration order ---

// orderedMap is a CEL view of a map[string]any that iterates in sorted key
// order. CEL's own maps over Go maps iterate in Go's random order, which
// would make map(), filter() and the cost of exists() over a map differ
// between two evaluations of the same input. Values are converted when a
// rule reaches them, so a rule pays only for what it reads. A map belongs
// to one decision and is not shared between goroutines.
type orderedMap struct {
	raw   map[string]any
	depth int      // of the map's values
	keys  []string // sorted; built on first ordered use
}

var _ traits.Mapper = (*orderedMap)(nil)

func (m *orderedMap) sorted() []string {
	if m.keys == nil && len(m.raw) > 0 {
		m.keys = make([]string, 0, len(m.raw))
		for k := range m.raw {
			m.keys = append(m.keys, k)
		}
		sort.Strings(m.keys)
	}
	return m.keys
}

func (m *orderedMap) Find(key ref.Val) (ref.Val, bool) {
	switch k := key.(type) {
	case types.String:
		if v, ok := m.raw[string(k)]; ok {
			return toCEL(v, m.depth), true
		}
		return nil, false
	case *types.Err, *types.Unknown:
		return k, false
	}
	return nil, false
}

func (m *orderedMap) Get(key ref.Val) ref.Val {
	v, ok := m.Find(key)
	if !ok {
		return types.ValOrErr(v, "no such key: %v", key)
	}
	return v
}

func (m *orderedMap) Contains(key ref.Val) ref.Val {
	v, ok := m.Find(key)
	if !ok && v != nil {
		return v
	}
	return types.Bool(ok)
}

func (m *orderedMap) Size() ref.Val { return types.Int(len(m.raw)) }

func (m *orderedMap) Iterator() traits.Iterator { return &keyIterator{keys: m.sorted()} }

// Fold implements traits.Foldable in key order.
func (m *orderedMap) Fold(f traits.Folder) {
	for _, k := range m.sorted() {
		if !f.FoldEntry(types.String(k), toCEL(m.raw[k], m.depth)) {
			return
		}
	}
}

func (m *orderedMap) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if typeDesc.Kind() != reflect.Map || typeDesc.Key().Kind() != reflect.String {
		return nil, fmt.Errorf("map cannot be converted to %v", typeDesc)
	}
	out := reflect.MakeMapWithSize(typeDesc, len(m.raw))
	for _, k := range m.sorted() {
		v, err := toCEL(m.raw[k], m.depth).ConvertToNative(typeDesc.Elem())
		if err != nil {
			return nil, err
		}
		out.SetMapIndex(reflect.ValueOf(k).Convert(typeDesc.Key()), reflect.ValueOf(v))
	}
	return out.Interface(), nil
}

func (m *orderedMap) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case types.MapType:
		return m
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from map to %s", typeVal.TypeName())
}

func (m *orderedMap) Equal(other ref.Val) ref.Val {
	o, ok := other.(traits.Mapper)
	if !ok {
		return types.False
	}
	if o.Size() != m.Size() {
		return types.False
	}
	for _, k := range m.sorted() {
		ov, found := o.Find(types.String(k))
		if !found {
			return types.False
		}
		if eq := toCEL(m.raw[k], m.depth).Equal(ov); eq != types.True {
			return eq
		}
	}
	return types.True
}

func (m *orderedMap) Type() ref.Type { return types.MapType }
func (m *orderedMap) Value() any     { return m }

type keyIterator struct {
	keys []string
	i    int
}

func (it *keyIterator) HasNext() ref.Val { return types.Bool(it.i < len(it.keys)) }
func (it *keyIterator) Next() ref.Val {
	if it.i >= len(it.keys) {
		return nil
	}
	k := it.keys[it.i]
	it.i++
	return types.String(k)
}
func (it *keyIterator) ConvertToNative(reflect.Type) (any, error) {
	return nil, errors.New("iterators cannot be converted")
}
func (it *keyIterator) ConvertToType(ref.Type) ref.Val {
	return types.NewErr("iterators cannot be converted")
}
func (it *keyIterator) Equal(ref.Val) ref.Val { return types.False }
func (it *keyIterator) Type() ref.Type        { return types.IteratorType }
func (it *keyIterator) Value() any            { return nil }

// --- converting input values ---

var emptyMap = &orderedMap{}

// toCEL converts a JSON-like Go value to a CEL value. Whole numbers that fit
// an int64 become int, other numbers double, so that 3 and 3.0 from JSON
// behave alike. A value that cannot be converted becomes an error value:
// using it fails the rule.
func toCEL(v any, depth int) ref.Val {
	if depth > maxDepth {
		return types.NewErr("value nested deeper than %d levels", maxDepth)
	}
	switch t := v.(type) {
	case nil:
		return types.NullValue
	case bool:
		return types.Bool(t)
	case string:
		return types.String(t)
	case float64:
		return celNumber(t)
	case int64:
		return types.Int(t)
	case int:
		return types.Int(t)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return types.Int(i)
		}
		f, err := t.Float64()
		if err != nil {
			return types.NewErr("invalid number %q", string(t))
		}
		return celNumber(f)
	case map[string]any:
		return toCELMap(t, depth)
	case []any:
		vals := make([]ref.Val, len(t))
		for i, e := range t {
			vals[i] = toCEL(e, depth+1)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, vals)
	case []string:
		return types.NewStringList(types.DefaultTypeAdapter, slices.Clone(t))
	case time.Time:
		return types.Timestamp{Time: t.UTC()}
	case time.Duration:
		return types.Duration{Duration: t}
	}
	if i, ok := asInt(v); ok {
		return types.Int(i)
	}
	if f, ok := asNumber(v); ok {
		return celNumber(f)
	}
	if m, ok := reflectMap(v); ok {
		return toCELMap(m, depth)
	}
	if l, ok := reflectList(v); ok {
		return toCEL(l, depth)
	}
	return types.NewErr("unsupported value of type %T", v)
}

func celNumber(f float64) ref.Val {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return types.Int(int64(f))
	}
	return types.Double(f)
}

func toCELMap(m map[string]any, depth int) ref.Val {
	if len(m) == 0 {
		return emptyMap
	}
	return &orderedMap{raw: m, depth: depth + 1}
}

// activation resolves the rule variables of one decision, converting each
// the first time a rule uses it.
type activation struct {
	c                                        *evalCtx
	actor, action, capability, inputs, facts ref.Val
}

var _ interpreter.Activation = (*activation)(nil)

func (c *evalCtx) activation() *activation {
	if c.act.c == nil {
		c.act.c = c
	}
	return &c.act
}

func (a *activation) ResolveName(name string) (any, bool) {
	in := a.c.in
	switch name {
	case "actor":
		if a.actor == nil {
			a.actor = &celObj{t: actorType, vals: []ref.Val{
				types.String(in.Actor.Email), types.NewStringList(types.DefaultTypeAdapter, a.c.actorRoles()),
			}}
		}
		return a.actor, true
	case "action":
		if a.action == nil {
			id, args, target := types.String(""), ref.Val(emptyMap), ref.Val(emptyMap)
			if in.Action != nil {
				id, args, target = types.String(in.Action.ID), toCELMap(in.Action.Args, 1), toCELMap(in.Action.Target, 1)
			}
			a.action = &celObj{t: actionType, vals: []ref.Val{id, args, target}}
		}
		return a.action, true
	case "capability":
		if a.capability == nil {
			a.capability = &celObj{t: capabilityType, vals: []ref.Val{
				types.String(in.Capability.ID), types.String(in.Capability.Version), types.String(in.Capability.Digest),
			}}
		}
		return a.capability, true
	case "inputs":
		if a.inputs == nil {
			a.inputs = toCELMap(in.Inputs, 0)
		}
		return a.inputs, true
	case "facts":
		if a.facts == nil {
			a.facts = toCELMap(in.Facts, 0)
		}
		return a.facts, true
	case "time":
		return types.Timestamp{Time: in.Time.UTC()}, true
	case "dry_run":
		return types.Bool(in.DryRun), true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// --- rules ---

// rule is a compiled rules entry.
type rule struct {
	name string
	when *expr // nil: always
	cond *expr
	deny bool // deny_if, else allow_if (or require_approval_if)
	// approval is set for require_approval_if: what a true cond asks for.
	approval   *Approval
	reason     string // "" only for require_approval_if
	passReason string
	scope      []string // nil: every action
	run        bool
}

type expr struct {
	key  string // "when", "deny_if", "allow_if" or "require_approval_if"
	src  string
	prog cel.Program
}

// compile compiles one CEL condition: a rule's when, deny_if, allow_if or
// require_approval_if, or require_approval's with.when. what names it in
// messages (`rule "r": deny_if`), key in the reasons of its evaluation
// errors; n is its YAML node, for the line of an error.
func (d *decoder) compile(env *cel.Env, what, key string, n *yaml.Node) *expr {
	src, ok := d.nonEmpty(n, what)
	if !ok {
		return nil
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		e := iss.Errors()[0]
		line := n.Line
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			line++ // the text starts below the | or >
		}
		if l := e.Location.Line(); l > 1 {
			line += l - 1
		}
		msg := strings.TrimSuffix(e.Message, " (in container '')")
		d.failAt(line, "%s: %s (expression column %d)", what, msg, e.Location.Column()+1)
		return nil
	}
	if k := ast.OutputType().Kind(); k != types.BoolKind && k != types.DynKind {
		d.failf(n, "%s must be a boolean expression, not %s", what, ast.OutputType())
		return nil
	}
	prog, err := env.Program(ast, cel.CostLimit(MaxRuleCost), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		d.failf(n, "%s: %v", what, err)
		return nil
	}
	return &expr{key: key, src: src, prog: prog}
}

func (e *expr) eval(a *activation) (bool, string) {
	out, _, err := e.prog.Eval(a)
	if err != nil {
		return false, fmt.Sprintf("%s could not be evaluated (%v); failing closed", e.key, err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Sprintf("%s gave %s, not a boolean; failing closed", e.key, out.Type().TypeName())
	}
	return bool(b), ""
}

func (r *rule) applies(c *evalCtx) bool {
	if !c.actionLevel {
		return r.run
	}
	return !r.run && (r.scope == nil || matchAny(r.scope, c.action))
}

// eval returns the rule's result, or false when the rule does not apply.
func (r *rule) eval(c *evalCtx) (Result, bool) {
	if !r.applies(c) {
		return Result{}, false
	}
	a := c.activation()
	if r.when != nil {
		ok, problem := r.when.eval(a)
		if problem != "" {
			return Result{Policy: r.name, Reason: problem}, true
		}
		if !ok {
			return Result{}, false
		}
	}
	v, problem := r.cond.eval(a)
	if problem != "" {
		return Result{Policy: r.name, Reason: problem}, true
	}
	if r.approval != nil {
		if v {
			return held(r.name, r.reason, r.approval), true
		}
		return Result{Policy: r.name, Passed: true, Reason: r.passReason}, true
	}
	if v == r.deny {
		return Result{Policy: r.name, Reason: r.reason}, true
	}
	return Result{Policy: r.name, Passed: true, Reason: r.passReason}, true
}

// defaultPassReason says why a rule passed when the file does not.
func defaultPassReason(key, src string) string {
	switch key {
	case "deny_if":
		return "deny_if is false: " + shortExpr(src)
	case "require_approval_if":
		return "no approval needed: require_approval_if is false: " + shortExpr(src)
	}
	return "allow_if is true: " + shortExpr(src)
}

// shortExpr is an expression for a reason: on one line, at most 100
// characters.
func shortExpr(src string) string {
	s := strings.Join(strings.Fields(src), " ")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:97]) + "..."
	}
	return s
}
