package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/enact-run/enact/internal/lazyre"
)

// Builtin describes one built-in policy, as Builtins lists them.
type Builtin struct {
	// Name is what a policy file's use: names.
	Name string
	// Summary says what the policy checks.
	Summary string
	// Params are the parameters of with:, in documentation order.
	Params []Param
	// Actions is the default scope: the action globs the policy applies to
	// when the entry gives no actions:. WritesOnly policies skip read-only
	// actions (see ReadOnly) even inside their scope.
	Actions    []string
	WritesOnly bool
	// Run is true when the policy is evaluated at run level (before
	// anything runs) unless the entry says run: false; CanRun is true when
	// run: true is accepted.
	Run, CanRun bool
	// Facts are the names of the facts the policy may ask for.
	Facts []string
}

// Param describes one parameter of a built-in policy.
type Param struct {
	Name string
	// Type is "string", "integer", "list of strings", "HH:MM" (a UTC
	// time of day), "RFC 3339" (an instant), "map of variable names to
	// action globs", "boolean", "duration" (Go syntax: 90m, 24h) or "CEL
	// expression" (a boolean one, over the variables rules see).
	Type     string
	Required bool
	// Default is the value used when the parameter is absent, as YAML.
	Default string
	Doc     string
}

// Builtins lists the built-in policies, sorted by name. The slice and its
// contents are fresh copies.
func Builtins() []Builtin {
	out := make([]Builtin, 0, len(registry))
	for _, b := range registry {
		info := Builtin{
			Name: b.name, Summary: b.summary, Actions: slices.Clone(b.actions),
			WritesOnly: b.writesOnly, Run: b.defaultRun, CanRun: b.canRun, Facts: slices.Clone(b.facts),
		}
		for _, p := range b.params {
			info.Params = append(info.Params, Param{Name: p.name, Type: p.kind.String(), Required: p.required, Default: p.defDoc, Doc: p.doc})
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b Builtin) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// check is a configured built-in policy.
type check interface {
	decide(c *evalCtx) (passed bool, reason string)
}

// factNeeder is a check that needs facts.
type factNeeder interface {
	facts(c *evalCtx, add func(FactRequest))
}

type paramKind int

const (
	kString paramKind = iota
	kInt
	kStrings
	kClock
	kInstant
	kVarActions
	kBool
	kDuration
	kCEL
)

func (k paramKind) String() string {
	return [...]string{"string", "integer", "list of strings", "HH:MM", "RFC 3339", "map of variable names to action globs",
		"boolean", "duration", "CEL expression"}[k]
}

type param struct {
	name     string
	kind     paramKind
	required bool
	def      any    // the default's decoded value
	defDoc   string // the default as YAML, for documentation
	min, max int64  // bounds of an integer, or of a duration in nanoseconds
	doc      string
}

// params are decoded parameter values: string, int64, []string, clock
// (minutes since midnight), time.Time, map[string][]string, bool,
// time.Duration or *expr (a compiled CEL condition).
type params map[string]any

type clock int

func (c clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

type builtin struct {
	name       string
	summary    string
	params     []param
	actions    []string
	writesOnly bool
	defaultRun bool
	canRun     bool
	facts      []string
	// build makes the check; a non-empty problem is a load error.
	build func(v params) (c check, problem string)
}

// Fact names.
const (
	factContact        = "hubspot.contact"
	factContactMailbox = "hubspot.contact_mailbox"
	factTasksPrefix    = "hubspot.contact_tasks." // + window + "d"
	factRowsWritten    = "run.rows_written"
	factRowsMatching   = "postgres.rows_matching"
	lookupContact      = "hubspot.get_contact"
	lookupTasks        = "hubspot.count_tasks"
	lookupRowsMatching = "postgres.count_rows"
	factCommitChanges  = "github.commit_changes"
	lookupChanges      = "github.list_changes"
)

// defaultPIIFields are the argument names contractor_cannot_write_pii
// treats as personal data unless pii_fields says otherwise.
var defaultPIIFields = []string{
	"email", "phone", "mobilephone", "ssn", "social_security_number", "date_of_birth", "dob", "birthdate",
	"address", "street_address", "zip", "postal_code", "passport_number", "national_id", "tax_id",
	"credit_card_number", "card_number", "iban", "bank_account_number", "firstname", "lastname", "full_name",
	"fax", "zipcode", "birthday",
}

// registry holds the built-ins by name. It is never modified.
var registry = map[string]*builtin{
	noSecretInArgs:  noSecretInArgsBuiltin,
	requireApproval: requireApprovalBuiltin,
	"no_duplicate_contacts": {
		name:       "no_duplicate_contacts",
		summary:    "Blocks creating a HubSpot contact whose email, or its mailbox without a +tag, already belongs to a contact.",
		actions:    []string{"hubspot.create_contact"},
		writesOnly: true,
		facts:      []string{factContact, factContactMailbox},
		build:      func(params) (check, string) { return noDuplicateContacts{}, "" },
	},
	"limit_tasks_per_contact": {
		name:    "limit_tasks_per_contact",
		summary: "Blocks creating a HubSpot task for a contact that already has max_tasks tasks created in the last window_days days.",
		params: []param{
			{name: "max_tasks", kind: kInt, required: true, min: 0, max: 1 << 31, doc: "tasks a contact may have in the window"},
			{name: "window_days", kind: kInt, required: true, min: 1, max: 3660, doc: "length of the window, ending at the decision time"},
		},
		actions:    []string{"hubspot.create_task"},
		writesOnly: true,
		facts:      []string{factTasksPrefix + "<window_days>d"},
		build: func(v params) (check, string) {
			return limitTasks{max: v["max_tasks"].(int64), days: v["window_days"].(int64)}, ""
		},
	},
	"contractor_cannot_write_pii": {
		name:    "contractor_cannot_write_pii",
		summary: "Blocks an actor with the contractor role from mutating actions whose arguments name personal data fields or hold email addresses.",
		params: []param{
			{name: "role", kind: kString, def: "contractor", defDoc: "contractor", doc: "the role the policy restricts"},
			{name: "pii_fields", kind: kStrings, def: defaultPIIFields, defDoc: "[" + strings.Join(defaultPIIFields, ", ") + "]",
				doc: "argument names that are personal data, compared ignoring case, '_' and '-', and as a run of a longer name's words"},
		},
		actions:    []string{"*"},
		writesOnly: true,
		build: func(v params) (check, string) {
			fields := map[string]string{}
			for _, f := range v["pii_fields"].([]string) {
				fields[normalizeField(f)] = f
			}
			return contractorPII{role: v["role"].(string), fields: fields}, ""
		},
	},
	"require_actor_role": {
		name:    "require_actor_role",
		summary: "Requires the actor to have one of allowed_roles.",
		params: []param{
			{name: "allowed_roles", kind: kStrings, required: true, doc: "roles any one of which suffices"},
		},
		actions:    []string{"*"},
		defaultRun: true,
		canRun:     true,
		build: func(v params) (check, string) {
			roles := v["allowed_roles"].([]string)
			if len(roles) == 0 {
				return nil, "allowed_roles must name at least one role"
			}
			return requireRole{roles: roles}, ""
		},
	},
	"within_maintenance_window": {
		name:    "within_maintenance_window",
		summary: "Allows mutating actions only between start_utc and end_utc each day (UTC); the window may wrap midnight.",
		params: []param{
			{name: "start_utc", kind: kClock, required: true, doc: "start of the window, inclusive"},
			{name: "end_utc", kind: kClock, required: true, doc: "end of the window, exclusive"},
		},
		actions:    []string{"*"},
		writesOnly: true,
		canRun:     true,
		build: func(v params) (check, string) {
			s, e := v["start_utc"].(clock), v["end_utc"].(clock)
			if s == e {
				return nil, "start_utc and end_utc are equal: the window would be empty"
			}
			return newMaintenanceWindow(s, e), ""
		},
	},
	"no_push_to_main": {
		name: "no_push_to_main",
		summary: "Blocks GitHub actions that write to a protected branch: args branch or ref (or base, for github.merge_pr) " +
			"naming one of branches, with or without refs/heads/, ignoring case.",
		params: []param{
			{name: "branches", kind: kStrings, def: []string{"main", "master"}, defDoc: "[main, master]", doc: "the protected branches"},
		},
		actions:    []string{"github.*"},
		writesOnly: true,
		build: func(v params) (check, string) {
			bs := v["branches"].([]string)
			if len(bs) == 0 {
				return nil, "branches must name at least one branch"
			}
			return noPushToMain{branches: bs, protected: strings.Join(bs, " or ")}, ""
		},
	},
	"no_push_during_deploy_freeze": {
		name:    "no_push_during_deploy_freeze",
		summary: "Blocks mutating GitHub actions from start_utc (inclusive) until end_utc (exclusive).",
		params: []param{
			{name: "start_utc", kind: kInstant, required: true, doc: "start of the freeze"},
			{name: "end_utc", kind: kInstant, required: true, doc: "end of the freeze"},
		},
		actions:    []string{"github.*"},
		writesOnly: true,
		canRun:     true,
		build: func(v params) (check, string) {
			s, e := v["start_utc"].(time.Time), v["end_utc"].(time.Time)
			if !e.After(s) {
				return nil, "end_utc must be after start_utc"
			}
			return newDeployFreeze(s.UTC(), e.UTC()), ""
		},
	},
	"max_files_per_commit": {
		name:    "max_files_per_commit",
		summary: "Limits the number of files a commit changes, measured against the branch's head tree (a deleted directory counts every file under it).",
		params: []param{
			{name: "n", kind: kInt, required: true, min: 1, max: 1 << 31, doc: "most files one commit may touch"},
		},
		actions:    []string{"github.push_commit"},
		writesOnly: true,
		facts:      []string{factCommitChanges},
		build:      func(v params) (check, string) { return maxFiles{n: v["n"].(int64)}, "" },
	},
	"require_branch_prefix": {
		name:    "require_branch_prefix",
		summary: "Requires the branch an action writes to (args.branch or args.ref; args.head for github.create_pr) to start with prefix.",
		params: []param{
			{name: "prefix", kind: kString, required: true, doc: `e.g. "agent/"`},
		},
		actions:    []string{"github.create_branch", "github.push_commit", "github.create_pr", "github.delete_branch"},
		writesOnly: true,
		build:      func(v params) (check, string) { return branchPrefix{prefix: v["prefix"].(string)}, "" },
	},
	"no_update_without_where_clause": {
		name:       "no_update_without_where_clause",
		summary:    "Blocks a database update whose args.where is missing, empty or always true.",
		actions:    []string{"postgres.update*"},
		writesOnly: true,
		build:      func(params) (check, string) { return requireWhere{verb: "update"}, "" },
	},
	"no_delete_without_where_clause": {
		name:       "no_delete_without_where_clause",
		summary:    "Blocks a database delete whose args.where is missing, empty or always true.",
		actions:    []string{"postgres.delete*"},
		writesOnly: true,
		build:      func(params) (check, string) { return requireWhere{verb: "delete"}, "" },
	},
	"limit_rows_per_run": {
		name:    "limit_rows_per_run",
		summary: "Limits the rows one run writes: rows written so far plus the rows this action would write must not exceed n.",
		params: []param{
			{name: "n", kind: kInt, required: true, min: 1, max: math.MaxInt32, doc: "most rows a run may write"},
		},
		actions:    []string{"postgres.*"},
		writesOnly: true,
		facts:      []string{factRowsWritten, factRowsMatching},
		build:      func(v params) (check, string) { return limitRows{n: v["n"].(int64)}, "" },
	},
	"rate_limit": {
		name: "rate_limit",
		summary: "Limits the actions made within the last window_seconds, counted per actor, per capability or across all runs " +
			"(across runners: the gate counts them in the shared store).",
		params: []param{
			{name: "n", kind: kInt, required: true, min: 1, max: math.MaxInt32, doc: "most actions in the window, this one included"},
			{name: "window_seconds", kind: kInt, required: true, min: 1, max: maxRateWindow,
				doc: "length of the window in seconds, ending at the decision time"},
			{name: "per", kind: kString, def: ratePerActor, defDoc: ratePerActor,
				doc: "whose actions are counted: actor (the actor's email), capability (its id) or all"},
			{name: "counter", kind: kString, def: "actions", defDoc: "actions",
				doc: "the count's name (1 to 40 of a-z, 0-9, _): entries with the same counter and per share one count"},
		},
		actions:    []string{"*"},
		writesOnly: true,
		facts:      []string{RateFactPrefix + "<counter>.<per>:<subject>"},
		build: func(v params) (check, string) {
			r := rateLimit{n: v["n"].(int64), window: v["window_seconds"].(int64), per: v["per"].(string), counter: v["counter"].(string)}
			if !validRatePer(r.per) {
				return nil, fmt.Sprintf("per must be actor, capability or all, not %q", r.per)
			}
			if !counterRE.MatchString(r.counter) {
				return nil, fmt.Sprintf("counter %q must be 1 to 40 of a-z, 0-9 and _", r.counter)
			}
			return r, ""
		},
	},
}

// requireApproval is the name of the built-in that holds an action until
// people approve it.
const requireApproval = "require_approval"

// approvalParams are the parameters that say who must approve and for how
// long: require_approval's (after when) and those of a rule's approval:.
var approvalParams = []param{
	{name: "approver_roles", kind: kStrings, def: []string{}, defDoc: "[]",
		doc: "roles any one of which lets an actor approve; empty: any actor the actors section gives a role"},
	{name: "approvals", kind: kInt, def: int64(1), defDoc: "1", min: 1, max: maxApprovals,
		doc: "distinct approvers needed (1 to 10)"},
	{name: "expires_after", kind: kDuration, def: DefaultApprovalExpiry, defDoc: "24h",
		min: int64(minApprovalExpiry), max: int64(maxApprovalExpiry),
		doc: "how long the request stays open, a Go duration from 1m to 720h (30 days)"},
	{name: "allow_self_approval", kind: kBool, def: false, defDoc: "false",
		doc: "whether the actor who asked may be one of the approvers"},
}

var requireApprovalBuiltin = &builtin{
	name: requireApproval,
	summary: "Holds an action until approvals people holding one of approver_roles approve it (the gate records the request); " +
		"with when, only the actions for which the CEL condition is true. Action level only.",
	params: append([]param{
		{name: "when", kind: kCEL, def: (*expr)(nil), defDoc: "true",
			doc: "CEL condition over the variables rules see; the action is held only when it is true"},
	}, approvalParams...),
	actions: []string{"*"},
	build: func(v params) (check, string) {
		a := approvalOf(v)
		return approvalCheck{when: v["when"].(*expr), approval: a}, ""
	},
}

// --- CRM ---

type noDuplicateContacts struct{}

// contactEmail is the email a hubspot.create_contact sets: args.email or
// args.properties.email, trimmed and lower-cased.
func contactEmail(args map[string]any) (string, bool) {
	v, ok := args["email"]
	if !ok {
		if props, isMap := args["properties"].(map[string]any); isMap {
			v, ok = props["email"]
		}
	}
	s, isStr := v.(string)
	s = strings.ToLower(strings.TrimSpace(s))
	if !ok || !isStr || s == "" {
		return "", false
	}
	return s, true
}

// mailbox is the address an email delivers to by the conventions most
// providers follow: the local part without a "+tag" and the domain
// without a trailing dot ("Foo+x@Acme.com." → foo@acme.com, given
// lower-cased). HubSpot keeps such spellings as distinct contacts.
func mailbox(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email
	}
	local, domain := email[:at], strings.TrimRight(email[at+1:], ".")
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "@" + domain
}

func (noDuplicateContacts) facts(c *evalCtx, add func(FactRequest)) {
	if email, ok := contactEmail(c.args); ok {
		add(FactRequest{Name: factContact, Action: lookupContact, Args: map[string]any{"email": email}})
		if box := mailbox(email); box != email {
			add(FactRequest{Name: factContactMailbox, Action: lookupContact, Args: map[string]any{"email": box}})
		}
	}
}

func (noDuplicateContacts) decide(c *evalCtx) (bool, string) {
	email, ok := contactEmail(c.args)
	if !ok {
		return false, fmt.Sprintf("%s has no email argument (args.email or args.properties.email); cannot check for a duplicate", c.action)
	}
	v, ok := c.fact(factContact)
	if !ok {
		return false, missingFact(factContact, lookupContact)
	}
	exists, ok := contactExists(v)
	switch {
	case !ok:
		return false, badFact(factContact, v, `a contact object, null, or {"found": bool}`)
	case exists:
		return false, fmt.Sprintf("Contact %s already exists", email)
	}
	box := mailbox(email)
	if box == email {
		return true, fmt.Sprintf("No contact with email %s exists", email)
	}
	v, ok = c.fact(factContactMailbox)
	if !ok {
		return false, missingFact(factContactMailbox, lookupContact)
	}
	exists, ok = contactExists(v)
	switch {
	case !ok:
		return false, badFact(factContactMailbox, v, `a contact object, null, or {"found": bool}`)
	case exists:
		return false, fmt.Sprintf("Contact %s already exists; %s is the same mailbox", box, email)
	}
	return true, fmt.Sprintf("No contact with email %s or its mailbox %s exists", email, box)
}

// contactExists reads the hubspot.contact fact: null, false, {} and
// {"found": false} mean no contact; true, {"found": true} and any other
// non-empty object (the contact) mean one exists.
func contactExists(v any) (exists, ok bool) {
	switch t := v.(type) {
	case nil:
		return false, true
	case bool:
		return t, true
	case map[string]any:
		if f, has := t["found"]; has {
			b, isBool := f.(bool)
			return b, isBool
		}
		return len(t) > 0, true
	}
	return false, false
}

type limitTasks struct{ max, days int64 }

func (l limitTasks) factName() string { return fmt.Sprintf("%s%dd", factTasksPrefix, l.days) }

// taskContact is the contact a hubspot.create_task is for: args.contact_id,
// args.contact_email or args.email. key is the lookup argument name.
func taskContact(args map[string]any) (key, val string, ok bool) {
	if v, has := args["contact_id"]; has {
		switch t := v.(type) {
		case string:
			if s := strings.TrimSpace(t); s != "" {
				return "contact_id", s, true
			}
		default:
			if n, isInt := asInt(t); isInt && n >= 0 {
				return "contact_id", strconv.FormatInt(n, 10), true
			}
		}
		return "", "", false
	}
	for _, k := range []string{"contact_email", "email"} {
		if s, isStr := args[k].(string); isStr {
			if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
				return "email", s, true
			}
		}
	}
	return "", "", false
}

func (l limitTasks) facts(c *evalCtx, add func(FactRequest)) {
	key, val, ok := taskContact(c.args)
	if !ok || c.in.Time.IsZero() {
		return
	}
	until := c.in.Time.UTC()
	since := until.Add(-time.Duration(l.days) * 24 * time.Hour)
	add(FactRequest{Name: l.factName(), Action: lookupTasks, Args: map[string]any{
		key: val, "since": since.Format(time.RFC3339Nano), "until": until.Format(time.RFC3339Nano),
	}})
}

func (l limitTasks) decide(c *evalCtx) (bool, string) {
	_, contact, ok := taskContact(c.args)
	if !ok {
		return false, fmt.Sprintf("%s names no contact (args.contact_id, args.contact_email or args.email); cannot count its tasks", c.action)
	}
	if c.in.Time.IsZero() {
		return false, fmt.Sprintf("The decision time is missing; cannot place the %d-day window", l.days)
	}
	name := l.factName()
	v, ok := c.fact(name)
	if !ok {
		return false, missingFact(name, lookupTasks)
	}
	n, ok := asCount(v)
	if !ok {
		return false, badFact(name, v, `a count: a number, a list, or {"count": n} or {"total": n}`)
	}
	if n >= l.max {
		return false, fmt.Sprintf("Contact %s already has %d %s in the last %d days; the limit is %d", contact, n, plural(n, "task"), l.days, l.max)
	}
	return true, fmt.Sprintf("Contact %s has %d %s in the last %d days; the limit is %d", contact, n, plural(n, "task"), l.days, l.max)
}

// --- access ---

type contractorPII struct {
	role   string
	fields map[string]string // normalized → as configured
}

func normalizeField(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r != '_' && r != '-' && r != ' ' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// listKeys are argument names whose list-of-strings values name fields
// ("columns": ["email", "plan"]).
var listKeys = map[string]bool{"columns": true, "fields": true, "properties": true}

// nameKeys are keys whose string value names the field of a name/value
// pair ({"property": "email", "value": "..."}, HubSpot's v1 and filter
// shapes, {"column": "ssn", ...}).
var nameKeys = map[string]bool{"name": true, "property": true, "propertyname": true, "field": true, "key": true, "column": true}

// emailValue finds an email address anywhere in a string: personal data
// whatever key it is written under.
var emailValue = lazyre.New(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)

// maxNameTokens bounds the words of a key compared one run at a time.
const maxNameTokens = 16

// piiName reports whether a key or field name names a PII field: its
// whole normalized spelling, or any run of its words ("work_email",
// "hs_additional_emails", "contactPhoneNumber", "billing.zip"), a
// trailing "s" ignored.
func (p contractorPII) piiName(name string) bool {
	if _, ok := p.fields[normalizeField(name)]; ok {
		return true
	}
	words := nameWords(name)
	if len(words) > maxNameTokens {
		return true // fail closed on absurd keys
	}
	for i := range words {
		run := ""
		for j := i; j < len(words); j++ {
			run += words[j]
			if _, ok := p.fields[run]; ok {
				return true
			}
			if t, ok := strings.CutSuffix(run, "s"); ok {
				if _, ok := p.fields[t]; ok {
					return true
				}
			}
		}
	}
	return false
}

// nameWords splits a name into lower-case words at non-alphanumerics and
// at lower-to-upper case changes ("contactPhone_number" → contact, phone,
// number).
func nameWords(name string) []string {
	var words []string
	var cur strings.Builder
	prevLower := false
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range name {
		switch {
		case unicode.IsUpper(r):
			if prevLower {
				flush()
			}
			cur.WriteRune(unicode.ToLower(r))
			prevLower = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur.WriteRune(unicode.ToLower(r))
			prevLower = true
		default:
			flush()
			prevLower = false
		}
	}
	flush()
	return words
}

func (p contractorPII) decide(c *evalCtx) (bool, string) {
	if !c.hasRole(p.role) {
		return true, "Actor " + c.actorName() + " does not have role " + p.role
	}
	var hits []string
	p.walk(c.args, "args", 0, &hits)
	if len(hits) == 0 {
		return true, "No personal data fields in the arguments of " + c.action
	}
	shown := hits
	more := ""
	if len(hits) > 5 {
		shown, more = hits[:5], fmt.Sprintf(" and %d more", len(hits)-5)
	}
	return false, fmt.Sprintf("Actor %s has role %s and may not write personal data: %s%s", c.actorName(), p.role, strings.Join(shown, ", "), more)
}

// walk collects the paths of PII keys in v, in sorted key order. Values
// nested deeper than maxDepth count as PII (fail closed).
func (p contractorPII) walk(v any, path string, depth int, hits *[]string) {
	if depth > maxDepth {
		*hits = append(*hits, path+" (nested too deeply to inspect)")
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			sub := path + "." + k
			if p.piiName(k) {
				*hits = append(*hits, sub)
				continue
			}
			if s, isStr := t[k].(string); isStr && nameKeys[normalizeField(k)] && p.piiName(s) {
				*hits = append(*hits, fmt.Sprintf("%s (%s)", sub, s))
				continue
			}
			if listKeys[strings.ToLower(k)] {
				if items, ok := t[k].([]any); ok {
					for i, it := range items {
						if s, isStr := it.(string); isStr && p.piiName(s) {
							*hits = append(*hits, fmt.Sprintf("%s[%d] (%s)", sub, i, s))
						}
					}
				}
			}
			p.walk(t[k], sub, depth+1, hits)
		}
	case string:
		if emailValue.MatchString(t) {
			*hits = append(*hits, path+" (an email address)")
		}
	case []any:
		for i, it := range t {
			p.walk(it, fmt.Sprintf("%s[%d]", path, i), depth+1, hits)
		}
	default:
		if m, ok := reflectMap(v); ok {
			p.walk(m, path, depth, hits)
		} else if l, ok := reflectList(v); ok {
			p.walk(l, path, depth, hits)
		}
	}
}

type requireRole struct{ roles []string }

func (r requireRole) decide(c *evalCtx) (bool, string) {
	for _, want := range r.roles {
		if c.hasRole(want) {
			return true, "Actor " + c.actorName() + " has role " + want
		}
	}
	has := "has no roles"
	if rs := c.actorRoles(); len(rs) > 0 {
		has = "has roles [" + strings.Join(rs, ", ") + "]"
	}
	return false, fmt.Sprintf("Actor %s %s; one of [%s] is required", c.actorName(), has, strings.Join(r.roles, ", "))
}

// --- time ---

type maintenanceWindow struct {
	start, end clock
	desc       string // "the maintenance window 22:00-06:00 UTC"
}

func newMaintenanceWindow(start, end clock) maintenanceWindow {
	return maintenanceWindow{start: start, end: end, desc: "the maintenance window " + start.String() + "-" + end.String() + " UTC"}
}

func (w maintenanceWindow) decide(c *evalCtx) (bool, string) {
	if c.in.Time.IsZero() {
		return false, "The decision time is missing; cannot check " + w.desc
	}
	t := c.in.Time.UTC()
	now := clock(t.Hour()*60 + t.Minute())
	var in bool
	if w.start < w.end {
		in = now >= w.start && now < w.end
	} else {
		in = now >= w.start || now < w.end
	}
	if in {
		return true, now.String() + " UTC is within " + w.desc
	}
	return false, now.String() + " UTC is outside " + w.desc
}

type deployFreeze struct {
	start, end time.Time
	desc       string // "the deploy freeze from ... until ..."
}

func newDeployFreeze(start, end time.Time) deployFreeze {
	return deployFreeze{start: start, end: end,
		desc: "the deploy freeze from " + start.Format(time.RFC3339) + " until " + end.Format(time.RFC3339)}
}

func (f deployFreeze) decide(c *evalCtx) (bool, string) {
	if c.in.Time.IsZero() {
		return false, "The decision time is missing; cannot check " + f.desc
	}
	t := c.in.Time.UTC()
	var buf [64]byte
	now := string(t.AppendFormat(buf[:0], time.RFC3339))
	if !t.Before(f.start) && t.Before(f.end) {
		return false, now + " is within " + f.desc
	}
	return true, now + " is outside " + f.desc
}

// --- git ---

// branchWriters are the GitHub actions that always write to a named branch:
// without a branch argument the policies cannot tell which, and fail.
var branchWriters = map[string]bool{
	"github.push_commit": true, "github.create_branch": true, "github.delete_branch": true, "github.merge_pr": true,
}

// shortBranch strips refs/heads/ (or heads/) from a ref.
func shortBranch(s string) string {
	s = strings.TrimSpace(s)
	if t, ok := strings.CutPrefix(s, "refs/heads/"); ok {
		return t
	}
	if t, ok := strings.CutPrefix(s, "heads/"); ok {
		return t
	}
	return s
}

// branchKey is the spelling no_push_to_main compares: lower case, white
// space, surrounding slashes and trailing dots removed, and every leading
// "refs/heads/", "heads/" or "refs/" stripped, over and over. It is looser
// than any connector, so every spelling a connector could take for a
// protected branch ("refs/heads/Main", "heads/main/", " MAIN",
// "refs/heads/refs/heads/main") compares equal to it.
func branchKey(s string) string {
	s = strings.ToLower(s)
	for {
		t := strings.Trim(s, " \t\r\n/")
		t = strings.TrimRight(t, ". \t\r\n/")
		for _, p := range []string{"refs/heads/", "heads/", "refs/"} {
			if u, ok := strings.CutPrefix(t, p); ok {
				t = u
				break
			}
		}
		if t == s {
			return s
		}
		s = t
	}
}

type noPushToMain struct {
	branches  []string
	protected string // "main or master"
}

func (n noPushToMain) decide(c *evalCtx) (bool, string) {
	keys := []string{"branch", "ref"}
	if c.action == "github.merge_pr" {
		keys = []string{"base", "branch", "ref"}
	}
	named := ""
	for _, k := range keys {
		v, ok := c.args[k]
		if !ok {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			return false, fmt.Sprintf("args.%s of %s is not a string; cannot rule out a protected branch", k, c.action)
		}
		b := shortBranch(s)
		for _, p := range n.branches {
			if branchKey(s) == branchKey(p) {
				return false, fmt.Sprintf("%s writes to protected branch %s (args.%s = %q)", c.action, p, k, s)
			}
		}
		if named != "" {
			named += " and "
		}
		named += b
	}
	switch {
	case named != "":
		return true, c.action + " writes to " + named + ", not " + n.protected
	case c.action == "github.merge_pr":
		return false, c.action + " does not name its base branch (args.base); cannot rule out " + n.protected
	case branchWriters[c.action]:
		return false, c.action + " names no branch (args.branch or args.ref); cannot rule out " + n.protected
	}
	return true, c.action + " names no branch it writes to"
}

type maxFiles struct{ n int64 }

// The commit's effect is measured, not its request: one entry deleting a
// directory changes every file under it.
func (m maxFiles) facts(c *evalCtx, add func(FactRequest)) {
	files, ok := c.args["files"]
	if !ok {
		return
	}
	args := map[string]any{"files": files}
	if b, has := c.args["branch"]; has {
		args["branch"] = b
	}
	add(FactRequest{Name: factCommitChanges, Action: lookupChanges, Args: args})
}

func (m maxFiles) decide(c *evalCtx) (bool, string) {
	v, ok := c.args["files"]
	if !ok {
		return false, fmt.Sprintf("%s has no files argument; cannot count the files", c.action)
	}
	entries := int64(-1)
	if l, isList := reflectList(v); isList {
		entries = int64(len(l))
	} else if mp, isMap := reflectMap(v); isMap {
		entries = int64(len(mp))
	} else {
		return false, fmt.Sprintf("args.files of %s is neither a list nor a mapping; cannot count the files", c.action)
	}
	f, ok := c.fact(factCommitChanges)
	if !ok {
		return false, fmt.Sprintf("Fact %s is missing: the files the commit changes could not be measured against the branch's "+
			"head tree (looked up with %s); failing closed rather than counting the %d %s of args.files",
			factCommitChanges, lookupChanges, entries, entryWord(entries))
	}
	if f == nil {
		return false, fmt.Sprintf("Fact %s is null: the branch has no head tree to measure the commit against; failing closed", factCommitChanges)
	}
	count, ok := asCount(f)
	if !ok {
		return false, badFact(factCommitChanges, f, `{"count": n} (the files the commit adds, modifies or deletes)`)
	}
	reason := "The commit changes " + strconv.FormatInt(count, 10) + " " + plural(count, "file")
	if mp, isMap := reflectMap(f); isMap {
		var parts []string
		for _, k := range []string{"added", "modified", "deleted"} {
			if n, isInt := asInt(mp[k]); isInt {
				parts = append(parts, strconv.FormatInt(n, 10)+" "+k)
			}
		}
		if len(parts) > 0 {
			reason += " (" + strings.Join(parts, ", ") + ")"
		}
		if h, isStr := mp["head"].(string); isStr && h != "" {
			reason += " against " + h
		}
	}
	reason += " from " + strconv.FormatInt(entries, 10) + " " + entryWord(entries) + " of args.files; the limit is " + strconv.FormatInt(m.n, 10)
	return count <= m.n, reason
}

type branchPrefix struct{ prefix string }

func (b branchPrefix) decide(c *evalCtx) (bool, string) {
	keys := []string{"branch", "ref"}
	if c.action == "github.create_pr" {
		keys = []string{"head"}
	}
	for _, k := range keys {
		v, ok := c.args[k]
		if !ok {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			return false, fmt.Sprintf("args.%s of %s is not a string; cannot check the branch prefix", k, c.action)
		}
		br := shortBranch(s)
		if k == "head" {
			// "owner:branch" names a branch of a fork; ':' cannot occur in
			// a branch name.
			if i := strings.LastIndexByte(br, ':'); i >= 0 {
				br = br[i+1:]
			}
		}
		if strings.HasPrefix(br, b.prefix) {
			return true, "Branch " + br + " starts with " + b.prefix
		}
		return false, "Branch " + br + " does not start with " + b.prefix
	}
	return false, fmt.Sprintf("%s names no branch (args.%s); cannot check the prefix %s", c.action, strings.Join(keys, " or args."), b.prefix)
}

// --- database ---

type requireWhere struct{ verb string }

// alwaysTrue are WHERE strings that select every row, lower case with
// white space removed.
var alwaysTrue = []string{"true", "(true)", "1=1", "(1=1)", "'1'='1'", "1", "1<>0", "1!=0", "notfalse"}

func (r requireWhere) decide(c *evalCtx) (bool, string) {
	v, ok := c.args["where"]
	problem := ""
	switch t := v.(type) {
	case nil:
		problem = "no WHERE clause (args.where)"
		if ok {
			problem = "an empty WHERE clause (args.where is null)"
		}
	case string:
		compact := strings.ToLower(strings.Join(strings.Fields(t), ""))
		if compact == "" {
			problem = "an empty WHERE clause"
		} else if slices.Contains(alwaysTrue, compact) {
			problem = fmt.Sprintf("a WHERE clause that is always true (%q)", t)
		}
	default:
		if m, isMap := reflectMap(v); isMap {
			if len(m) == 0 {
				problem = "an empty WHERE clause (args.where is {})"
			}
		} else if l, isList := reflectList(v); isList {
			if len(l) == 0 {
				problem = "an empty WHERE clause (args.where is [])"
			}
		} else {
			problem = fmt.Sprintf("args.where that is not a condition (%s)", jsonKind(v))
		}
	}
	if problem != "" {
		return false, fmt.Sprintf("%s has %s; it would %s every row", c.action, problem, r.verb)
	}
	return true, fmt.Sprintf("%s has a WHERE clause", c.action)
}

type limitRows struct{ n int64 }

// rowsOf is how many rows a postgres action writes when its arguments say
// so: inserts write len(args.rows) rows, or one. Updates and deletes need
// the postgres.rows_matching fact (counted).
func rowsOf(action string, args map[string]any) (n int64, counted, ok bool) {
	verb := action[strings.LastIndexByte(action, '.')+1:]
	switch {
	case strings.HasPrefix(verb, "insert"):
		if v, has := args["rows"]; has {
			l, isList := reflectList(v)
			return int64(len(l)), false, isList
		}
		return 1, false, true
	case strings.HasPrefix(verb, "update"), strings.HasPrefix(verb, "delete"):
		return 0, true, true
	}
	return 0, false, false
}

func (l limitRows) facts(c *evalCtx, add func(FactRequest)) {
	add(FactRequest{Name: factRowsWritten})
	if _, counted, ok := rowsOf(c.action, c.args); ok && counted {
		args := map[string]any{"table": c.args["table"]}
		if w, has := c.args["where"]; has {
			args["where"] = w
		}
		add(FactRequest{Name: factRowsMatching, Action: lookupRowsMatching, Args: args})
	}
}

func (l limitRows) decide(c *evalCtx) (bool, string) {
	rows, counted, ok := rowsOf(c.action, c.args)
	if !ok {
		return false, fmt.Sprintf("Cannot tell how many rows %s writes (args.rows must be a list); failing closed", c.action)
	}
	v, ok := c.fact(factRowsWritten)
	if !ok {
		return false, missingFact(factRowsWritten, "")
	}
	written, ok := asCount(v)
	if !ok {
		return false, badFact(factRowsWritten, v, "a non-negative integer")
	}
	if counted {
		m, has := c.fact(factRowsMatching)
		if !has {
			return false, missingFact(factRowsMatching, lookupRowsMatching)
		}
		if rows, ok = asCount(m); !ok {
			return false, badFact(factRowsMatching, m, `a count: a number, a list, or {"count": n} or {"total": n}`)
		}
	}
	if written > l.n || rows > l.n-written {
		total := "more than the limit"
		if rows <= math.MaxInt64-written {
			total = fmt.Sprintf("%d in all", written+rows)
		}
		return false, fmt.Sprintf("This run has written %d %s and %s would write %d more (%s); the limit is %d",
			written, plural(written, "row"), c.action, rows, total, l.n)
	}
	total := written + rows
	return true, fmt.Sprintf("This run has written %d %s and %s would write %d more (%d in all); the limit is %d",
		written, plural(written, "row"), c.action, rows, total, l.n)
}

// --- rate ---

// RateFactPrefix starts the name of every fact rate_limit asks for:
// "rate.<counter>.<per>:<subject>" (see ParseRateFact).
const RateFactPrefix = "rate."

const (
	ratePerActor      = "actor"
	ratePerCapability = "capability"
	ratePerAll        = "all"
	// maxRateWindow is 31 days in seconds.
	maxRateWindow = 31 * 24 * 60 * 60
)

var counterRE = lazyre.New(`^[a-z0-9_]{1,40}$`)

func validRatePer(per string) bool {
	return per == ratePerActor || per == ratePerCapability || per == ratePerAll
}

// ParseRateFact splits the name of a fact rate_limit asks for,
// "rate.<counter>.<per>:<subject>", into its parts. ok is false unless
// counter is 1 to 40 of a-z, 0-9 and _, per is actor, capability or all,
// and subject is not empty: the actor's email (trimmed, lower case) for
// actor, the capability id for capability, and "*" for all. A subject
// names one actor or capability, never a pattern.
//
// The fact's request has no Action: the gate counts the actions made in
// the FactRequest.Args["window_seconds"] (an int64) seconds up to the
// decision, this one included, among the actions for which Requirements
// asked for the same fact (so by the same subject).
func ParseRateFact(name string) (counter, per, subject string, ok bool) {
	rest, ok := strings.CutPrefix(name, RateFactPrefix)
	if !ok {
		return "", "", "", false
	}
	counter, rest, ok = strings.Cut(rest, ".")
	if !ok || !counterRE.MatchString(counter) {
		return "", "", "", false
	}
	per, subject, ok = strings.Cut(rest, ":")
	if !ok || !validRatePer(per) || subject == "" || (per == ratePerAll && subject != "*") {
		return "", "", "", false
	}
	return counter, per, subject, true
}

type rateLimit struct {
	n, window    int64
	per, counter string
}

// subject is whose actions the count is of; "" when the input does not say.
func (r rateLimit) subject(c *evalCtx) string {
	switch r.per {
	case ratePerActor:
		return strings.ToLower(strings.TrimSpace(c.in.Actor.Email))
	case ratePerCapability:
		return c.in.Capability.ID
	}
	return "*"
}

func (r rateLimit) factName(subject string) string {
	return RateFactPrefix + r.counter + "." + r.per + ":" + subject
}

func (r rateLimit) facts(c *evalCtx, add func(FactRequest)) {
	if s := r.subject(c); s != "" {
		add(FactRequest{Name: r.factName(s), Args: map[string]any{"window_seconds": r.window}})
	}
}

func (r rateLimit) decide(c *evalCtx) (bool, string) {
	s := r.subject(c)
	who := "All runs"
	switch {
	case s == "" && r.per == ratePerActor:
		return false, "The actor has no email; cannot count its actions (counter " + r.counter + ")"
	case s == "":
		return false, "The capability has no id; cannot count its actions (counter " + r.counter + ")"
	case r.per == ratePerActor:
		who = "Actor " + s
	case r.per == ratePerCapability:
		who = "Capability " + s
	}
	name := r.factName(s)
	v, ok := c.fact(name)
	if !ok {
		return false, fmt.Sprintf("Fact %s is missing (the gate counts it in the shared store); failing closed", name)
	}
	count, ok := asCount(v)
	if !ok {
		return false, badFact(name, v, `a count of at least 1: a number, a list, or {"count": n} or {"total": n}`)
	}
	if count == 0 {
		return false, fmt.Sprintf("Fact %s is 0, but the count includes this action; failing closed", name)
	}
	return count <= r.n, fmt.Sprintf("%s: %d %s in the last %d s (counter %s, this one included); the limit is %d",
		who, count, plural(count, "action"), r.window, r.counter, r.n)
}

// --- helpers ---

func missingFact(name, lookup string) string {
	if lookup == "" {
		return fmt.Sprintf("Fact %s is missing (the gate supplies it from the run's journal); failing closed", name)
	}
	return fmt.Sprintf("Fact %s is missing (looked up with %s); failing closed", name, lookup)
}

func badFact(name string, v any, want string) string {
	return fmt.Sprintf("Fact %s is %s, not %s; failing closed", name, jsonKind(v), want)
}

func plural(n int64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// jsonKind names the JSON kind of a value for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	if _, ok := asNumber(v); ok {
		return "a number"
	}
	if _, ok := reflectMap(v); ok {
		return "an object"
	}
	if _, ok := reflectList(v); ok {
		return "a list"
	}
	return fmt.Sprintf("a %T", v)
}

