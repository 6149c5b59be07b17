package capabilities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/enact-run/enact/internal/lazyre"
)

// The forms of the upstream 1.0 protocol that this loader reads besides
// its own: inputs and outputs as a map of names to schemas, env.vars as a
// map or a list, top-level dependencies and schema.defaults.entryPoint.
// Each is turned into the one form the rest of the package knows.

func dependencies(d map[string]any) *Dependencies {
	if d == nil {
		return nil
	}
	out := &Dependencies{Version: str(d, "version")}
	for _, p := range list(d, "packages") {
		out.Packages = append(out.Packages, Package{Name: str(p, "name"), Version: str(p, "version")})
	}
	return out
}

// upstreamTasks gives script tasks what the document says for all of them:
// schema.defaults.entryPoint and the top-level dependencies, each when the
// task says nothing of its own.
func (l *loader) upstreamTasks(c *Capability, doc map[string]any) {
	entry := str(obj(obj(doc, "schema"), "defaults"), "entryPoint")
	for i := range c.Tasks {
		t := &c.Tasks[i]
		if t.Type != "script" {
			continue
		}
		if t.EntryPoint == "" {
			t.EntryPoint = entry
		}
		if t.Dependencies == nil && c.Dependencies != nil {
			d := *c.Dependencies
			d.Packages = slices.Clone(d.Packages)
			t.Dependencies = &d
		}
	}
}

// isSchemaForm reports whether v is a JSON Schema of an object (it has a
// string type) rather than the map form, names to schemas.
func isSchemaForm(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return true
	}
	_, ok = m["type"].(string)
	return ok
}

// parameters returns inputs or outputs as a JSON Schema: v itself, or, for
// the map form, an object schema with a property per name, whose required
// lists the members that said required: true (that member removed).
func parameters(v any) any {
	if v == nil || isSchemaForm(v) {
		return v
	}
	props := map[string]any{}
	var required []any
	for name, p := range v.(map[string]any) {
		schema, _ := p.(map[string]any)
		schema = shallow(schema)
		if r, ok := schema["required"].(bool); ok {
			delete(schema, "required")
			if r {
				required = append(required, name)
			}
		}
		props[name] = schema
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sortAny(required)
		out["required"] = required
	}
	return out
}

func shallow(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortAny(names []any) {
	sort.Slice(names, func(i, j int) bool { return names[i].(string) < names[j].(string) })
}

var varNameRE = lazyre.New(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// varsSchema returns env.vars as a JSON Schema of an object with a
// property per variable, from any of its three forms:
//
//   - a JSON Schema (type: object), as it is;
//   - a map of names to schemas: a variable is required unless its schema
//     has a default or says required: false;
//   - a list of {name, description, required, schema}: required unless it
//     says required: false; the description joins the schema.
//
// Every variable name must be an environment variable name. It records
// problems and returns nil when there are any.
func (l *loader) varsSchema(v any, at []string) any {
	var out map[string]any
	switch x := v.(type) {
	case []any:
		props := map[string]any{}
		var required []any
		seen := map[string]int{}
		for i, e := range x {
			m, _ := e.(map[string]any)
			name := str(m, "name")
			if j, dup := seen[name]; dup {
				l.add(append(slices.Clip(at), fmt.Sprint(i), "name"), "unique", fmt.Sprintf("variable %q is listed twice (first as item %d)", name, j))
				continue
			}
			seen[name] = i
			schema := shallow(obj(m, "schema"))
			if d := str(m, "description"); d != "" {
				if _, has := schema["description"]; !has {
					schema["description"] = d
				}
			}
			props[name] = schema
			if r, ok := m["required"].(bool); !ok || r {
				required = append(required, name)
			}
		}
		out = map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			sortAny(required)
			out["required"] = required
		}
	case map[string]any:
		if isSchemaForm(x) {
			out = x
			break
		}
		props := map[string]any{}
		var required []any
		for name := range x {
			schema := shallow(obj(x, name))
			r, said := schema["required"].(bool)
			delete(schema, "required")
			if _, hasDefault := schema["default"]; (said && r) || (!said && !hasDefault) {
				required = append(required, name)
			}
			props[name] = schema
		}
		out = map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			sortAny(required)
			out["required"] = required
		}
	default:
		return nil
	}
	props, _ := out["properties"].(map[string]any)
	bad := false
	for _, name := range sortedNames(props) {
		if !varNameRE.MatchString(name) {
			l.add(append(slices.Clip(at), name), "name", fmt.Sprintf("%q is not an environment variable name (a letter or '_', then letters, digits and '_')", name))
			bad = true
		}
	}
	if bad {
		return nil
	}
	return out
}

