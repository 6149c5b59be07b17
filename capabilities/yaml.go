package capabilities

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/enact-run/enact/internal/lazyre"
)

// Limits on a capability document.
const (
	// MaxSize is the largest document accepted, in bytes.
	MaxSize = 1 << 20
	// MaxDepth is the deepest nesting of mappings and sequences accepted,
	// the top-level mapping counting as 1, aliases expanded.
	MaxDepth = 64
	// MaxAliasNodes is the most YAML nodes a document that uses aliases
	// (or merge keys) may have once they are expanded.
	MaxAliasNodes = 100_000
	// maxExpandedBytes bounds the scalar bytes aliases may expand to.
	maxExpandedBytes = 8 << 20
)

var yamlLine = lazyre.New(`^yaml: line (\d+): (.*)$`)

// parserErrors are the messages of the YAML parser, whose lines are
// 0-based (the scanner's are 1-based).
var parserErrors = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"did not find expected node content", "did not find expected '-' indicator",
	"did not find expected key", "did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found duplicate %YAML directive", "found incompatible YAML document",
	"found duplicate %TAG directive", "found undefined tag handle",
}

// parseYAML decodes exactly one YAML document into its node tree and checks
// the limits. It returns the document's top node.
func parseYAML(data []byte, name string) (root *yaml.Node, err error) {
	fail := func(line int, msg string) error {
		return &ValidationError{Name: name, Line: line, Rule: "yaml", Msg: msg}
	}
	defer func() {
		// The parser reports errors by panicking internally; a panic that
		// escapes it is a parser bug, reported as a syntax error.
		if r := recover(); r != nil {
			root, err = nil, fail(0, fmt.Sprintf("YAML parser failed: %v", r))
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail(0, "empty document")
		}
		return nil, yamlError(name, err)
	}
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(name, err)
		}
		return nil, fail(next.Line, "more than one YAML document; a capability is one document")
	}
	root = &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	if err := checkLimits(root, name); err != nil {
		return nil, err
	}
	return root, nil
}

func yamlError(name string, err error) error {
	line, msg := YAMLErrorLine(err)
	return &ValidationError{Name: name, Line: line, Rule: "yaml", Msg: msg}
}

// YAMLErrorLine splits a syntax error of go.yaml.in/yaml/v3 into its
// 1-based line (0 when it names none) and its message, correcting the
// parser's errors, which count lines from 0 where the scanner's count
// from 1. Other packages reading YAML documents (policy files) use it so
// their errors point at the same lines.
func YAMLErrorLine(err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(parserErrors, msg) {
			line++
		}
	}
	return line, msg
}

// size is what a node expands to, aliases and merge keys followed.
type size struct {
	nodes, bytes uint64
	height       int // levels of mappings and sequences
	busy         bool
}

// walker computes sizes, memoising anchored nodes (the only ones an alias
// can reach) so that the expansion is measured, never materialised.
type walker struct {
	memo       map[*yaml.Node]*size
	aliasNodes uint64 // nodes the aliases met so far expand to
	aliasBytes uint64 // scalar bytes they expand to
	aliases    bool
	bigAlias   int // line of the alias where the expansion passed the limits
	deepLine   int // line of the first node nested beyond MaxDepth
	cycle      int // line of an alias that refers to a node containing it
}

const saturated = 1 << 62

