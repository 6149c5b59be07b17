package capabilities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// schemaDoc is a minimal document with the given inputs or outputs schema
// (JSON, which is YAML too).
func schemaDoc(where, schema string) string {
	return head + where + ": " + schema + "\n" + script
}

// chain nests value n levels deep under key c, inside {"tree": ...}.
func chain(n int, leaf any) map[string]any {
	v := leaf
	for range n {
		v = map[string]any{"c": v}
	}
	return map[string]any{"tree": v}
}

const treeRoot = `"type": "object", "properties": {"tree": {"$ref": "#/$defs/node"}}`

func TestHostileTimeExponentialSchemaRefusedAtLoad(t *testing.T) {
	t.Parallel()
	branch := `{"type": "object", "properties": {"c": {"$ref": "#/$defs/node"}}, "required": ["%s"]}`
	tests := []struct {
		name, where, schema, pointer string
	}{
		{"anyOf", "inputs", `{"$defs": {"node": {"anyOf": [` + fmt.Sprintf(branch, "a") + `, ` + fmt.Sprintf(branch, "b") + `, ` + fmt.Sprintf(branch, "d") + `, {"type": ["number", "null"]}]}}, ` + treeRoot + `}`,
			"/inputs/$defs/node/anyOf"},
		{"oneOf", "outputs", `{"$defs": {"node": {"oneOf": [` + fmt.Sprintf(branch, "a") + `, ` + fmt.Sprintf(branch, "b") + `]}}, ` + treeRoot + `}`,
			"/outputs/$defs/node/oneOf"},
		{"allOf", "outputs", `{"$defs": {"node": {"allOf": [` + fmt.Sprintf(branch, "a") + `, ` + fmt.Sprintf(branch, "b") + `]}}, ` + treeRoot + `}`,
			"/outputs/$defs/node/allOf"},
		{"not", "outputs", `{"$defs": {"node": {"properties": {"c": {"$ref": "#/$defs/node"}}, "not": ` + fmt.Sprintf(branch, "a") + `}}, ` + treeRoot + `}`,
			"/outputs/$defs/node"},
		{"property and pattern", "inputs", `{"$defs": {"node": {"properties": {"c": {"$ref": "#/$defs/node"}}, "patternProperties": {"^c": {"$ref": "#/$defs/node"}}}}, ` + treeRoot + `}`,
			"/inputs/$defs/node"},
		{"items twice", "outputs", `{"$defs": {"node": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/node"}}, {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/node"}}]}}, ` + treeRoot + `}`,
			"/outputs/$defs/node/anyOf"},
		{"root recursion", "inputs", `{"type": "object", "anyOf": [{"properties": {"c": {"$ref": "#"}}}, {"properties": {"c": {"$ref": "#"}}, "required": ["x"]}]}`,
			"/inputs/anyOf"},
		{"else twice", "outputs", `{"$defs": {"node": {"if": {"required": ["k"]}, "then": {"properties": {"c": {"$ref": "#/$defs/node"}}}, "else": {"anyOf": [` + fmt.Sprintf(branch, "a") + `, ` + fmt.Sprintf(branch, "b") + `]}}}, ` + treeRoot + `}`,
			"/outputs/$defs/node/else/anyOf"},
		{"dependentSchemas", "inputs", `{"type": "object", "properties": {"c": {"$ref": "#"}}, "dependentSchemas": {"k": {"properties": {"c": {"$ref": "#"}}}}}`,
			"/inputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := Load([]byte(schemaDoc(tt.where, tt.schema)), "c.yaml")
			t.Logf("refused in %v: %v", time.Since(start), err)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load = %v, want a *ValidationError", err)
			}
			if !strings.HasPrefix(ve.Pointer, tt.pointer) || ve.Rule != "schema" || !strings.Contains(ve.Msg, "exponentially") {
				t.Errorf("Load = %q, want a schema error at %s saying exponentially", ve.Error(), tt.pointer)
			}
		})
	}
}

