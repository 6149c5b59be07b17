package policy

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"

	"github.com/enact-run/enact/internal/lazyre"
)

// Policy is a loaded policy file. It is immutable and safe for concurrent
// use by any number of goroutines.
type Policy struct {
	name    string
	digest  string
	actors  []actorEntry
	allow   []string
	entries []*entry
	rules   []*rule
	secrets []string
	// tokens maps the sha256 (hex) of an API bearer token to the actor's
	// email.
	tokens map[string]string
	tables map[string][]string
	// schemas is the postgres section's schemas list; nil when absent.
	schemas []string
	// kvShared are the kv namespaces capabilities share (section kv).
	kvShared []KVShare
	// pluginConfig is the operator's Extism configuration of prebuilt
	// plugins, by capability id (section plugin_config).
	pluginConfig map[string]map[string]string
	// vars are the operator's values of capabilities' environment
	// variables, by capability id (section vars).
	vars map[string]map[string]any
	// secretGuard is no_secret_in_args as it applies when no entry lists
	// it: on, allowing nothing.
	secretGuard bool
	// trust is the trust section: the signers of capability bundles.
	trust Trust
	// notify is the notify section (approval request announcements).
	notify Notify
}

type actorEntry struct {
	pattern string // lower case: "a@b.c", "*@b.c" or "*"
	roles   []string
}

// entry is a configured built-in policy.
type entry struct {
	name  string
	b     *builtin
	check check
	scope []string
	run   bool
}

func (e *entry) applies(c *evalCtx) bool {
	if e.b == noSecretInArgsBuiltin && len(c.in.SecretVars) == 0 {
		return false
	}
	if !c.actionLevel {
		return e.run
	}
	return !e.run && (!e.b.writesOnly || !c.readOnly) && matchAny(e.scope, c.action)
}

// Name returns the name given to Load.
func (p *Policy) Name() string { return p.name }

// Digest returns "sha256:" and the hex SHA-256 of the exact bytes loaded.
// Receipts record it.
func (p *Policy) Digest() string { return p.digest }

// Secrets returns a copy of the names of the inputs receipts must redact.
func (p *Policy) Secrets() []string { return slices.Clone(p.secrets) }

// PostgresTables returns a copy of the postgres table allowlist: table name
// → the columns actions may touch. It is nil when the file has no postgres
// section.
func (p *Policy) PostgresTables() map[string][]string {
	if p.tables == nil {
		return nil
	}
	out := make(map[string][]string, len(p.tables))
	for k, v := range p.tables {
		out[k] = slices.Clone(v)
	}
	return out
}

// PostgresSchemas returns a copy of the postgres schemas list: the schemas
// the connector may reach, the first being the one unqualified table names
// mean. It is nil when the file does not set it (the connector's default:
// public, plus the schemas postgres.tables names).
func (p *Policy) PostgresSchemas() []string { return slices.Clone(p.schemas) }

// Roles returns the roles the file's actors section gives an email, in file
// order, without duplicates.
func (p *Policy) Roles(email string) []string { return p.rolesFor(email, nil) }

// Policies returns the names of the built-in policy entries and rules, in
// file order: the names Result.Policy carries.
func (p *Policy) Policies() []string {
	var out []string
	for _, e := range p.entries {
		out = append(out, e.name)
	}
	for _, r := range p.rules {
		out = append(out, r.name)
	}
	return out
}

var (
	nameRE  = lazyre.New(`^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$`)
	identRE = lazyre.New(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)
	emailRE = lazyre.New(`^([^@\s*]+|\*)@[^@\s*]+$`)
)