func sortedNames(m map[string]any) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Var describes one environment variable a capability declares.
type Var struct {
	Name        string
	Description string
	// Required says the run needs a value: the operator must give one,
	// as the variable has no default.
	Required bool
	// HasDefault says the schema gives a default, used when the operator
	// gives no value.
	HasDefault bool
	// Type is the schema's type keyword when it is a string ("string",
	// "integer", …), "" otherwise.
	Type string
}

// Vars lists the environment variables the capability declares, sorted by
// name; nil when it declares none.
func (c *Capability) Vars() []Var {
	if c.vars == nil {
		return nil
	}
	root, _ := c.vars.doc.(map[string]any)
	props, _ := root["properties"].(map[string]any)
	required := map[string]bool{}
	if rs, ok := root["required"].([]any); ok {
		for _, r := range rs {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	var out []Var
	for _, name := range sortedNames(props) {
		p, _ := props[name].(map[string]any)
		_, hasDefault := p["default"]
		v := Var{Name: name, Description: str(p, "description"), HasDefault: hasDefault, Type: str(p, "type")}
		v.Required = required[name] && !hasDefault
		out = append(out, v)
	}
	return out
}

// MissingVarsError says which required environment variables the operator
// gave no value for. Nothing may run.
type MissingVarsError struct {
	// Names are the missing variables, sorted.
	Names []string
}

func (e *MissingVarsError) Error() string {
	return fmt.Sprintf("capabilities: required environment variables not given: %s", strings.Join(e.Names, ", "))
}

// ResolveVars returns the values of the capability's environment variables
// for a run: given holds the operator's values by name (variables the
// capability does not declare are left out), defaults fill the others,
// and the result is validated against the variables' schema. A string
// given for a variable whose schema type is integer, number, boolean,
// object or array is read as JSON first (an environment holds text). A
// required variable without a value is a *MissingVarsError; a value that
// does not validate is a *ValidationError or ValidationErrors named "env.vars"
// whose messages never show the value. A capability without env.vars
// resolves to nil.
func (c *Capability) ResolveVars(ctx context.Context, given map[string]any) (map[string]any, error) {
	if c.vars == nil {
		return nil, nil
	}
	out := map[string]any{}
	var missing []string
	var names []string
	for _, v := range c.Vars() {
		names = append(names, v.Name)
		val, ok := given[v.Name]
		if !ok {
			if v.Required {
				missing = append(missing, v.Name)
			}
			continue
		}
		if s, isText := val.(string); isText && v.Type != "" && v.Type != "string" {
			var parsed any
			if err := json.Unmarshal([]byte(s), &parsed); err == nil {
				val = parsed
			}
		}
		out[v.Name] = clone(val)
	}
	if len(missing) > 0 {
		return nil, &MissingVarsError{Names: missing}
	}
	list, _, err := checkValue(out, "env.vars")
	if err != nil {
		return nil, WithoutValues(err, names)
	}
	if len(list) > 0 {
		return nil, WithoutValues(issueErrors(list, "env.vars"), names)
	}
	applyDefaults(c.vars.doc, out)
	if err := validate(ctx, c.vars, out, "env.vars"); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		return nil, WithoutValues(err, names)
	}
	return out, nil
}

// VarTexts gives resolved environment variables as the text an environment
// holds: a string as it is, any other value as its JSON. Empty, not nil,
// for none.
func VarTexts(vars map[string]any) map[string]string {
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, _ := json.Marshal(v)
		out[k] = string(b)
	}
	return out
}