func TestRecursiveSchemasLoadAndValidate(t *testing.T) {
	t.Parallel()
	deepTree := func(n int) map[string]any {
		v := map[string]any{"name": "leaf"}
		for range n {
			v = map[string]any{"name": "n", "children": []any{v, map[string]any{"name": "x"}}}
		}
		return map[string]any{"tree": v}
	}
	tests := []struct {
		name, schema string
		good, bad    map[string]any
	}{
		{"json value", `{"$defs": {"json": {"anyOf": [{"type": ["null", "boolean", "number", "string"]}, {"type": "array", "items": {"$ref": "#/$defs/json"}}, {"type": "object", "additionalProperties": {"$ref": "#/$defs/json"}}]}}, "type": "object", "additionalProperties": {"$ref": "#/$defs/json"}}`,
			chain(200, []any{1.0, "x", nil}), nil},
		{"tree", `{"$defs": {"node": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}, ` + treeRoot + `}`,
			deepTree(100), map[string]any{"tree": map[string]any{"name": "a", "children": []any{map[string]any{}}}}},
		{"binary tree", `{"$defs": {"node": {"type": "object", "properties": {"left": {"$ref": "#/$defs/node"}, "right": {"$ref": "#/$defs/node"}, "value": {"type": "number"}}}}, ` + treeRoot + `}`,
			map[string]any{"tree": map[string]any{"left": map[string]any{"value": 1.0}, "right": map[string]any{"right": map[string]any{}}}},
			map[string]any{"tree": map[string]any{"left": map[string]any{"value": "one"}}}},
		{"named and additional members", `{"$defs": {"node": {"type": "object", "properties": {"c": {"$ref": "#/$defs/node"}}, "additionalProperties": {"$ref": "#/$defs/node"}}}, ` + treeRoot + `}`,
			chain(200, map[string]any{}), chain(3, 1.0)},
		{"pattern and additional members", `{"$defs": {"node": {"type": "object", "patternProperties": {"^c": {"$ref": "#/$defs/node"}}, "additionalProperties": {"$ref": "#/$defs/node"}}}, ` + treeRoot + `}`,
			chain(200, map[string]any{}), chain(3, 1.0)},
		{"if then else", `{"$defs": {"node": {"if": {"required": ["leaf"]}, "then": {"properties": {"c": {"$ref": "#/$defs/node"}}, "required": ["v"]}, "else": {"type": "object", "properties": {"c": {"$ref": "#/$defs/node"}}}}}, ` + treeRoot + `}`,
			chain(200, map[string]any{}), chain(5, map[string]any{"leaf": true})},
		{"disjoint types", `{"$defs": {"node": {"anyOf": [{"type": "object", "properties": {"c": {"$ref": "#/$defs/node"}}}, {"type": "array", "items": {"$ref": "#/$defs/node"}}, {"type": "number"}]}}, ` + treeRoot + `}`,
			chain(200, []any{1.0, map[string]any{"c": 2.0}}), chain(3, "s")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, where := range []string{"inputs", "outputs"} {
				c, err := Load([]byte(schemaDoc(where, tt.schema)), "c.yaml")
				if err != nil {
					t.Fatalf("Load %s: %v", where, err)
				}
				validate := func(v map[string]any) error {
					if where == "inputs" {
						_, err := c.ValidateInputsContext(t.Context(), v)
						return err
					}
					return c.ValidateOutputsContext(t.Context(), v)
				}
				if err := validate(tt.good); err != nil {
					t.Errorf("%s: valid value refused: %v", where, err)
				}
				if tt.bad != nil {
					var ve *ValidationError
					if err := validate(tt.bad); !errors.As(err, &ve) || errors.Is(err, ErrValidationLimit) {
						t.Errorf("%s: invalid value = %v, want a schema violation", where, err)
					}
				}
			}
		})
	}
}

// fanOut is a schema without recursion that the static analysis lets
// pass but whose validation doubles at each of its levels: it takes the
// validation limits to stop it. With cheap, both branches fail only after
// descending (so even the valid-or-not check doubles); otherwise they fail
// on required first, which only the detailed report descends past.
func fanOut(levels int, cheap bool) string {
	var defs []string
	a, b := `"not": {"required": ["c"]}`, `"not": {"type": "object"}`
	if !cheap {
		a, b = `"required": ["a"]`, `"required": ["b"]`
	}
	for i := range levels {
		next := fmt.Sprintf(`{"$ref": "#/$defs/l%d"}`, i+1)
		defs = append(defs, fmt.Sprintf(`"l%d": {"anyOf": [{"type": "object", "properties": {"c": %s}, %s}, {"type": "object", "properties": {"c": %s}, %s}]}`, i, next, a, next, b))
	}
	defs = append(defs, fmt.Sprintf(`"l%d": {"type": "number"}`, levels))
	return `{"$defs": {` + strings.Join(defs, ", ") + `}, "type": "object", "properties": {"tree": {"$ref": "#/$defs/l0"}}}`
}

