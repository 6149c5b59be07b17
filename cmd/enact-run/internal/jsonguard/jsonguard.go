// Package jsonguard checks JSON text from outside before anything decodes
// it: one pass over the bytes, no recursion, memory bounded by the nesting
// limit and the number of keys. It reports how deep the text nests (and
// under which top-level member it first passes a limit), the first
// duplicated object key, and the raw "id" member of a top-level object,
// even when the text is not valid JSON or is cut short, so that a refusal
// can still name the request it answers.
//
// It does not validate JSON: run json.Valid after it when the text passed.
package jsonguard

import (
	"encoding/json"
	"unicode/utf8"
)

// DefaultMaxDepth is the nesting limit of enact-run's protocol messages and
// request bodies: arrays and objects count one level each, so a top-level
// object whose members are scalars has depth 1.
const DefaultMaxDepth = 64

// Report is what Scan found.
type Report struct {
	// First is the first byte that is not white space (0 when none):
	// '{' for an object, '[' for an array (a JSON-RPC batch).
	First byte
	// Depth is the deepest nesting reached.
	Depth int
	// TooDeep reports that Depth passed the limit given to Scan; DeepUnder
	// is the top-level member the limit was first passed in ("" when the
	// top level is not an object).
	TooDeep   bool
	DeepUnder string
	// Duplicate is the first key that appears twice in one object ("" when
	// none, or when only objects past the depth limit repeat keys);
	// DuplicateUnder is the top-level member holding that object ("" when
	// the duplicate is a top-level member).
	Duplicate      string
	DuplicateUnder string
	// ID is the raw value of the top-level object's "id" member when it is
	// a string or a number token (nil otherwise); IDNull reports "id": null.
	// With repeated "id" members, the last one.
	ID     []byte
	IDNull bool
	// HasID, HasMethod and HasResult report that the top-level object has
	// an "id", a "method", and a "result" or "error" member.
	HasID, HasMethod, HasResult bool
}

type frame struct {
	object    bool
	expectKey bool
	keys      map[string]struct{}
}

// Scan scans data with nesting limit maxDepth (<= 0 is DefaultMaxDepth).
// It never fails: text that is not JSON yields whatever was recognisable
// before it stopped making sense.
func Scan(data []byte, maxDepth int) Report {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	var (
		r       Report
		stack   []frame // open containers up to maxDepth
		depth   int     // open containers, counted past maxDepth too
		topKey  string  // the top-level member being read
		wantID  bool    // the next top-level value is the "id" member's
		started bool
	)
	top := func() *frame {
		if depth == 0 || depth > len(stack) {
			return nil
		}
		return &stack[depth-1]
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if !started {
			started, r.First = true, c
		}
		switch c {
		case '{', '[':
			if depth == 1 && wantID {
				wantID = false
			}
			depth++
			if depth > r.Depth {
				r.Depth = depth
			}
			if depth > maxDepth {
				if !r.TooDeep {
					r.TooDeep, r.DeepUnder = true, topKey
				}
				continue
			}
			stack = append(stack[:depth-1], frame{object: c == '{', expectKey: c == '{'})
		case '}', ']':
			if depth > 0 {
				depth--
			}
			if depth <= len(stack) {
				stack = stack[:depth]
			}
		case ',':
			if f := top(); f != nil && f.object {
				f.expectKey = true
			}
		case ':':
			if depth == 1 && topKey == "id" {
				wantID = true
			}
		case '"':
			end := stringEnd(data, i)
			tok := data[i:end]
			i = end - 1
			f := top()
			switch {
			case f != nil && f.object && f.expectKey:
				f.expectKey = false
				key := decodeKey(tok)
				if depth == 1 {
					topKey = key
					switch key {
					case "id":
						r.HasID = true
					case "method":
						r.HasMethod = true
					case "result", "error":
						r.HasResult = true
					}
				}
				if f.keys == nil {
					f.keys = map[string]struct{}{}
				}
				if _, dup := f.keys[key]; dup && r.Duplicate == "" {
					r.Duplicate = key
					if depth > 1 {
						r.DuplicateUnder = topKey
					}
				}
				f.keys[key] = struct{}{}
			case depth == 1 && wantID:
				wantID, r.ID, r.IDNull = false, tok, false
			}
		default:
			// A literal or a number: up to the next delimiter.
			end := i
			for end < len(data) && !delimiter(data[end]) {
				end++
			}
			tok := data[i:end]
			i = end - 1
			if depth == 1 && wantID {
				wantID = false
				switch {
				case string(tok) == "null":
					r.ID, r.IDNull = nil, true
				case c == '-' || (c >= '0' && c <= '9'):
					r.ID, r.IDNull = tok, false
				default:
					r.ID, r.IDNull = nil, false
				}
			}
		}
	}
	return r
}

// stringEnd returns the index just past the string token starting at
// data[i] == '"' (len(data) when it is not closed).
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

func delimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ':', '"', '{', '[', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// decodeKey returns the string a key token stands for; a token that is not
// a valid JSON string stands for its raw bytes.
func decodeKey(tok []byte) string {
	plain := len(tok) >= 2 && tok[len(tok)-1] == '"'
	if plain {
		for _, b := range tok[1 : len(tok)-1] {
			if b == '\\' || b >= utf8.RuneSelf {
				plain = false
				break
			}
		}
	}
	if plain {
		return string(tok[1 : len(tok)-1])
	}
	var s string
	if err := json.Unmarshal(tok, &s); err == nil {
		return s
	}
	return string(tok)
}

// IDValue returns the id to echo in an answer: the raw id re-encoded when
// it is a valid JSON string, the raw number when it is a valid JSON number,
// else "null".
func (r Report) IDValue() json.RawMessage {
	if len(r.ID) == 0 {
		return json.RawMessage("null")
	}
	if r.ID[0] == '"' {
		var s string
		if err := json.Unmarshal(r.ID, &s); err != nil {
			return json.RawMessage("null")
		}
		b, _ := json.Marshal(s)
		return b
	}
	var n json.Number
	if err := json.Unmarshal(r.ID, &n); err != nil {
		return json.RawMessage("null")
	}
	return json.RawMessage(n)
}
