package receipts

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MinRedactLen is the length in bytes from which a secret value is
// redacted wherever it occurs inside longer text. A shorter value ("42",
// "on") would match inside unrelated words and numbers, so it is redacted
// only where a string or number equals it exactly.
const MinRedactLen = 4

// Redactor replaces secret values, and the values of members named like a
// secret input, with Redacted. It is built once per run from the run's
// inputs and the policy's secret input names (NewRedactor) and applied to
// every record and response of the run. A nil *Redactor redacts nothing.
// It is safe for concurrent use.
//
// The secret values are the string leaves of every input member whose name
// is a secret name (compared case-insensitively, at any depth, including
// inside arrays), and the text of its number leaves. Redaction is of those
// exact bytes, as they are and as they appear escaped inside a JSON or Go
// string literal; a value the guest transformed (encoded, cut, re-cased) is
// not recognised.
type Redactor struct {
	names    []string
	exact    map[string]struct{} // every secret value's text, whatever its length
	patterns []string            // the values of MinRedactLen bytes or more, longest first
	replacer *strings.Replacer   // replaces patterns; nil when there are none
}

// NewRedactor returns the redactor of a run whose inputs are inputs, the
// secret input names being secretNames; nil, which redacts nothing, when
// there are no secret names. Values inputs holds of types other than those
// encoding/json decodes into are read through their JSON form.
func NewRedactor(inputs map[string]any, secretNames []string) *Redactor {
	return NewRedactorWith(inputs, secretNames, nil)
}

// NewRedactorWith is NewRedactor for a run that also has secret values
// outside its inputs: every leaf of values (a run's environment
// variables, by name) is secret too. It returns nil, which redacts
// nothing, when there are neither secret names nor values.
func NewRedactorWith(inputs map[string]any, secretNames []string, secretValues map[string]any) *Redactor {
	if len(secretNames) == 0 && len(secretValues) == 0 {
		return nil
	}
	r := &Redactor{names: slices.Clone(secretNames), exact: map[string]struct{}{}}
	var values []string
	var collect func(v any, secret bool)
	collect = func(v any, secret bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				collect(e, secret || r.secretName(k))
			}
		case []any:
			for _, e := range x {
				collect(e, secret)
			}
		case nil, bool:
		case string, json.Number, float64, float32, int, int8, int16, int32, int64,
			uint, uint8, uint16, uint32, uint64:
			if secret {
				values = append(values, leafTexts(x)...)
			}
		default:
			if g, ok := generic(x); ok {
				collect(g, secret)
			}
		}
	}
	collect(inputs, false)
	collect(secretValues, true)
	var patterns []string
	for _, v := range values {
		if v == "" {
			continue
		}
		r.exact[v] = struct{}{}
		if len(v) < MinRedactLen {
			continue
		}
		patterns = append(patterns, v)
		// The same bytes as they appear inside a JSON string (with and
		// without HTML escaping) or a Go quoted string.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		patterns = append(patterns, strings.TrimSuffix(b.String(), "\n"))
		if j, err := json.Marshal(v); err == nil {
			patterns = append(patterns, string(j))
		}
		patterns = append(patterns, strconv.Quote(v))
	}
	for i, p := range patterns {
		if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
			patterns[i] = p[1 : len(p)-1]
		}
	}
	// Longest first: where two values overlap, the longer one wins.
	slices.SortFunc(patterns, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	patterns = slices.Compact(patterns)
	r.patterns = patterns
	if len(patterns) > 0 {
		pairs := make([]string, 0, 2*len(patterns))
		for _, p := range patterns {
			pairs = append(pairs, p, Redacted)
		}
		r.replacer = strings.NewReplacer(pairs...)
	}
	return r
}

// leafTexts returns the texts a secret leaf is recognised by: a string,
// itself; a number, its JSON form and its plain decimal notation.
func leafTexts(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case json.Number:
		out := []string{string(x)}
		if f, err := x.Float64(); err == nil {
			out = append(out, leafTexts(f)...)
		}
		return out
	case float32:
		return leafTexts(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		out := []string{strconv.FormatFloat(x, 'f', -1, 64)}
		if b, err := json.Marshal(x); err == nil {
			out = append(out, string(b))
		}
		return out
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		b, _ := json.Marshal(x)
		return []string{string(b)}
	}
	return nil
}

// generic converts v to the types encoding/json decodes into.
func generic(v any) (any, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var g any
	if err := dec.Decode(&g); err != nil {
		return nil, false
	}
	return g, true
}

