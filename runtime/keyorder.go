package runtime

import (
	"bytes"
	"encoding/json"
	"slices"
)

// KeyOrder is the order of the keys of a JSON value's objects, at every
// depth, as a caller wrote them. Inputs reach the runtime as Go maps, which
// have no order; a KeyOrder taken from the caller's JSON text lets the
// scripts see their inputs' keys in the caller's order (JavaScript's
// Object.keys(inputs), Python's dict order) rather than sorted. A nil
// *KeyOrder is valid and means "no order known": keys are then sorted.
// A KeyOrder is immutable and safe for concurrent use.
type KeyOrder struct {
	keys   []string             // an object's keys, in order
	fields map[string]*KeyOrder // the order inside each key's value
	items  []*KeyOrder          // the order inside each element of an array
}

// maxKeyOrderDepth bounds how deep KeyOrderOf records order: deeper
// values keep sorted keys.
const maxKeyOrderDepth = 64

// KeyOrderOf reads the key order of a JSON text (normally the caller's
// inputs object). It returns nil when the text is not valid JSON or holds
// no object.
func KeyOrderOf(raw []byte) *KeyOrder {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	o, err := readKeyOrder(dec, 0)
	if err != nil {
		return nil
	}
	return o
}

func readKeyOrder(dec *json.Decoder, depth int) (*KeyOrder, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil, nil // a scalar has no order
	}
	keep := depth < maxKeyOrderDepth
	o := &KeyOrder{}
	switch d {
	case '{':
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			sub, err := readKeyOrder(dec, depth+1)
			if err != nil {
				return nil, err
			}
			if !keep {
				continue
			}
			if !slices.Contains(o.keys, k) {
				o.keys = append(o.keys, k)
			}
			// A repeated key: the last value wins, at the first place.
			if sub != nil || o.fields[k] != nil {
				if o.fields == nil {
					o.fields = map[string]*KeyOrder{}
				}
				o.fields[k] = sub
			}
		}
	case '[':
		any := false
		for dec.More() {
			sub, err := readKeyOrder(dec, depth+1)
			if err != nil {
				return nil, err
			}
			if keep {
				o.items = append(o.items, sub)
				any = any || sub != nil
			}
		}
		if !any {
			o.items = nil
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return nil, err
	}
	if !keep || (o.keys == nil && o.items == nil) {
		return nil, nil
	}
	return o, nil
}

// field returns the order inside the value of key k.
func (o *KeyOrder) field(k string) *KeyOrder {
	if o == nil {
		return nil
	}
	return o.fields[k]
}

// item returns the order inside element i of an array.
func (o *KeyOrder) item(i int) *KeyOrder {
	if o == nil || i >= len(o.items) {
		return nil
	}
	return o.items[i]
}

// orderedKeys lists m's keys: first those the order names, in its order,
// then the others (defaults a schema added, outputs of earlier tasks)
// sorted.
func (o *KeyOrder) orderedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	seen := map[string]bool{}
	if o != nil {
		for _, k := range o.keys {
			if _, ok := m[k]; ok && !seen[k] {
				keys = append(keys, k)
				seen[k] = true
			}
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

// orderedJSON encodes a task's variables (or any decoded JSON value) as
// JSON text whose objects list their keys in the caller's order (see
// KeyOrder), at every depth; keys the order does not name follow, sorted.
// Both script languages get their inputs' text from here, and so see the
// same order. Like marshalJSON, it does not escape HTML and writes invalid
// UTF-8 as U+FFFD.
func orderedJSON(vars map[string]any, order *KeyOrder) ([]byte, error) {
	var b bytes.Buffer
	if err := writeOrdered(&b, vars, order); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeOrdered(b *bytes.Buffer, v any, order *KeyOrder) error {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('{')
		for i, k := range order.orderedKeys(x) {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, err := marshalJSON(k)
			if err != nil {
				return err
			}
			b.Write(kb)
			b.WriteByte(':')
			if err := writeOrdered(b, x[k], order.field(k)); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case []any:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeOrdered(b, e, order.item(i)); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	}
	enc, err := marshalJSON(v)
	if err != nil {
		return err
	}
	b.Write(enc)
	return nil
}
