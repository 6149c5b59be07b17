package hubspotfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Search limits HubSpot documents.
const (
	maxFilterGroups   = 5
	maxGroupFilters   = 6
	maxFilters        = 18
	maxSearchLimit    = 200
	defaultSearchSize = 10
	searchWindow      = 10000
)

type searchBody struct {
	FilterGroups []filterGroup     `json:"filterGroups"`
	Sorts        []json.RawMessage `json:"sorts"`
	Query        string            `json:"query"`
	Properties   []string          `json:"properties"`
	Limit        json.RawMessage   `json:"limit"`
	After        json.RawMessage   `json:"after"`
}

type filterGroup struct {
	Filters []searchFilter `json:"filters"`
}

type searchFilter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        any    `json:"value"`
	HighValue    any    `json:"highValue"`
	Values       []any  `json:"values"`
}

type sortSpec struct {
	name string
	desc bool
}

// scalar renders a JSON scalar as a string ("" for null or absent).
func scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return fmt.Sprint(v)
}

// rawScalar reads a limit or after given as a number or a string.
func rawScalar(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return string(raw)
	}
	return scalar(v)
}

func (f *Fake) search(w http.ResponseWriter, objectType string, body []byte) {
	var in searchBody
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if !f.decodeBody(w, body, &in) {
		return
	}
	limit, offset, ok := f.paging(w, rawScalar(in.Limit), rawScalar(in.After), defaultSearchSize, maxSearchLimit)
	if !ok {
		return
	}
	if offset >= searchWindow {
		f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Search results are limited to %d; after %d is beyond them", searchWindow, offset))
		return
	}
	total := 0
	if len(in.FilterGroups) > maxFilterGroups {
		f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("At most %d filterGroups are allowed", maxFilterGroups))
		return
	}
	for _, g := range in.FilterGroups {
		if len(g.Filters) > maxGroupFilters {
			f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("At most %d filters are allowed in a filterGroup", maxGroupFilters))
			return
		}
		total += len(g.Filters)
		for _, fl := range g.Filters {
			if err := f.checkFilter(objectType, fl); err != nil {
				f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", err.Error())
				return
			}
		}
	}
	if total > maxFilters {
		f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("At most %d filters are allowed in all", maxFilters))
		return
	}
	if len(in.Sorts) > 1 {
		f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "Only one sort is allowed")
		return
	}
	var sorts []sortSpec
	for _, raw := range in.Sorts {
		s, err := f.parseSort(objectType, raw)
		if err != nil {
			f.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", err.Error())
			return
		}
		sorts = append(sorts, s)
	}

	now := f.clock().UTC()
	var hits []*record
	for _, r := range f.sorted(objectType) {
		if f.lag > 0 && r.updated.After(now.Add(-f.lag)) {
			continue // not indexed yet
		}
		if in.Query != "" && !f.queryMatches(r, in.Query) {
			continue
		}
		if len(in.FilterGroups) > 0 && !slices.ContainsFunc(in.FilterGroups, func(g filterGroup) bool { return f.groupMatches(objectType, r, g) }) {
			continue
		}
		hits = append(hits, r)
	}
	for _, s := range sorts {
		typ := f.schema[objectType][s.name].Type
		slices.SortStableFunc(hits, func(a, b *record) int {
			av, aok := a.props[s.name]
			bv, bok := b.props[s.name]
			switch {
			case !aok && !bok:
				return 0
			case !aok:
				return 1 // unset values last
			case !bok:
				return -1
			}
			c := compare(av, bv, typ)
			if s.desc {
				c = -c
			}
			return c
		})
	}
	names := in.Properties
	if len(names) == 0 {
		names = defaultProperties[objectType]
	}
	f.replyPage(w, objectType, hits, offset, limit, names, true)
}