func (w *walker) visit(n *yaml.Node, depth int) *size {
	if s, ok := w.memo[n]; ok {
		return s
	}
	s := &size{busy: true}
	if n.Anchor != "" {
		w.memo[n] = s
	}
	switch n.Kind {
	case yaml.AliasNode:
		w.aliases = true
		if t, ok := w.memo[n.Alias]; ok && t.busy && w.cycle == 0 {
			w.cycle = n.Line
		}
		t := w.visit(n.Alias, depth)
		s.nodes, s.bytes, s.height = min(t.nodes+1, saturated), t.bytes, t.height
		w.aliasNodes = min(w.aliasNodes+t.nodes, saturated)
		w.aliasBytes = min(w.aliasBytes+t.bytes, saturated)
		if (w.aliasNodes > MaxAliasNodes || w.aliasBytes > maxExpandedBytes) && w.bigAlias == 0 {
			w.bigAlias = n.Line
		}
		if depth-1+t.height > MaxDepth && w.deepLine == 0 {
			w.deepLine = n.Line
		}
	case yaml.ScalarNode:
		s.nodes, s.bytes = 1, uint64(len(n.Value))
	default:
		own := 1
		if n.Kind == yaml.DocumentNode {
			own = 0
		} else if depth > MaxDepth && w.deepLine == 0 {
			w.deepLine = n.Line
		}
		s.nodes = 1
		for _, c := range n.Content {
			cs := w.visit(c, depth+own)
			s.nodes = min(s.nodes+cs.nodes, saturated)
			s.bytes = min(s.bytes+cs.bytes, saturated)
			s.height = max(s.height, cs.height)
		}
		s.height += own
	}
	s.busy = false
	return s
}

