package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/enact-run/enact/capabilities"
)

// MaxFileSize is the largest policy file or cases file accepted, in bytes.
const MaxFileSize = 1 << 20

// maxDepth is the deepest nesting of mappings and sequences accepted in a
// file, the top-level node counting as 1.
const maxDepth = 64

// maxErrors is how many problems Load reports before it stops.
const maxErrors = 20

// LoadError is one problem with a policy file or a cases file: Name is the
// name given to Load or RunCases, Line the 1-based line of the offending
// field (0 when the problem concerns the whole file).
type LoadError struct {
	Name string
	Line int
	Msg  string
}

// Error formats the problem as "name:line: message".
func (e *LoadError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.Name, e.Msg)
	}
}

// decoder walks a YAML node tree strictly: every mapping key must be known,
// keys appear once, scalars have the expected type. It collects problems in
// document order.
type decoder struct {
	name string
	errs []error
}

func (d *decoder) failf(n *yaml.Node, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &LoadError{Name: d.name, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) failAt(line int, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	d.errs = append(d.errs, &LoadError{Name: d.name, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) err() error {
	switch len(d.errs) {
	case 0:
		return nil
	case 1:
		return d.errs[0]
	}
	return errors.Join(d.errs...)
}

// parse decodes exactly one YAML document and checks the structural limits:
// size, depth, no anchors or aliases (they make a file say one thing in two
// places, and expand exponentially), no merge keys.
func parse(data []byte, name string) (root *yaml.Node, err error) {
	if len(data) > MaxFileSize {
		return nil, &LoadError{Name: name, Msg: fmt.Sprintf("file is %d bytes; the limit is %d", len(data), MaxFileSize)}
	}
	defer func() {
		// The parser reports errors by panicking internally; a panic that
		// escapes it is a parser bug, reported as a syntax error.
		if r := recover(); r != nil {
			root, err = nil, &LoadError{Name: name, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &LoadError{Name: name, Msg: "empty file"}
		}
		return nil, yamlError(name, err)
	}
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(name, err)
		}
		return nil, &LoadError{Name: name, Line: next.Line, Msg: "more than one YAML document"}
	}
	root = &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	d := &decoder{name: name}
	d.checkTree(root, 1)
	if err := d.err(); err != nil {
		return nil, err
	}
	return root, nil
}

func (d *decoder) checkTree(n *yaml.Node, depth int) {
	switch {
	case n.Kind == yaml.AliasNode:
		d.failf(n, "aliases are not supported; write the value out")
		return
	case n.Anchor != "":
		d.failf(n, "anchors are not supported; write the value out")
		return
	case depth > maxDepth:
		d.failf(n, "nested deeper than %d levels", maxDepth)
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].ShortTag() == "!!merge" {
				d.failf(n.Content[i], "merge keys (<<) are not supported; write the fields out")
				return
			}
		}
	}
	for _, c := range n.Content {
		d.checkTree(c, depth+1)
		if len(d.errs) > 0 {
			return
		}
	}
}

func yamlError(name string, err error) error {
	line, msg := capabilities.YAMLErrorLine(err)
	return &LoadError{Name: name, Line: line, Msg: "YAML syntax: " + msg}
}

// field is one entry of a mapping.
type field struct {
	key *yaml.Node
	val *yaml.Node
}

// fields checks that n is a mapping whose keys are distinct strings among
// known, and returns its entries by key. what names n in messages.
func (d *decoder) fields(n *yaml.Node, what string, known ...string) (map[string]field, bool) {
	if n.Kind != yaml.MappingNode {
		d.failf(n, "%s must be a mapping, not %s", what, kindName(n))
		return nil, false
	}
	out := make(map[string]field, len(n.Content)/2)
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			d.failf(k, "%s: keys must be strings", what)
			ok = false
			continue
		}
		if prev, dup := out[k.Value]; dup {
			d.failf(k, "%s: field %q appears twice (first at line %d)", what, k.Value, prev.key.Line)
			ok = false
			continue
		}
		if known != nil && !slices.Contains(known, k.Value) {
			d.failf(k, "%s: unknown field %q (known fields: %s)", what, k.Value, strings.Join(known, ", "))
			ok = false
			continue
		}
		out[k.Value] = field{key: k, val: v}
	}
	return out, ok
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!str", "!!timestamp":
			return "a string"
		}
		return "a " + strings.TrimPrefix(n.ShortTag(), "!!") + " scalar"
	}
	return "unknown YAML"
}

func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!timestamp") {
		d.failf(n, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str for a string that must have content.
func (d *decoder) nonEmpty(n *yaml.Node, what string) (string, bool) {
	s, ok := d.str(n, what)
	if ok && strings.TrimSpace(s) == "" {
		d.failf(n, "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.failf(n, "%s must be true or false, not %s", what, kindName(n))
		return false, false
	}
	return b, true
}

func (d *decoder) integer(n *yaml.Node, what string) (int64, bool) {
	var i int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.failf(n, "%s must be an integer, not %s", what, kindName(n))
		return 0, false
	}
	if err := n.Decode(&i); err != nil {
		d.failf(n, "%s: integer %s is out of range", what, n.Value)
		return 0, false
	}
	return i, true
}

func (d *decoder) list(n *yaml.Node, what string) ([]*yaml.Node, bool) {
	if n.Kind != yaml.SequenceNode {
		d.failf(n, "%s must be a list, not %s", what, kindName(n))
		return nil, false
	}
	return n.Content, true
}

// strings decodes a list of non-empty strings.
func (d *decoder) strings(n *yaml.Node, what string) ([]string, bool) {
	items, ok := d.list(n, what)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, ok2 := d.nonEmpty(it, fmt.Sprintf("%s[%d]", what, i))
		if !ok2 {
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}

// value converts a node into a JSON-like value: nil, bool, int64, float64,
// string, []any or map[string]any. Timestamps stay strings, as in JSON.
func (d *decoder) value(n *yaml.Node, what string) (any, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, true
		case "!!bool":
			return d.boolean(n, what)
		case "!!int":
			return d.integer(n, what)
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				d.failf(n, "%s: %s is not a finite number", what, n.Value)
				return nil, false
			}
			return f, true
		case "!!str", "!!timestamp":
			return n.Value, true
		}
		d.failf(n, "%s: YAML values tagged %s have no JSON equivalent", what, n.ShortTag())
		return nil, false
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, ok2 := d.value(c, fmt.Sprintf("%s[%d]", what, i))
			ok = ok && ok2
			out = append(out, v)
		}
		return out, ok
	case yaml.MappingNode:
		fs, ok := d.fields(n, what)
		if !ok {
			return nil, false
		}
		out := make(map[string]any, len(fs))
		for _, k := range sortedKeys(fs) {
			v, ok2 := d.value(fs[k].val, what+"."+k)
			ok = ok && ok2
			out[k] = v
		}
		return out, ok
	}
	d.failf(n, "%s: unsupported YAML node", what)
	return nil, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