func (f *Fake) parseSort(objectType string, raw json.RawMessage) (sortSpec, error) {
	var s sortSpec
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		s.name, s.desc = strings.TrimPrefix(name, "-"), strings.HasPrefix(name, "-")
	} else {
		var o struct {
			PropertyName string `json:"propertyName"`
			Direction    string `json:"direction"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return s, fmt.Errorf("invalid sort %s", raw)
		}
		switch o.Direction {
		case "", "ASCENDING":
		case "DESCENDING":
			s.desc = true
		default:
			return s, fmt.Errorf("sort direction must be ASCENDING or DESCENDING, not %q", o.Direction)
		}
		s.name = o.PropertyName
	}
	if _, ok := f.schema[objectType][s.name]; !ok {
		return s, fmt.Errorf("Property %q does not exist and cannot be sorted on", s.name)
	}
	return s, nil
}

var operators = []string{"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}

// assocType reads "associations.contact" as the type "contacts".
func assocType(name string) (string, bool) {
	t, ok := strings.CutPrefix(name, "associations.")
	if !ok {
		return "", false
	}
	if t == "company" {
		return "companies", true
	}
	return t + "s", true
}

// checkFilter refuses what HubSpot refuses: unknown properties and
// operators, values that do not parse for the property's type.
func (f *Fake) checkFilter(objectType string, fl searchFilter) error {
	if !slices.Contains(operators, fl.Operator) {
		return fmt.Errorf("Unknown filter operator %q", fl.Operator)
	}
	if t, ok := assocType(fl.PropertyName); ok {
		if f.objects[t] == nil {
			return fmt.Errorf("Unknown association type %q", fl.PropertyName)
		}
		return nil
	}
	p, ok := f.schema[objectType][fl.PropertyName]
	if !ok {
		return fmt.Errorf("Property %q does not exist on %s and cannot be filtered on", fl.PropertyName, objectType)
	}
	var vals []string
	switch fl.Operator {
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
		return nil
	case "IN", "NOT_IN":
		if len(fl.Values) == 0 {
			return fmt.Errorf("Operator %s needs values", fl.Operator)
		}
		for _, v := range fl.Values {
			vals = append(vals, scalar(v))
		}
	case "BETWEEN":
		vals = []string{scalar(fl.Value), scalar(fl.HighValue)}
	default:
		vals = []string{scalar(fl.Value)}
	}
	for _, v := range vals {
		if v == "" {
			return fmt.Errorf("Operator %s on %s needs a value", fl.Operator, fl.PropertyName)
		}
		if err := checkValue(v, p.Type); err != nil {
			return fmt.Errorf("Filter value %q for %s: %v", v, fl.PropertyName, err)
		}
	}
	return nil
}

func checkValue(v, typ string) error {
	switch typ {
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("not a number")
		}
	case "datetime":
		if _, err := parseTime(v); err != nil {
			return fmt.Errorf("not epoch milliseconds or ISO 8601")
		}
	}
	return nil
}

// compare orders two values of a property's type.
func compare(a, b, typ string) int {
	switch typ {
	case "number":
		af, _ := strconv.ParseFloat(a, 64)
		bf, _ := strconv.ParseFloat(b, 64)
		return cmp.Compare(af, bf)
	case "datetime":
		at, _ := parseTime(a)
		bt, _ := parseTime(b)
		return at.Compare(bt)
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// groupMatches reports whether every filter of a group matches (an empty
// group matches everything).
func (f *Fake) groupMatches(objectType string, r *record, g filterGroup) bool {
	for _, fl := range g.Filters {
		if !f.matches(objectType, r, fl) {
			return false
		}
	}
	return true
}

// matches evaluates one (checked) filter against a record.
func (f *Fake) matches(objectType string, r *record, fl searchFilter) bool {
	if t, ok := assocType(fl.PropertyName); ok {
		ids := r.assoc[t]
		switch fl.Operator {
		case "HAS_PROPERTY":
			return len(ids) > 0
		case "NOT_HAS_PROPERTY":
			return len(ids) == 0
		case "EQ":
			return ids[scalar(fl.Value)]
		case "NEQ":
			return !ids[scalar(fl.Value)]
		case "IN", "NOT_IN":
			in := slices.ContainsFunc(fl.Values, func(v any) bool { return ids[scalar(v)] })
			return in == (fl.Operator == "IN")
		}
		return false
	}
	typ := f.schema[objectType][fl.PropertyName].Type
	have, has := r.props[fl.PropertyName]
	has = has && have != ""
	eq := func(v any) bool { return has && compare(have, scalar(v), typ) == 0 }
	switch fl.Operator {
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	case "EQ":
		return eq(fl.Value)
	case "NEQ":
		return !eq(fl.Value)
	case "IN":
		return slices.ContainsFunc(fl.Values, eq)
	case "NOT_IN":
		return !slices.ContainsFunc(fl.Values, eq)
	case "LT":
		return has && compare(have, scalar(fl.Value), typ) < 0
	case "LTE":
		return has && compare(have, scalar(fl.Value), typ) <= 0
	case "GT":
		return has && compare(have, scalar(fl.Value), typ) > 0
	case "GTE":
		return has && compare(have, scalar(fl.Value), typ) >= 0
	case "BETWEEN":
		return has && compare(have, scalar(fl.Value), typ) >= 0 && compare(have, scalar(fl.HighValue), typ) <= 0
	case "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN":
		token := strings.ToLower(strings.Trim(scalar(fl.Value), "*"))
		in := has && strings.Contains(strings.ToLower(have), token)
		return in == (fl.Operator == "CONTAINS_TOKEN")
	}
	return false
}

// queryMatches is the free-text query: any text property containing it.
func (f *Fake) queryMatches(r *record, q string) bool {
	q = strings.ToLower(q)
	for _, v := range r.props {
		if strings.Contains(strings.ToLower(v), q) {
			return true
		}
	}
	return false
}