// Load decodes a policy file (see the package documentation for its
// format). name is used in error messages, which have the form
// "name:line: message"; the error is a *LoadError, or several joined with
// errors.Join. Decoding is strict: unknown fields, duplicate keys, values of
// the wrong type, unknown built-ins, bad parameters and CEL expressions that
// do not compile or type-check are all errors.
func Load(data []byte, name string) (*Policy, error) {
	root, err := parse(data, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p := &Policy{name: name, digest: "sha256:" + hex.EncodeToString(sum[:])}
	d := &decoder{name: name}
	top, ok := d.fields(root, "the policy file", "version", "actors", "allow", "policies", "rules", "secrets", "postgres", "api_tokens", "kv", "plugin_config", "vars", "trust", "notify")
	if !ok && top == nil {
		return nil, d.err()
	}
	if f, has := top["version"]; !has {
		d.failAt(root.Line, "version is required (version: 1)")
	} else if v, ok := d.integer(f.val, "version"); ok && v != 1 {
		d.failf(f.val, "version %d is not supported; this engine reads version 1", v)
	}
	if f, has := top["actors"]; has {
		p.actors = d.actors(f.val)
	}
	if f, has := top["allow"]; has {
		if items, ok := d.list(f.val, "allow"); ok {
			for i, it := range items {
				g, ok := d.nonEmpty(it, fmt.Sprintf("allow[%d]", i))
				if !ok {
					continue
				}
				if !validGlob(g) {
					d.failf(it, "allow[%d]: %q is not an action id or glob (system.action, lower case, * for any run of characters)", i, g)
					continue
				}
				p.allow = append(p.allow, g)
			}
		}
	}
	names := map[string]int{allowlistPolicy: 0, "policy": 0}
	if f, has := top["policies"]; has {
		if items, ok := d.list(f.val, "policies"); ok {
			windows := map[string]rateWindow{}
			for i, it := range items {
				if e := d.entry(it, i, names); e != nil && d.checkRateWindow(it, i, e, windows) {
					p.entries = append(p.entries, e)
				}
			}
		}
	}
	if f, has := top["rules"]; has {
		if items, ok := d.list(f.val, "rules"); ok {
			env, err := celEnv()
			if err != nil {
				return nil, fmt.Errorf("policy: building the CEL environment: %w", err)
			}
			for i, it := range items {
				if r := d.rule(env, it, i, names); r != nil {
					p.rules = append(p.rules, r)
				}
			}
		}
	}
	if f, has := top["secrets"]; has {
		p.secrets, _ = d.strings(f.val, "secrets")
	}
	if f, has := top["postgres"]; has {
		p.tables, p.schemas = d.postgres(f.val)
	}
	if f, has := top["api_tokens"]; has {
		p.tokens = d.apiTokens(f.val)
	}
	if f, has := top["kv"]; has {
		p.kvShared = d.kv(f.val)
	}
	if f, has := top["plugin_config"]; has {
		p.pluginConfig = d.pluginConfig(f.val)
	}
	if f, has := top["vars"]; has {
		p.vars = d.vars(f.val)
	}
	p.secretGuard = !slices.ContainsFunc(p.entries, func(e *entry) bool { return e.b == noSecretInArgsBuiltin })
	if f, has := top["trust"]; has {
		p.trust = d.trustSection(f.val)
	}
	if f, has := top["notify"]; has {
		p.notify = d.notifySection(f.val)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// apiTokens reads api_tokens: the sha256 (64 hex digits) of each bearer
// token the HTTP API accepts and the actor email it acts for. The file
// holds digests, never tokens, so it can live in Git.
func (d *decoder) apiTokens(n *yaml.Node) map[string]string {
	items, ok := d.list(n, "api_tokens")
	if !ok {
		return nil
	}
	out := map[string]string{}
	for i, it := range items {
		what := fmt.Sprintf("api_tokens[%d]", i)
		fs, ok := d.fields(it, what, "sha256", "actor")
		if !ok {
			continue
		}
		fsum, hasSum := fs["sha256"]
		factor, hasActor := fs["actor"]
		if !hasSum || !hasActor {
			d.failf(it, "%s: sha256 and actor are required", what)
			continue
		}
		sum, ok1 := d.nonEmpty(fsum.val, what+".sha256")
		actor, ok2 := d.nonEmpty(factor.val, what+".actor")
		if !ok1 || !ok2 {
			continue
		}
		sum = strings.ToLower(sum)
		if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
			d.failf(fsum.val, "%s.sha256: must be the 64 hex digits of the token's sha256 (printf %%s TOKEN | sha256sum)", what)
			continue
		}
		if !emailRE.MatchString(strings.ToLower(actor)) {
			d.failf(factor.val, "%s.actor: %q is not an email address", what, actor)
			continue
		}
		if _, dup := out[sum]; dup {
			d.failf(fsum.val, "%s: the same token is listed twice", what)
			continue
		}
		out[sum] = strings.ToLower(actor)
	}
	return out
}

// TokenCount is how many api_tokens the policy lists: with none, the HTTP
// API and /mcp let nobody in unless the server names an anonymous actor.
func (p *Policy) TokenCount() int {
	if p == nil {
		return 0
	}
	return len(p.tokens)
}

// TokenActor returns the actor an API bearer token acts for, with the
// roles the actors section gives it, and whether the token is known. The
// token is hashed and compared in constant time against every entry.
func (p *Policy) TokenActor(token string) (Actor, bool) {
	if p == nil || token == "" {
		return Actor{}, false
	}
	sum := sha256.Sum256([]byte(token))
	want := hex.EncodeToString(sum[:])
	var email string
	found := false
	for digest, actor := range p.tokens {
		if subtle.ConstantTimeCompare([]byte(digest), []byte(want)) == 1 {
			email, found = actor, true
		}
	}
	if !found {
		return Actor{}, false
	}
	return Actor{Email: email, Roles: p.Roles(email)}, true
}

func (d *decoder) actors(n *yaml.Node) []actorEntry {
	items, ok := d.list(n, "actors")
	if !ok {
		return nil
	}
	var out []actorEntry
	for i, it := range items {
		what := fmt.Sprintf("actors[%d]", i)
		fs, ok := d.fields(it, what, "email", "roles")
		if !ok {
			continue
		}
		var a actorEntry
		if f, has := fs["email"]; !has {
			d.failf(it, "%s: email is required", what)
			continue
		} else if s, ok := d.nonEmpty(f.val, what+".email"); ok {
			s = strings.ToLower(strings.TrimSpace(s))
			if s != "*" && !emailRE.MatchString(s) {
				d.failf(f.val, "%s.email: %q is not an email address, *@domain or *", what, s)
				continue
			}
			a.pattern = s
		}
		if f, has := fs["roles"]; !has {
			d.failf(it, "%s: roles is required", what)
			continue
		} else {
			a.roles, _ = d.strings(f.val, what+".roles")
		}
		out = append(out, a)
	}
	return out
}

// useName records a policy or rule name, reporting a duplicate.
func (d *decoder) useName(n *yaml.Node, what, name string, names map[string]int) bool {
	if !nameRE.MatchString(name) {
		d.failf(n, "%s: name %q must be letters, digits and _ . : / - (at most 128)", what, name)
		return false
	}
	if line, dup := names[name]; dup {
		if line == 0 {
			d.failf(n, "%s: the name %q is reserved", what, name)
		} else {
			d.failf(n, "%s: the name %q is already used at line %d; give this entry a name:", what, name, line)
		}
		return false
	}
	names[name] = n.Line
	return true
}

// scope decodes an actions: list of globs.
func (d *decoder) scope(n *yaml.Node, what string) ([]string, bool) {
	globs, ok := d.strings(n, what)
	if !ok {
		return nil, false
	}
	if len(globs) == 0 {
		d.failf(n, "%s must name at least one action or glob", what)
		return nil, false
	}
	for i, g := range globs {
		if !validGlob(g) {
			d.failf(n.Content[i], "%s[%d]: %q is not an action id or glob", what, i, g)
			ok = false
		}
	}
	return globs, ok
}

func (d *decoder) entry(n *yaml.Node, i int, names map[string]int) *entry {
	what := fmt.Sprintf("policies[%d]", i)
	fs, ok := d.fields(n, what, "use", "name", "with", "actions", "run")
	if !ok {
		return nil
	}
	f, has := fs["use"]
	if !has {
		d.failf(n, "%s: use is required (the built-in policy to apply)", what)
		return nil
	}
	use, ok := d.nonEmpty(f.val, what+".use")
	if !ok {
		return nil
	}
	b, known := registry[use]
	if !known {
		d.failf(f.val, "%s: unknown built-in policy %q (built-ins: %s)", what, use, strings.Join(slices.Sorted(maps.Keys(registry)), ", "))
		return nil
	}
	what = fmt.Sprintf("%s (%s)", what, use)
	e := &entry{name: use, b: b, scope: b.actions, run: b.defaultRun}
	nameNode := f.val
	if f, has := fs["name"]; has {
		if e.name, ok = d.nonEmpty(f.val, what+".name"); !ok {
			return nil
		}
		nameNode = f.val
	}
	if !d.useName(nameNode, what, e.name, names) {
		return nil
	}
	good := true
	var scoped bool
	if f, has := fs["actions"]; has {
		e.scope, ok = d.scope(f.val, what+".actions")
		good, scoped = good && ok, true
	}
	if f, has := fs["run"]; has {
		e.run, ok = d.boolean(f.val, what+".run")
		good = good && ok
		switch {
		case e.run && b == requireApprovalBuiltin:
			d.failf(f.val, "%s: run: true is not supported; an approval is bound to one action and its arguments, so require_approval applies at action level only", what)
			good = false
		case e.run && !b.canRun:
			d.failf(f.val, "%s: run: true is not supported; %s decides about actions", what, use)
			good = false
		case e.run && scoped:
			d.failf(f.val, "%s: actions and run: true exclude each other; a run-level policy applies before any action", what)
			good = false
		}
	} else if scoped {
		e.run = false // an action scope makes a run-level default an action-level policy
	}
	vals := params{}
	given := map[string]bool{} // parameters given but malformed
	var withNode *yaml.Node
	if f, has := fs["with"]; has {
		withNode = f.val
		known := make([]string, len(b.params))
		for j, p := range b.params {
			known[j] = p.name
		}
		if len(known) == 0 {
			d.failf(f.key, "%s takes no parameters", what)
			return nil
		}
		wfs, ok := d.fields(f.val, what+".with", known...)
		if !ok {
			return nil
		}
		for _, p := range b.params {
			if pf, has := wfs[p.name]; has {
				v, ok := d.param(pf.val, what+".with."+p.name, p)
				if !ok {
					good = false
					given[p.name] = true
					continue
				}
				vals[p.name] = v
			}
		}
	}
	for _, p := range b.params {
		if _, has := vals[p.name]; has || given[p.name] {
			continue
		}
		if p.required {
			at := n
			if withNode != nil {
				at = withNode
			}
			d.failf(at, "%s: parameter %s is required (%s)", what, p.name, p.kind)
			good = false
			continue
		}
		vals[p.name] = p.def
	}
	if !good {
		return nil
	}
	c, problem := b.build(vals)
	if problem != "" {
		at := n
		if withNode != nil {
			at = withNode
		}
		d.failf(at, "%s: %s", what, problem)
		return nil
	}
	e.check = c
	return e
}

// rateWindow is the window of the first rate_limit entry of a counter and
// per, and its line.
type rateWindow struct {
	seconds int64
	line    int
}

// checkRateWindow reports whether a rate_limit entry agrees on the window
// with the earlier entries of its counter and per: they ask for the same
// fact, which has one value.
func (d *decoder) checkRateWindow(n *yaml.Node, i int, e *entry, seen map[string]rateWindow) bool {
	r, ok := e.check.(rateLimit)
	if !ok {
		return true
	}
	key := r.counter + "." + r.per
	first, dup := seen[key]
	if !dup {
		seen[key] = rateWindow{seconds: r.window, line: n.Line}
		return true
	}
	if first.seconds != r.window {
		d.failf(n, "policies[%d] (%s): counter %s per %s already has window_seconds %d (line %d); entries with the same counter and per need the same window, or another counter",
			i, e.b.name, r.counter, r.per, first.seconds, first.line)
		return false
	}
	return true
}

func (d *decoder) param(n *yaml.Node, what string, p param) (any, bool) {
	switch p.kind {
	case kString:
		return d.nonEmpty(n, what)
	case kInt:
		v, ok := d.integer(n, what)
		if ok && (v < p.min || v > p.max) {
			d.failf(n, "%s must be between %d and %d, not %d", what, p.min, p.max, v)
			return nil, false
		}
		return v, ok
	case kStrings:
		return d.strings(n, what)
	case kClock:
		s, ok := d.str(n, what)
		if !ok {
			return nil, false
		}
		t, err := time.Parse("15:04", s)
		if err != nil || len(s) != 5 {
			d.failf(n, "%s: %q is not a time of day HH:MM (24-hour, UTC)", what, s)
			return nil, false
		}
		return clock(t.Hour()*60 + t.Minute()), true
	case kVarActions:
		return d.varActions(n, what)
	case kBool:
		return d.boolean(n, what)
	case kDuration:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.failf(n, "%s must be a duration such as 90m or 24h, not %s", what, kindName(n))
			return nil, false
		}
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			d.failf(n, "%s: %q is not a duration such as 90m or 24h", what, n.Value)
			return nil, false
		}
		if v < time.Duration(p.min) || v > time.Duration(p.max) {
			d.failf(n, "%s must be between %s and %s, not %s", what, fmtDuration(time.Duration(p.min)), fmtDuration(time.Duration(p.max)), n.Value)
			return nil, false
		}
		return v, true
	case kCEL:
		env, err := celEnv()
		if err != nil {
			d.failf(n, "%s: building the CEL environment: %v", what, err)
			return nil, false
		}
		e := d.compile(env, what, p.name, n)
		return e, e != nil
	case kInstant:
		s, ok := d.str(n, what)
		if !ok {
			return nil, false
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			d.failf(n, "%s: %q is not an RFC 3339 instant (2026-12-20T00:00:00Z)", what, s)
			return nil, false
		}
		return t, true
	}
	panic("unreachable")
}

