package capabilities

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
)

// Suggest returns the candidate nearest to s by edit distance (ignoring
// case), when it is near enough to be a likely typo of it; "" otherwise.
func Suggest(s string, candidates []string) string {
	// How many edits still look like a typo: one in a short name, more in
	// a longer one (a swapped pair of letters is two).
	limit := 1
	if len(s) > 4 {
		limit = 2
	}
	if len(s) > 8 {
		limit = 3
	}
	best, bestD := "", limit+1
	low := strings.ToLower(s)
	for _, c := range candidates {
		if d := editDistance(low, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// protocolFields are the field names the protocol schema defines anywhere
// (the keys of its "properties"): the vocabulary a misspelled field is
// matched against.
var protocolFields = sync.OnceValue(func() []string {
	var doc any
	if err := json.Unmarshal(protocolSchemaJSON, &doc); err != nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for k := range props {
					seen[k] = true
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
})

// unknownFieldMessage words an unknown field, suggesting the protocol's
// field it is probably a misspelling of.
func unknownFieldMessage(path []string) string {
	msg := "unknown field; besides the protocol's fields only names starting with x- are allowed"
	if len(path) == 0 {
		return msg
	}
	// A name the protocol uses elsewhere (a task's timeout, say) is in the
	// wrong place, not misspelled: no suggestion.
	if s := Suggest(path[len(path)-1], protocolFields()); s != "" && s != path[len(path)-1] {
		msg = "unknown field (did you mean " + s + "?); besides the protocol's fields only names starting with x- are allowed"
	}
	return msg
}