func TestHostileTimeValidationStepLimit(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"inputs", "outputs"} {
		for _, cheap := range []bool{true, false} {
			c, err := Load([]byte(schemaDoc(where, fanOut(40, cheap))), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if where == "inputs" {
				_, err = c.ValidateInputs(chain(40, 1.0))
			} else {
				err = c.ValidateOutputs(chain(40, 1.0))
			}
			t.Logf("%s, check explodes %v: cut off after %v: %v", where, cheap, time.Since(start), err)
			var ve *ValidationError
			switch {
			case !errors.As(err, &ve):
				t.Fatalf("%s: err = %v, want a *ValidationError", where, err)
			case cheap && (!errors.Is(err, ErrValidationLimit) || ve.Rule != "steps" || !strings.Contains(ve.Msg, "BaseValidationSteps")):
				t.Errorf("%s: err = %v, want the step limit", where, err)
			case !cheap && (ve.Rule != "schema" || !strings.Contains(ve.Msg, "details are left out")):
				t.Errorf("%s: err = %v, want an invalid value without details", where, err)
			}
			// The copy stopped mid-validation is usable again.
			if where == "outputs" {
				if err := c.ValidateOutputs(map[string]any{"tree": 1.0}); err == nil || errors.Is(err, ErrValidationLimit) {
					t.Errorf("after the cut-off: %v, want a plain violation", err)
				}
			}
		}
	}
}

func TestHostileTimeValidationContext(t *testing.T) {
	t.Parallel()
	c, err := Load([]byte(schemaDoc("outputs", fanOut(40, true))), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.ValidateOutputsContext(ctx, chain(40, 1.0))
	t.Logf("cut off after %v: %v", time.Since(start), err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	if _, err := c.ValidateInputsContext(cctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestHostileTimeValueLimits(t *testing.T) {
	t.Parallel()
	c, err := Load([]byte(head+script), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var deep any = 1.0
	for range 100_000 {
		deep = []any{deep}
	}
	big := map[string]any{"s": strings.Repeat("x", MaxValueBytes)}
	tests := []struct {
		name  string
		value map[string]any
		rule  string
		limit string
	}{
		{"deep input", map[string]any{"v": deep}, "depth", "MaxValueDepth"},
		{"just too deep", chain(MaxValueDepth, 1.0), "depth", "MaxValueDepth"},
		{"large input", big, "size", "MaxValueBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ValidateInputs(tt.value)
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrValidationLimit) || ve.Rule != tt.rule || !strings.Contains(ve.Msg, tt.limit) {
				t.Errorf("inputs: err = %v, want the %s limit", err, tt.limit)
			}
			if err := c.ValidateOutputs(tt.value); !errors.Is(err, ErrValidationLimit) {
				t.Errorf("outputs: err = %v, want the %s limit", err, tt.limit)
			}
		})
	}
	if _, err := c.ValidateInputs(chain(MaxValueDepth-1, 1.0)); err != nil {
		t.Errorf("a value at the depth limit: %v", err)
	}
}

// FuzzSchemaEffort loads fuzzed inputs schemas and validates fuzzed values
// against those that load: the analysis and the validation must neither
// panic nor run past their bounds, and fail only with the package's
// errors or the context's.
func FuzzSchemaEffort(f *testing.F) {
	f.Add(`{"$defs": {"node": {"anyOf": [{"properties": {"c": {"$ref": "#/$defs/node"}}}, {"properties": {"c": {"$ref": "#/$defs/node"}}, "required": ["a"]}]}}, "type": "object", "properties": {"tree": {"$ref": "#/$defs/node"}}}`,
		`{"tree": {"c": {"c": {"c": 1}}}}`)
	f.Add(`{"$defs": {"json": {"anyOf": [{"type": ["null", "boolean", "number", "string"]}, {"type": "array", "items": {"$ref": "#/$defs/json"}}, {"type": "object", "additionalProperties": {"$ref": "#/$defs/json"}}]}}, "type": "object", "additionalProperties": {"$ref": "#/$defs/json"}}`,
		`{"a": [1, {"b": null}], "c": "d"}`)
	f.Add(`{"type": "object", "if": {"required": ["k"]}, "then": {"properties": {"c": {"$ref": "#"}}}, "else": {"properties": {"c": {"$ref": "#"}}}}`, `{"c": {"k": 1, "c": {}}}`)
	f.Add(`{"$dynamicAnchor": "n", "type": "object", "properties": {"c": {"$dynamicRef": "#n"}}, "patternProperties": {"^c": {"$dynamicRef": "#n"}}}`, `{"c": {"c": {}}}`)
	f.Add(fanOut(12, true), `{"tree": {"c": {"c": {"c": 1}}}}`)
	f.Fuzz(func(t *testing.T, schema, value string) {
		if !json.Valid([]byte(schema)) {
			return
		}
		c, err := Load([]byte(schemaDoc("inputs", schema)), "f.yaml")
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load: %T %v", err, err)
			}
			return
		}
		var v map[string]any
		if json.Unmarshal([]byte(value), &v) != nil {
			return
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err = c.ValidateInputsContext(ctx, v)
		var ve *ValidationError
		if err != nil && !errors.As(err, &ve) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ValidateInputsContext: %T %v", err, err)
		}
	})
}