func (d *decoder) rule(env *cel.Env, n *yaml.Node, i int, names map[string]int) *rule {
	what := fmt.Sprintf("rules[%d]", i)
	fs, ok := d.fields(n, what, "name", "when", "deny_if", "allow_if", "require_approval_if", "approval", "reason", "pass_reason", "actions", "run")
	if !ok {
		return nil
	}
	r := &rule{}
	f, has := fs["name"]
	if !has {
		d.failf(n, "%s: name is required", what)
		return nil
	}
	if r.name, ok = d.nonEmpty(f.val, what+".name"); !ok || !d.useName(f.val, what, r.name, names) {
		return nil
	}
	what = fmt.Sprintf("rule %q", r.name)
	// The outcome: exactly one of the three conditions.
	var outcome string
	var cond field
	for _, key := range []string{"deny_if", "allow_if", "require_approval_if"} {
		f, has := fs[key]
		if !has {
			continue
		}
		if outcome != "" {
			first, second := outcome, key
			at := f.key
			if f.key.Line < cond.key.Line {
				first, second, at = key, outcome, cond.key
			}
			d.failf(at, "%s: give one of deny_if, allow_if and require_approval_if, not both %s and %s", what, first, second)
			return nil
		}
		outcome, cond = key, f
	}
	if outcome == "" {
		d.failf(n, "%s: deny_if, allow_if or require_approval_if is required", what)
		return nil
	}
	rf, has := fs["reason"]
	if has {
		if r.reason, ok = d.nonEmpty(rf.val, what+".reason"); !ok {
			return nil
		}
	} else if outcome != "require_approval_if" {
		d.failf(n, "%s: reason is required (the message of a denial)", what)
		return nil
	}
	good := true
	if f, has := fs["actions"]; has {
		r.scope, ok = d.scope(f.val, what+".actions")
		good = good && ok
	}
	if f, has := fs["run"]; has {
		r.run, ok = d.boolean(f.val, what+".run")
		good = good && ok
		switch {
		case r.run && r.scope != nil:
			d.failf(f.val, "%s: actions and run: true exclude each other; a run-level rule applies before any action", what)
			good = false
		case r.run && outcome == "require_approval_if":
			d.failf(f.val, "%s: require_approval_if applies at action level only (an approval is bound to one action and its arguments); remove run: true", what)
			good = false
		}
	}
	if f, has := fs["approval"]; has {
		if outcome != "require_approval_if" {
			d.failf(f.key, "%s: approval goes with require_approval_if, not %s", what, outcome)
			good = false
		} else if v, ok := d.paramMap(f.val, what+".approval", approvalParams); ok {
			a := approvalOf(v)
			r.approval = &a
		} else {
			good = false
		}
	} else if outcome == "require_approval_if" {
		a := approvalOf(nil)
		r.approval = &a
	}
	if f, has := fs["when"]; has {
		r.when = d.compile(env, what+": when", "when", f.val)
		good = good && r.when != nil
	}
	r.deny = outcome == "deny_if"
	r.cond = d.compile(env, what+": "+outcome, outcome, cond.val)
	if r.cond == nil || !good {
		return nil
	}
	if f, has := fs["pass_reason"]; has {
		if r.passReason, ok = d.nonEmpty(f.val, what+".pass_reason"); !ok {
			return nil
		}
	} else {
		r.passReason = defaultPassReason(r.cond.key, r.cond.src)
	}
	return r
}

