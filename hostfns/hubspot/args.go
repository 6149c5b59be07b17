package hubspot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/enact-run/enact/internal/lazyre"
)

// decodeArgs decodes a call's arguments strictly: one JSON object, no
// unknown fields, numbers kept as written. The gate has checked them
// against the action's schema, but policy lookups reach read-only actions
// without that check, so every handler validates what it uses.
func decodeArgs(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return invalid("arguments: %v", err)
	}
	if dec.More() {
		return invalid("arguments: trailing data after the object")
	}
	return nil
}

var (
	emailPattern = lazyre.New(`^[^@\s"<>(),;:\\\[\]]+@[^@\s"<>(),;:\\\[\]]+\.[^@\s"<>(),;:\\\[\]]+$`)
	idPattern    = lazyre.New(`^[0-9]{1,20}$`)
)

// normEmail trims and lower-cases an email and checks its shape.
func normEmail(field, s string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(s))
	if len(e) > 254 || !emailPattern.MatchString(e) {
		return "", invalid("%s %q is not an email address", field, s)
	}
	return e, nil
}

// objectID reads a HubSpot record id given as a string of digits or an
// integer. Ids go into URL paths, so nothing else passes.
func objectID(field string, raw json.RawMessage) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", invalid("%s: %v", field, err)
	}
	var s string
	switch t := v.(type) {
	case string:
		s = strings.TrimSpace(t)
	case json.Number:
		s = t.String()
	}
	if !idPattern.MatchString(s) {
		return "", invalid("%s must be a HubSpot record id (digits), not %s", field, raw)
	}
	return s, nil
}

// propValue turns a JSON scalar into HubSpot's string form. null means
// "no value" (isNull); isNum says the value was a JSON number.
func propValue(field string, raw json.RawMessage) (s string, isNull, isNum bool, err error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", false, false, invalid("%s: %v", field, err)
	}
	switch t := v.(type) {
	case nil:
		return "", true, false, nil
	case string:
		if len(t) > 65536 {
			return "", false, false, invalid("%s is longer than 65536 bytes", field)
		}
		return t, false, false, nil
	case json.Number:
		return t.String(), false, true, nil
	case bool:
		return strconv.FormatBool(t), false, false, nil
	}
	return "", false, false, invalid("%s must be a string, number, boolean or null", field)
}

// number reads an amount: a JSON number or a numeric string.
func number(field string, raw json.RawMessage) (string, error) {
	s, isNull, _, err := propValue(field, raw)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	f, perr := strconv.ParseFloat(s, 64)
	if isNull || perr != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", invalid("%s must be a number, not %s", field, raw)
	}
	return s, nil
}

// instant reads an RFC 3339 time (or a YYYY-MM-DD date, midnight UTC) and
// gives HubSpot's form, UTC with milliseconds.
func instant(field, s string) (time.Time, string, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return time.Time{}, "", invalid("%s %q is not an RFC 3339 time", field, s)
		}
	}
	return t, hubspotTime(t), nil
}

func hubspotTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// kind says how a property value compares with what HubSpot stores.
type kind int

const (
	asString  kind = iota
	asNumber       // by numeric value: "1000" equals "1000.0"
	asInstant      // by instant: any RFC 3339 spelling of the same time
)

// propSet is a set of property values to write.
type propSet struct {
	vals  map[string]string // "" clears a property
	kinds map[string]kind
}

func newPropSet() propSet { return propSet{vals: map[string]string{}, kinds: map[string]kind{}} }

func (p propSet) set(name, val string, k kind) {
	p.vals[name] = val
	p.kinds[name] = k
}

// properties checks a properties argument: names HubSpot accepts, scalar
// values, none of the reserved names (which have their own argument or
// belong to the connector). null values become "" when keepNull (an
// update clears the property) and are dropped otherwise.
func properties(m map[string]json.RawMessage, reserved map[string]string, keepNull bool) (propSet, error) {
	p := newPropSet()
	if len(m) > 200 {
		return p, invalid("properties has %d entries; the limit is 200", len(m))
	}
	for _, name := range sortedKeys(m) {
		if !propNamePattern.MatchString(name) {
			return p, invalid("properties.%s is not a HubSpot property name (lower-case letters, digits, _)", name)
		}
		if why, ok := reserved[name]; ok {
			return p, invalid("properties.%s: %s", name, why)
		}
		s, isNull, isNum, err := propValue("properties."+name, m[name])
		if err != nil {
			return p, err
		}
		switch {
		case isNull && keepNull:
			p.set(name, "", asString)
		case isNull:
		case isNum:
			p.set(name, s, asNumber)
		default:
			p.set(name, s, asString)
		}
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// keyValue is the form of an idempotency key stored in HubSpot: the key
// itself, or its SHA-256 when it is long.
func keyValue(key string) string {
	if len(key) <= 200 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// sameValue reports whether a stored property value equals a wanted one.
// null and "" are the same (HubSpot clears a property with "").
func sameValue(have *string, want string, k kind) bool {
	h := ""
	if have != nil {
		h = *have
	}
	if h == want {
		return true
	}
	hs, ws := strings.TrimSpace(h), strings.TrimSpace(want)
	switch k {
	case asNumber:
		hf, err1 := strconv.ParseFloat(hs, 64)
		wf, err2 := strconv.ParseFloat(ws, 64)
		return err1 == nil && err2 == nil && hf == wf
	case asInstant:
		ht, err1 := parseHubSpotTime(hs)
		wt, err2 := parseHubSpotTime(ws)
		return err1 == nil && err2 == nil && ht.Equal(wt)
	}
	return false
}

// parseHubSpotTime reads a datetime as HubSpot gives it: RFC 3339 or
// milliseconds since the epoch.
func parseHubSpotTime(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