func (r *Redactor) secretName(k string) bool {
	for _, s := range r.names {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// String returns s with every secret value in it replaced by Redacted: all
// of s when it equals a secret value, else each occurrence of a value of
// MinRedactLen bytes or more, the longest values first.
func (r *Redactor) String(s string) string {
	out, _ := r.str(s)
	return out
}

func (r *Redactor) str(s string) (string, bool) {
	if r == nil || s == "" {
		return s, false
	}
	if _, ok := r.exact[s]; ok {
		return Redacted, true
	}
	// strings.Contains is much faster than the replacer, and most text
	// holds no secret.
	if !slices.ContainsFunc(r.patterns, func(p string) bool { return strings.Contains(s, p) }) {
		return s, false
	}
	out := r.replacer.Replace(s)
	return out, out != s
}

// Value returns a deep copy of v, a JSON-like value, in which the value of
// every member named like a secret input is Redacted, and secret values are
// redacted (String) in every string and member name; a number equal to a
// secret value becomes the string Redacted. Values of other types are read
// through their JSON form; one that cannot be encoded becomes Redacted.
func (r *Redactor) Value(v any) any {
	out, _ := r.value(v)
	return out
}

// Map is Value for an object; nil stays nil.
func (r *Redactor) Map(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := r.value(m)
	return out.(map[string]any)
}

// JSON redacts a JSON document as Value does. Unchanged, it is returned as
// given, byte for byte; text that is not JSON, or that still shows a secret
// across its syntax, is redacted as a string and returned as a JSON string.
func (r *Redactor) JSON(raw json.RawMessage) json.RawMessage {
	if r == nil || len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		s, changed := r.str(string(raw))
		if !changed {
			return raw
		}
		return r.quote(s)
	}
	out, changed := r.value(v)
	b := []byte(raw)
	if changed {
		var err error
		if b, err = json.Marshal(out); err != nil {
			return json.RawMessage(strconv.Quote(Redacted))
		}
	}
	// A secret that spans the document's syntax (quotes, a colon) is in
	// no single string: the whole text is then redacted as one string.
	if s, c := r.str(string(b)); c {
		return r.quote(s)
	}
	if !changed {
		return raw
	}
	return b
}

// quote returns s, redacted already, as a JSON string; or the marker alone
// when escaping s wrote a secret anew ("\u0000" holds "0000").
func (r *Redactor) quote(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	if _, c := r.str(string(b)); c {
		b, _ = json.Marshal(Redacted)
	}
	return b
}

func (r *Redactor) value(v any) (any, bool) {
	if r == nil {
		return v, false
	}
	switch x := v.(type) {
	case nil, bool:
		return x, false
	case string:
		return r.str(x)
	case json.Number, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64:
		for _, t := range leafTexts(x) {
			if _, ok := r.exact[t]; ok {
				return Redacted, true
			}
		}
		return x, false
	case map[string]any:
		out := make(map[string]any, len(x))
		changed := false
		for k, e := range x {
			key, c := r.str(k)
			changed = changed || c
			if r.secretName(k) {
				out[key] = Redacted
				changed = changed || e != Redacted
				continue
			}
			e, c = r.value(e)
			changed = changed || c
			out[key] = e
		}
		return out, changed
	case []any:
		out := make([]any, len(x))
		changed := false
		for i, e := range x {
			var c bool
			out[i], c = r.value(e)
			changed = changed || c
		}
		return out, changed
	default:
		g, ok := generic(x)
		if !ok {
			return Redacted, true
		}
		out, _ := r.value(g)
		return out, true
	}
}

// Receipt redacts, in place, every member of rc that can carry a value the
// run saw: inputs (by name and by value), outputs, the error, the reasons
// of policy results, and each action's facts, target, result, error and policy
// reasons. Identifiers, digests and times are left as they are.
func (r *Redactor) Receipt(rc *Receipt) {
	if r == nil || rc == nil {
		return
	}
	rc.Inputs = r.Map(rc.Inputs)
	rc.Outputs = r.Map(rc.Outputs)
	rc.Status = r.String(rc.Status)
	rc.Error = r.error(rc.Error)
	rc.PolicyResults = r.policyResults(rc.PolicyResults)
	actions := make([]Action, len(rc.Actions))
	for i, a := range rc.Actions {
		a.PolicyResults = r.policyResults(a.PolicyResults)
		a.Facts = r.Map(a.Facts)
		a.Target = r.Map(a.Target)
		a.Result = r.JSON(a.Result)
		a.Error = r.error(a.Error)
		actions[i] = a
	}
	rc.Actions = actions
}

func (r *Redactor) error(e *Error) *Error {
	if e == nil {
		return nil
	}
	return &Error{Code: e.Code, Message: r.String(e.Message)}
}

func (r *Redactor) policyResults(rs []PolicyResult) []PolicyResult {
	if rs == nil {
		return nil
	}
	out := make([]PolicyResult, len(rs))
	for i, p := range rs {
		p.Reason = r.String(p.Reason)
		out[i] = p
	}
	return out
}