func checkLimits(root *yaml.Node, name string) error {
	w := &walker{memo: map[*yaml.Node]*size{}}
	s := w.visit(root, 1)
	switch {
	case w.cycle != 0:
		return &ValidationError{Name: name, Line: w.cycle, Rule: "alias", Err: ErrAliasExpansion,
			Msg: "an alias refers to a node that contains it, so its expansion never ends"}
	case w.aliases && (s.nodes > MaxAliasNodes || s.bytes > maxExpandedBytes):
		return &ValidationError{Name: name, Line: w.bigAlias, Rule: "alias", Err: ErrAliasExpansion,
			Msg: fmt.Sprintf("aliases expand the document beyond %d nodes or %d MiB of text", MaxAliasNodes, maxExpandedBytes>>20)}
	case s.height > MaxDepth:
		return &ValidationError{Name: name, Line: w.deepLine, Rule: "depth", Err: ErrTooDeep,
			Msg: fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
	}
	return nil
}

// entry is a mapping entry with merge keys resolved.
type entry struct {
	key  string
	line int
	val  *yaml.Node
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// converter turns a checked node tree into JSON-compatible values: nil,
// bool, json.Number, string, []any and map[string]any.
type converter struct {
	name string
	errs []*ValidationError
}

func (cv *converter) fail(n *yaml.Node, path []string, rule, format string, args ...any) {
	cv.errs = append(cv.errs, &ValidationError{Name: cv.name, Line: n.Line, Pointer: pointer(path), Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// entries lists a mapping's entries in order, then the entries merge keys
// bring that the mapping does not have (earlier merges win).
func (cv *converter) entries(n *yaml.Node, path []string) []entry {
	var out []entry
	seen := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		switch tag := k.ShortTag(); {
		case k.Kind == yaml.ScalarNode && tag == "!!merge":
			merges = append(merges, v)
		case k.Kind != yaml.ScalarNode || tag != "!!str":
			cv.fail(k, path, "key", "keys must be strings (got %s %q); quote the key", strings.TrimPrefix(tag, "!!"), k.Value)
		case seen[k.Value] != 0:
			cv.fail(k, append(path, k.Value), "key", "duplicate key %q (first at line %d)", k.Value, seen[k.Value])
		default:
			seen[k.Value] = k.Line
			out = append(out, entry{k.Value, k.Line, v})
		}
	}
	for _, m := range merges {
		srcs := []*yaml.Node{deref(m)}
		if srcs[0].Kind == yaml.SequenceNode {
			srcs = srcs[0].Content
		}
		for _, src := range srcs {
			if src = deref(src); src.Kind != yaml.MappingNode {
				cv.fail(src, path, "key", "a merge key (<<) takes a mapping or a list of mappings")
				continue
			}
			for _, e := range cv.entries(src, path) {
				if seen[e.key] == 0 {
					seen[e.key] = e.line
					out = append(out, e)
				}
			}
		}
	}
	return out
}

func (cv *converter) value(n *yaml.Node, path []string) any {
	n = deref(n)
	switch n.Kind {
	case yaml.SequenceNode:
		if n.ShortTag() != "!!seq" {
			break
		}
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = cv.value(c, append(path, strconv.Itoa(i)))
		}
		return out
	case yaml.MappingNode:
		if n.ShortTag() != "!!map" {
			break
		}
		out := map[string]any{}
		for _, e := range cv.entries(n, path) {
			out[e.key] = cv.value(e.val, append(path, e.key))
		}
		return out
	case yaml.ScalarNode:
		return cv.scalar(n, path)
	}
	cv.fail(n, path, "value", "unsupported YAML tag %s", n.Tag)
	return nil
}

// scalar converts a scalar. Timestamps and binary values keep their text;
// numbers become json.Number; NaN and infinities are refused.
func (cv *converter) scalar(n *yaml.Node, path []string) any {
	switch tag := n.ShortTag(); tag {
	case "!!str", "!!timestamp", "!!binary", "!!merge":
		return n.Value
	case "!!null":
		return nil
	case "!!bool", "!!int", "!!float":
		// Fast paths for the common spellings; Decode handles the rest.
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil && tag == "!!int" {
			return json.Number(strconv.FormatInt(i, 10))
		}
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && tag == "!!float" && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
		if b, err := strconv.ParseBool(n.Value); err == nil && tag == "!!bool" && (n.Value == "true" || n.Value == "false") {
			return b
		}
		var v any
		if err := n.Decode(&v); err != nil {
			cv.fail(n, path, "value", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			return nil
		}
		switch x := v.(type) {
		case bool:
			return x
		case int:
			return json.Number(strconv.Itoa(x))
		case uint64:
			return json.Number(strconv.FormatUint(x, 10))
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				cv.fail(n, path, "value", "%s is not a JSON number (NaN and infinities have no JSON form)", n.Value)
				return nil
			}
			return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
		}
		cv.fail(n, path, "value", "unsupported %s value %q", tag, n.Value)
		return nil
	default:
		cv.fail(n, path, "value", "unsupported YAML tag %s", n.Tag)
		return nil
	}
}

// lines finds the line of a JSON Pointer in the node tree, caching the
// entries of the mappings it walks through.
type lines struct {
	root *yaml.Node
	maps map[*yaml.Node]map[string]entry
	src  []byte // the document
}

// at returns the line of the value at path: the line of its key in a
// mapping, of the item in a sequence, or of the nearest enclosing value
// when path does not exist.
func (l *lines) at(path []string) int {
	_, line := l.find(path)
	return line
}

// scalarStart returns where the text of the scalar at path starts in the
// document (1-based line and column), or zeros when there is none: for a
// block scalar (| or >), the line after its indicator and the column of
// its indentation; for a quoted one, just inside the quote.
func (l *lines) scalarStart(path []string) (line, column int) {
	n, _ := l.find(path)
	if n == nil || n.Kind != yaml.ScalarNode || n.Line == 0 {
		return 0, 0
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		docLines := bytes.Split(l.src, []byte("\n"))
		for i := n.Line; i < len(docLines); i++ { // docLines[n.Line] is the line after the indicator
			text := bytes.TrimRight(docLines[i], "\r")
			if len(bytes.TrimSpace(text)) == 0 {
				continue
			}
			return n.Line + 1, len(text) - len(bytes.TrimLeft(text, " ")) + 1
		}
		return 0, 0
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		return n.Line, n.Column + 1
	}
	return n.Line, n.Column
}

// find returns the node at path, or nil, and the line at returns.
func (l *lines) find(path []string) (*yaml.Node, int) {
	n, line := deref(l.root), l.root.Line
	for _, tok := range path {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			idx, ok := l.maps[n]
			if !ok {
				idx = map[string]entry{}
				for _, e := range (&converter{}).entries(n, nil) {
					idx[e.key] = e
				}
				l.maps[n] = idx
			}
			if e, ok := idx[tok]; ok {
				next, line = e.val, e.line
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return nil, line
		}
		n = deref(next)
	}
	return n, line
}