// asNumber converts any Go number (or json.Number) to float64.
func asNumber(v any) (float64, bool) {
	switch t := v.(type) {
	case int:
		return float64(t), true
	case int8:
		return float64(t), true
	case int16:
		return float64(t), true
	case int32:
		return float64(t), true
	case int64:
		return float64(t), true
	case uint:
		return float64(t), true
	case uint8:
		return float64(t), true
	case uint16:
		return float64(t), true
	case uint32:
		return float64(t), true
	case uint64:
		return float64(t), true
	case float32:
		return float64(t), true
	case float64:
		return t, true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}

// asInt converts a whole number to int64.
func asInt(v any) (int64, bool) {
	switch t := v.(type) {
	case int:
		return int64(t), true
	case int8:
		return int64(t), true
	case int16:
		return int64(t), true
	case int32:
		return int64(t), true
	case int64:
		return t, true
	case uint8:
		return int64(t), true
	case uint16:
		return int64(t), true
	case uint32:
		return int64(t), true
	case uint:
		if uint64(t) <= math.MaxInt64 {
			return int64(t), true
		}
		return 0, false
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t), true
		}
		return 0, false
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, true
		}
	}
	f, ok := asNumber(v)
	// 2^63 is exactly representable; anything at or beyond it overflows.
	if !ok || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// asCount reads a count: a non-negative whole number, a list (its length),
// or an object with a "count" or "total" number.
func asCount(v any) (int64, bool) {
	if n, ok := asInt(v); ok {
		return n, n >= 0
	}
	if l, ok := reflectList(v); ok {
		return int64(len(l)), true
	}
	if m, ok := reflectMap(v); ok {
		for _, k := range []string{"count", "total"} {
			if x, has := m[k]; has {
				n, isInt := asInt(x)
				return n, isInt && n >= 0
			}
		}
	}
	return 0, false
}

// reflectMap returns v as a map[string]any when it is any map with string
// keys.
func reflectMap(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case nil:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	out := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		out[it.Key().String()] = it.Value().Interface()
	}
	return out, true
}

// reflectList returns v as a []any when it is any slice or array other than
// []byte.
func reflectList(v any) ([]any, bool) {
	switch t := v.(type) {
	case []any:
		return t, true
	case nil, []byte, string:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

func entryWord(n int64) string {
	if n == 1 {
		return "entry"
	}
	return "entries"
}
