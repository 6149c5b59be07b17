package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/enact-run/enact/internal/lazyre"
)

// noSecretInArgs is the name of the built-in that keeps the values of a
// run's environment variables out of its actions' arguments. It applies
// to every policy, listed or not; listing it gives its allow parameter.
const noSecretInArgs = "no_secret_in_args"

// minSecretLen is the length from which a variable's value is looked for
// inside longer strings; a shorter one must equal a whole argument value
// (as receipts.MinRedactLen).
const minSecretLen = 4

var varNameRE = lazyre.New(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

var noSecretInArgsBuiltin = &builtin{
	name: noSecretInArgs,
	summary: "Blocks an action whose arguments carry the value of one of the run's environment variables (all are secrets), " +
		"in any string or number, whole or inside longer text, except the actions allow lists for that variable. " +
		"On by default: every policy applies it to runs with environment variables.",
	params: []param{
		{name: "allow", kind: kVarActions, def: map[string][]string{}, defDoc: "{}",
			doc: "variable name to the action ids or globs whose arguments may carry its value ({SLACK_WEBHOOK_URL: [http.post]})"},
	},
	actions: []string{"*"},
	build: func(v params) (check, string) {
		return secretGuard{allow: v["allow"].(map[string][]string)}, ""
	},
}

// secretGuard is a configured no_secret_in_args.
type secretGuard struct {
	allow map[string][]string
}

func (g secretGuard) decide(c *evalCtx) (bool, string) {
	names := slices.Sorted(maps.Keys(c.in.SecretVars))
	var found []string
	for _, name := range names {
		value := c.in.SecretVars[name]
		if value == "" || matchAny(g.allow[name], c.action) {
			continue
		}
		if at, ok := carries(c.args, value); ok {
			if at == "" || strings.HasPrefix(at, " ") {
				at = "/" + at
			}
			found = append(found, fmt.Sprintf("%s (at %s)", name, at))
		}
	}
	if len(found) > 0 {
		return false, fmt.Sprintf("the arguments of %s carry the value of environment variable %s; a policy may allow it for this action under %s's allow",
			c.action, strings.Join(found, ", "), noSecretInArgs)
	}
	return true, "no environment variable's value is in the arguments"
}

// carries reports whether v holds secret, and the JSON Pointer of the first
// place it does: a string or number equal to it, or, for a secret of
// minSecretLen bytes or more, a string or member name containing it. The
// pointer is built only for a value that holds it.
func carries(v any, secret string) (string, bool) {
	switch x := v.(type) {
	case string:
		if x == secret || len(secret) >= minSecretLen && strings.Contains(x, secret) {
			return "", true
		}
	case map[string]any:
		// Sorted: a decision names the same place every time.
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if k == secret || len(secret) >= minSecretLen && strings.Contains(k, secret) {
				return " (a member's name)", true
			}
			if where, ok := carries(x[k], secret); ok {
				return "/" + pointerEscaper.Replace(k) + where, true
			}
		}
	case []any:
		for i, e := range x {
			if where, ok := carries(e, secret); ok {
				return "/" + strconv.Itoa(i) + where, true
			}
		}
	case json.Number:
		if string(x) == secret {
			return "", true
		}
	case bool, nil:
	default:
		if fmt.Sprint(x) == secret {
			return "", true
		}
	}
	return "", false
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// varActions decodes a mapping of variable names to lists of action globs.
func (d *decoder) varActions(n *yaml.Node, what string) (any, bool) {
	fs, ok := d.fields(n, what)
	if !ok {
		return nil, false
	}
	out := make(map[string][]string, len(fs))
	for _, name := range sortedKeys(fs) {
		globs, ok2 := d.scope(fs[name].val, what+"."+name)
		if !ok2 {
			ok = false
			continue
		}
		out[name] = globs
	}
	return out, ok
}

// vars reads vars: by capability id, the values of its environment
// variables the operator gives (strings, numbers, booleans or JSON-like
// values; each is validated against the capability's schema at run time).
func (d *decoder) vars(n *yaml.Node) map[string]map[string]any {
	caps, ok := d.fields(n, "vars")
	if !ok {
		return nil
	}
	out := make(map[string]map[string]any, len(caps))
	for _, id := range sortedKeys(caps) {
		what := "vars." + id
		kvs, ok := d.fields(caps[id].val, what)
		if !ok {
			continue
		}
		vals := make(map[string]any, len(kvs))
		for _, name := range sortedKeys(kvs) {
			if !varNameRE.MatchString(name) {
				d.failf(kvs[name].key, "%s: %q is not an environment variable name (a letter or '_', then letters, digits and '_')", what, name)
				continue
			}
			// The value is never quoted in an error: it may be a secret.
			if v, ok := d.value(kvs[name].val, what+"."+name); ok {
				vals[name] = v
			}
		}
		out[id] = vals
	}
	return out
}

// Vars returns a copy of the values the policy file's vars section gives
// the environment variables of a capability, by name; nil when it gives
// none. The values are secrets: never log them.
func (p *Policy) Vars(capabilityID string) map[string]any {
	if p == nil {
		return nil
	}
	return maps.Clone(p.vars[capabilityID])
}