// paramMap decodes a mapping of the parameters ps: each given one checked
// as a built-in's with checks it, each absent one its default.
func (d *decoder) paramMap(n *yaml.Node, what string, ps []param) (params, bool) {
	known := make([]string, len(ps))
	for j, p := range ps {
		known[j] = p.name
	}
	fs, ok := d.fields(n, what, known...)
	if !ok {
		return nil, false
	}
	vals := params{}
	for _, p := range ps {
		f, has := fs[p.name]
		if !has {
			vals[p.name] = p.def
			continue
		}
		v, good := d.param(f.val, what+"."+p.name, p)
		ok = ok && good
		vals[p.name] = v
	}
	return vals, ok
}

func (d *decoder) postgres(n *yaml.Node) (map[string][]string, []string) {
	fs, ok := d.fields(n, "postgres", "tables", "schemas")
	if !ok {
		return nil, nil
	}
	var schemas []string
	if f, has := fs["schemas"]; has {
		if schemas, ok = d.strings(f.val, "postgres.schemas"); ok {
			if len(schemas) == 0 {
				d.failf(f.val, "postgres.schemas must name at least one schema")
			}
			for j, s := range schemas {
				if !identRE.MatchString(s) || strings.Contains(s, ".") {
					d.failf(f.val.Content[j], "postgres.schemas[%d]: %q is not a schema name", j, s)
				}
			}
		}
	}
	f, has := fs["tables"]
	if !has {
		if schemas == nil {
			d.failf(n, "postgres: tables or schemas is required")
		}
		return nil, schemas
	}
	tfs, ok := d.fields(f.val, "postgres.tables")
	if !ok {
		return nil, schemas
	}
	out := map[string][]string{}
	for _, name := range sortedKeys(tfs) {
		tf := tfs[name]
		if !identRE.MatchString(name) {
			d.failf(tf.key, "postgres.tables: %q is not a table name (identifier, optionally schema-qualified)", name)
			continue
		}
		cols, ok := d.strings(tf.val, "postgres.tables."+name)
		if !ok {
			continue
		}
		for j, c := range cols {
			if !identRE.MatchString(c) || strings.Contains(c, ".") {
				d.failf(tf.val.Content[j], "postgres.tables.%s[%d]: %q is not a column name", name, j, c)
			}
		}
		out[name] = cols
	}
	return out, schemas
}

// pluginConfig reads plugin_config: by capability id, the Extism
// configuration (string keys to string values) the operator gives that
// capability's prebuilt plugins.
func (d *decoder) pluginConfig(n *yaml.Node) map[string]map[string]string {
	caps, ok := d.fields(n, "plugin_config")
	if !ok {
		return nil
	}
	out := make(map[string]map[string]string, len(caps))
	for id, f := range caps {
		what := "plugin_config." + id
		kvs, ok := d.fields(f.val, what)
		if !ok {
			continue
		}
		cfg := make(map[string]string, len(kvs))
		for k, v := range kvs {
			if s, ok := d.str(v.val, what+"."+k); ok {
				cfg[k] = s
			}
		}
		out[id] = cfg
	}
	return out
}

// PluginConfig returns a copy of the Extism configuration the policy file's
// plugin_config section gives the prebuilt plugins of a capability, nil
// when it gives none. Its values override the capability's own
// plugin.config key by key; results and receipts record only the keys and
// a digest of the values.
func (p *Policy) PluginConfig(capabilityID string) map[string]string {
	return maps.Clone(p.pluginConfig[capabilityID])
}
