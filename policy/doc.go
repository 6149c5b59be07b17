// Package policy decides whether a run or a connector action may proceed.
//
// An operator writes a policy file (YAML, versioned in Git) that says which
// connector actions exist (the allow list), which built-in policies hold
// with which parameters, and custom rules written in CEL. Load compiles it
// once into an immutable *Policy; Decide then answers one question at a
// time:
//
//   - a run-level decision (Input.Action == nil), taken before anything
//     runs, about the actor, the capability and its inputs;
//   - an action-level decision, taken by the gate for every action a
//     capability asks for, about the action id and its arguments.
//
// Decide is pure and deterministic: the clock (Input.Time) and every fact
// about the outside world (Input.Facts) are inputs; it performs no I/O,
// reads no clock, draws no random numbers and keeps no state. A denial is a
// Decision with Allowed false, never an error. Anything Decide cannot
// evaluate (a missing fact, an argument of the wrong type, a CEL error or a
// CEL expression over its cost limit) is a failed Result: the engine fails
// closed. Every Decision lists each policy evaluated with pass/fail and a
// human reason, ready for a receipt.
//
// # Flow in the gate
//
//	p, err := policy.Load(fileBytes, "policy.yaml")     // once; p.Digest() goes into receipts
//	granted, refused := policy.Grant(p, declaredActions) // refuse the run if refused != nil
//	run := policy.Decide(p, policy.Input{Time: now, Actor: actor, Capability: capRef, Inputs: inputs})
//	// for each action the guest asks for (after checking it is granted):
//	in := policy.Input{Time: now, Actor: actor, Capability: capRef, Inputs: inputs,
//		Action: &policy.Action{ID: id, Args: args}}
//	for _, req := range policy.Requirements(p, in) {
//		// perform req.Action (read-only) with req.Args, or supply run.* facts,
//		// and store the result in in.Facts[req.Name]
//	}
//	dec := policy.Decide(p, in) // record in.Facts and dec in the receipt
//
// # The policy file
//
// A complete example:
//
//	version: 1                       # required; the only version
//
//	actors:                          # roles by email; every matching entry applies
//	  - email: "*@acme.com"          # an email, *@domain, or * (everyone); case-insensitive
//	    roles: [employee]
//	  - email: alice@acme.com
//	    roles: [sales, admin]
//	  - email: bob@agency.example
//	    roles: [contractor]
//	  - email: compliance@acme.com
//	    roles: [auditor]             # reads every actor's runs and receipts
//
//	allow:                           # the action allowlist; absent or empty = nothing allowed
//	  - hubspot.*                    # * matches any run of characters
//	  - github.create_branch
//	  - github.push_commit
//	  - github.create_pr
//	  - postgres.insert_row
//
//	policies:                        # built-ins, evaluated in this order
//	  - use: require_actor_role      # run level by default
//	    with: {allowed_roles: [sales, agent]}
//	  - use: no_duplicate_contacts
//	  - use: limit_tasks_per_contact
//	    with: {max_tasks: 3, window_days: 7}
//	  - use: contractor_cannot_write_pii
//	  - use: no_push_to_main
//	  - use: require_branch_prefix
//	    with: {prefix: agent/}
//	  - use: max_files_per_commit
//	    with: {n: 20}
//	  - use: no_push_during_deploy_freeze
//	    with: {start_utc: "2026-12-20T00:00:00Z", end_utc: "2027-01-04T00:00:00Z"}
//	  - use: within_maintenance_window
//	    name: night_inserts          # optional; default: the built-in's name
//	    with: {start_utc: "22:00", end_utc: "06:00"}
//	    actions: [postgres.*]        # optional scope: replaces the default scope
//	  - use: limit_rows_per_run
//	    with: {n: 1000}
//	  - use: rate_limit              # counted across runs; per actor by default
//	    with: {n: 100, window_seconds: 3600}
//	  - use: require_approval        # holds the action until people approve it (see Approvals)
//	    name: maintainer_merges
//	    actions: [github.merge_pr]   # default scope: every action
//	    with:
//	      when: 'action.args.base == "main"'   # optional CEL condition; absent = always
//	      approver_roles: [maintainer]         # optional; absent or [] = anyone with a role
//	      approvals: 1                         # optional, 1 to 10
//	      expires_after: 24h                   # optional Go duration, 1m to 720h
//	      allow_self_approval: false           # optional
//
//	rules:                           # custom rules in CEL, evaluated after the built-ins
//	  - name: no_weekend_runs
//	    run: true                    # evaluated at run level (default: action level)
//	    deny_if: time.getDayOfWeek() in [0, 6]
//	    reason: Runs are not allowed on weekends (UTC)
//	  - name: small_deals_only
//	    actions: [hubspot.update_deal]  # optional scope (default: every action)
//	    when: has(action.args.amount)   # optional: the rule applies only when true
//	    deny_if: action.args.amount > 10000 && !("admin" in actor.roles)
//	    reason: Deals over 10,000 need an admin
//	    pass_reason: The deal is small enough, or the actor is an admin   # optional
//	  - name: big_refunds
//	    actions: [postgres.insert_row]
//	    require_approval_if: action.args.row.amount > 1000   # held for approval when true
//	    reason: Refunds over 1,000 need finance               # optional with require_approval_if
//	    approval: {approver_roles: [finance], approvals: 2, expires_after: 2h}   # optional
//
//	notify:                          # optional: where new approval requests are announced
//	  webhook_url_env: ENACT_APPROVAL_WEBHOOK   # the env var holding the webhook URL (a secret)
//	  console_url: https://enact.example.com    # optional; links go to <console_url>/ui/approvals/<id>
//
//	secrets: [api_key, password]     # secret inputs: never shown in clear (see Secrets)
//
//	api_tokens:                      # bearer tokens of the HTTP API, by their sha256 (never the token)
//	  - sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	    actor: ci@acme.com           # the run acts for this email, with its roles from actors
//
//	postgres:                        # optional: what the postgres connector may reach
//	  schemas: [public, sales]       # reachable schemas; the first is the default schema
//	                                 # (default: public, plus the schemas tables names)
//	  tables:                        # optional table/column allowlist
//	    customers: [id, email, plan] # unqualified: the default schema
//	    sales.orders: [id, customer_id, total]
//
//	kv:                              # optional: kv namespaces capabilities share
//	  shared:
//	    - namespace: cursors         # the kv namespace syntax: 1 to 64 of A-Z a-z 0-9 _ . -
//	      capabilities: [acme/sync, acme/report]   # capability ids, no globs
//
// Decoding is strict: an unknown field, a key given twice, a value of the
// wrong type, an unknown built-in, a missing or malformed parameter, a
// duplicate policy or rule name, and a CEL expression that does not parse
// or type-check are load errors of the form "name:line: message". Anchors,
// aliases and merge keys are refused; the file may not exceed MaxFileSize.
//
// Roles are the policy's own business, with one exception: the role
// auditor (RoleAuditor) lets an actor read every actor's runs and
// receipts over the HTTP API, MCP and enact.Client.Receipt; every other
// actor reads its own runs only (Policy.Auditor). Roles a caller claims
// for itself (Actor.Roles) never make an auditor.
//
// The kv store keeps each capability's keys apart: whatever namespace a
// call names lives inside the namespace of the run's capability id, so no
// capability reads, lists or changes another's keys. kv.shared names the
// exceptions: each capability listed for a namespace sees the one shared
// namespace under that name (Policy.KVShared); a namespace is listed once.
//
// Policy and rule names are unique in a file; they are the Result.Policy of
// their results. "allowlist" and "policy" are reserved. A policies entry
// has use (required), name, with, actions and run. Setting actions makes
// the entry action-level; run: true makes it run-level, and is accepted
// only by the built-ins marked "run: yes" below, and not together with
// actions. A rules entry has a name (required), exactly one of deny_if,
// allow_if and require_approval_if, a reason (required with deny_if and
// allow_if), and optionally when, pass_reason, actions, run and (with
// require_approval_if only) approval.
//
// plugin_config gives the prebuilt (Extism) plugins of a capability
// configuration values that are not the capability author's to fix, by
// capability id; each value is a string and overrides the capability's own
// plugin.config key of the same name (Policy.PluginConfig):
//
//	plugin_config:
//	  TextStats:
//	    region: eu-west
//
// vars gives the values of capabilities' environment variables (the
// env.vars a capability declares), by capability id (Policy.Vars). Values
// are strings, numbers, booleans or any YAML that has a JSON form; each is
// validated against the capability's schema when a run starts, and never
// quoted in an error. The runner also reads them from its environment
// (ENACT_VAR_<NAME>) and from --env-file; the policy file's value wins:
//
//	vars:
//	  Notify:
//	    SLACK_WEBHOOK_URL: https://hooks.slack.com/services/T000/B000/XXXX
//	    RETRIES: 5
//
// trust names who may sign the capability bundles this runner runs (see
// package plugins/bundle and Trust): each signer is a PEM public key (key)
// or a key id (key_id), optionally limited to repositories (HOST/REPO
// patterns) and capability ids. A bundle from a registry runs only with a
// valid signature of a trusted signer; a local file needs one only when
// require_signatures is true:
//
//	trust:
//	  require_signatures: false
//	  signers:
//	    - key_id: ecdsa-p256:3f5c2a1b9e0d7c44
//	      repositories: [registry.acme.com/capabilities/*]
//
// # Secrets
//
// secrets names the inputs that hold secrets (Secrets); names match input
// members case-insensitively, at any depth. A secret input reaches the
// capability's tasks as it is (inputs are the guest's by design), and the
// task may pass it to an action, whose connector gets the real value. It
// never leaves in clear otherwise: the receipt, the caller's result (CLI,
// HTTP API, MCP), printed output, errors and traces, the stored result of
// an idempotency key and the action journal show "[redacted]" instead,
//
//   - by name: the value of every member so named, in inputs, outputs,
//     facts and action results;
//   - by value: each string under a secret input, and the text of each
//     number, wherever it occurs, inside longer text too. A value shorter
//     than 4 bytes is redacted only where a whole string or number equals
//     it: inside text it would match unrelated words.
//
// Every environment variable of a run (see vars) is a secret by value, the
// same way, whatever its name; the receipt records the variables' names
// and a digest of their values. The built-in no_secret_in_args, on for
// every policy file whether it lists it or not, refuses an action whose
// arguments carry a variable's value, except the actions its allow
// parameter lists for that variable (a webhook URL a capability is meant
// to call).
//
// An invalid secret input is reported without its value ("inputs: /api_key:
// pattern: must match ^sk- (the value is not shown)"). Redaction works on
// the exact bytes: a task that encodes or transforms a secret defeats it.
// The receipts package documentation specifies the redaction of receipts.
//
// # Built-in policies
//
// Each built-in has a default scope (action globs); "writes only" built-ins
// skip read-only actions (see ReadOnly) even inside their scope. Builtins
// lists them programmatically. Each says what it measures: the request
// (the action's arguments as the capability wrote them) or the effect (what
// the action will change, read from the connector as a fact before the
// action runs, and recorded with the decision in the receipt). A policy
// that judges a request normalizes every spelling a connector would take
// for the same object; a fact a policy needs that could not be looked up
// fails it (closed).
//
//	no_duplicate_contacts            scope hubspot.create_contact, writes only
//	    Fails when a contact with the email (args.email or
//	    args.properties.email, trimmed and lower-cased, as the connector
//	    takes it) already exists, or, when the email has a "+tag" or a
//	    trailing dot after its domain, when a contact with its mailbox
//	    (jane+x@acme.com. → jane@acme.com) exists.
//	    Measures: effect, looked up by email and by mailbox. Facts:
//	    hubspot.contact, hubspot.contact_mailbox. Not caught: a new
//	    untagged address whose tagged spellings alone exist, and
//	    provider-specific aliases (dots in a Gmail address).
//	limit_tasks_per_contact(max_tasks, window_days)
//	                                 scope hubspot.create_task, writes only
//	    Fails when the contact (args.contact_id, args.contact_email or
//	    args.email) already has max_tasks tasks created in the window_days
//	    days before Input.Time. Measures: effect, the contact's tasks
//	    counted by HubSpot whichever way the contact is named (its email
//	    trimmed and lower-cased). Fact: hubspot.contact_tasks.<window_days>d.
//	contractor_cannot_write_pii(role: contractor, pii_fields: [email, phone, ...])
//	                                 scope *, writes only
//	    Fails when the actor has role and, at any depth of the arguments:
//	    a key names a PII field; a name/value pair names one ({"property":
//	    "email", "value": ...}: a name, property, propertyName, field, key
//	    or column key whose string value names one); a list under a
//	    columns, fields or properties key contains one; or any string
//	    value contains an email address, whatever its key. A name names a
//	    field when, ignoring case, "_", "-" and " ", it is the field, or
//	    when a run of its words is ("work_email", "hs_additional_emails",
//	    "contactPhoneNumber", "billing_zip"; words split at non-letters
//	    and at case changes, a trailing "s" ignored). The default fields:
//	    email, phone, mobilephone, ssn, social_security_number,
//	    date_of_birth, dob, birthdate, address, street_address, zip,
//	    postal_code, passport_number, national_id, tax_id,
//	    credit_card_number, card_number, iban, bank_account_number,
//	    firstname, lastname, full_name, fax, zipcode, birthday.
//	    Measures: request (every key and string of the arguments; values
//	    other than email addresses are not recognized by shape).
//	require_actor_role(allowed_roles)
//	                                 run level by default (run: yes); scope * when run: false
//	    Fails unless the actor has one of allowed_roles. Measures: the
//	    actor (the roles the policy file and the caller give its email).
//	within_maintenance_window(start_utc, end_utc)
//	                                 scope *, writes only; run: yes
//	    Fails unless Input.Time (UTC) is in [start_utc, end_utc), both
//	    "HH:MM"; the window wraps midnight when end_utc < start_utc.
//	    Measures: the decision time.
//	no_push_to_main(branches: [main, master])
//	                                 scope github.*, writes only
//	    Fails when args.branch or args.ref (and args.base for
//	    github.merge_pr) names a protected branch: compared ignoring case,
//	    surrounding white space and slashes, trailing dots, and any number
//	    of leading refs/heads/, heads/ or refs/ ("refs/heads/Main",
//	    "heads/main/", "refs/heads/refs/heads/main" are all main).
//	    github.push_commit, create_branch, delete_branch and merge_pr
//	    must name their branch (merge_pr its base) or fail. github.create_pr
//	    is not blocked for its base: a pull request into main is the
//	    intended path. Measures: request; the GitHub connector makes it the
//	    effect, writing only to the branch named and merging a pull
//	    request only when args.base is its real base (conflict otherwise).
//	no_push_during_deploy_freeze(start_utc, end_utc)
//	                                 scope github.*, writes only; run: yes
//	    Fails when Input.Time is in [start_utc, end_utc), RFC 3339 instants.
//	    Measures: the decision time.
//	max_files_per_commit(n)          scope github.push_commit, writes only
//	    Fails when the commit would change more than n files, or when that
//	    cannot be measured. Measures: effect: the files whose presence,
//	    mode or content would differ from the branch head's tree, with
//	    every deleted directory and every write over a directory (or
//	    through a file) expanded to the files it removes; rewriting a file
//	    with its own content changes nothing. A single {"path": "src",
//	    "delete": true} counts every file under src/. Fact:
//	    github.commit_changes. args.files must be present (a list, or a
//	    mapping path → content); its length is only reported. The measure
//	    is of the head at the decision: a commit someone else pushes
//	    between it and the push is not re-measured (the push builds on
//	    the head it then reads, never forcing).
//	require_branch_prefix(prefix)    scope github.create_branch, github.push_commit,
//	                                 github.create_pr, github.delete_branch; writes only
//	    Fails unless the branch (args.branch or args.ref; args.head, without
//	    an "owner:" part, for github.create_pr) starts with prefix (case
//	    sensitive), after one leading refs/heads/ or heads/ is stripped, as
//	    the GitHub connector strips it. Measures: request, spelled as the
//	    connector resolves it.
//	no_update_without_where_clause   scope postgres.update*, writes only
//	no_delete_without_where_clause   scope postgres.delete*, writes only
//	    Fail when args.where is missing, null, empty ("", {}, []), not a
//	    string/mapping/list, or a string that is always true ("true",
//	    "1=1", ...). Measures: request. The Postgres connector takes where
//	    only as a non-empty mapping of column = value, so no spelling of
//	    "every row" reaches it; how many rows a where matches is
//	    limit_rows_per_run's measure.
//	limit_rows_per_run(n)            scope postgres.*, writes only
//	    Fails when the rows the run has written plus the rows this action
//	    would write exceed n. Inserts write len(args.rows) rows, or 1
//	    without args.rows; updates and deletes write the rows their where
//	    matches (a fact); any other postgres write fails (unknown count).
//	    Measures: effect: rows written so far are the rows_affected the
//	    connector reported; an update's or delete's rows are counted by
//	    the connector (count_rows, same table and where) before it acts,
//	    not taken from any limit in the request. Rows added between the
//	    count and the write are not counted (the connector's own row cap
//	    bounds them). Facts: run.rows_written, postgres.rows_matching.
//	rate_limit(n, window_seconds, per: actor, counter: actions)
//	                                 scope *, writes only
//	    Fails when more than n actions, this one included, were made in the
//	    window_seconds seconds (at most 31 days) ending at the decision,
//	    counted per actor (per: actor), per capability (per: capability) or
//	    over all runs (per: all); the count spans runs and runners. Entries
//	    with the same counter (a-z, 0-9, _) and per share one count and
//	    must give the same window_seconds; other counters count
//	    separately. Fails when the actor has no email (per: actor) or the
//	    capability no id (per: capability). Measures: effect: the actions
//	    the shared store counted, the actor's email trimmed and
//	    lower-cased. Fact: rate.<counter>.<per>:<subject>.
//	require_approval(when, approver_roles: [], approvals: 1, expires_after: 24h, allow_self_approval: false)
//	                                 scope *, action level only
//	    Holds the action for approval (see Approvals) when when (a CEL
//	    condition over the variables rules see, compiled at load) is
//	    true, or always without when. Passes, "no approval needed: ...",
//	    when it is false; a when that cannot be evaluated fails closed as
//	    a plain denial. Measures: request (and whatever when reads).
//	no_secret_in_args(allow: {})     scope *, on by default
//	    Applies to runs with environment variables (Input.SecretVars),
//	    whether the file lists it or not; listing it gives allow, a map
//	    of variable names to the action globs whose arguments may carry
//	    that variable's value. Fails when a string or number of the
//	    arguments, or a member name, equals a variable's value, or, for a
//	    value of 4 bytes or more, contains it; the reason names the
//	    variable and where, never the value. Measures: request. Not
//	    caught: a value the guest encoded, split or re-cased.
//
// # Facts
//
// Policies that need to know something about the outside world do not
// fetch it. Requirements returns FactRequests; the gate performs each
// read-only lookup and passes its result, unchanged, in Input.Facts[Name].
// A fact a policy needs that is absent from Input.Facts fails that policy;
// a present fact with a nil value is a lookup that found nothing. The
// facts, their lookups and the shapes accepted:
//
//	hubspot.contact                 hubspot.get_contact {"email": e}
//	    e is the contact's email, trimmed and lower-cased. Accepted: null,
//	    false, {} or {"found": false} (no contact); true, {"found": true} or
//	    any other non-empty object (the contact). A not-found contact must
//	    be a null result, not a lookup error.
//	hubspot.contact_mailbox         hubspot.get_contact {"email": m}
//	    m is the mailbox of the contact's email: without the "+tag" of
//	    its local part and the trailing dots of its domain. Asked for only
//	    when m differs from e. Accepted like hubspot.contact.
//	github.commit_changes           github.list_changes {"branch": b, "files": f}
//	    b and f are args.branch and args.files of the push. The connector
//	    answers what the push would change against the branch's head
//	    tree (the default branch's, named by "measured", when the branch
//	    does not exist yet): {"branch", "measured", "head", "entries",
//	    "count", "added", "modified", "deleted", "changes": [{"path",
//	    "change"}, ...] (at most 100), "truncated"}. Accepted: a count like hubspot.contact_tasks (the
//	    connector's object has "count"); null (the branch does not exist)
//	    fails the policy.
//	hubspot.contact_tasks.<N>d      hubspot.count_tasks {"contact_id": id} or {"email": e},
//	                                plus "since" and "until" (RFC 3339, UTC; until = Input.Time,
//	                                since = until - N days)
//	    Tasks of the contact created in [since, until). Accepted: a
//	    non-negative integer, a list (its length), or an object with a
//	    "count" or "total" integer (HubSpot's search response has "total").
//	run.rows_written                (no lookup: Action is "")
//	    Rows this run's earlier postgres actions wrote (the sum of their
//	    rows affected), supplied by the gate from the run's journal, 0 at
//	    the start of a run. A non-negative integer.
//	postgres.rows_matching          postgres.count_rows {"table": t, "where": w}
//	    Rows args.where of an update or delete matches (where omitted when
//	    the action has none). Accepted like hubspot.contact_tasks.
//	rate.<counter>.<per>:<subject>  (no lookup: Action is ""; Args {"window_seconds": s})
//	    The actions made in the s seconds ending at the decision, this one
//	    included, by the subject: the actor's email (trimmed, lower case)
//	    for per actor, the capability id for per capability, * for per all.
//	    Counted are the actions for which Requirements asked for this same
//	    fact, in every run on every runner: the gate counts them in the
//	    shared store. ParseRateFact splits the name. Accepted like
//	    hubspot.contact_tasks, and at least 1.
//
// Numbers may be any Go number type or json.Number; whole floats count as
// integers. Facts are visible to rules as the facts map, so a rule can use
// a fact a built-in asked for (facts.?name.orValue(default) for an
// optional one).
//
// # Rules
//
// Rules are CEL expressions (https://cel.dev) compiled and type-checked at
// load time and evaluated with a cost limit (MaxRuleCost). Variables:
//
//	actor       enact.Actor       actor.email (string), actor.roles (list of string; merged roles)
//	action      enact.Action      action.id (string; "" at run level), action.args (map),
//	                              action.target (map; {} when the connector resolves nothing)
//	capability  enact.Capability  capability.id, capability.version, capability.digest (strings)
//	inputs      map(string, dyn)  the run's inputs
//	facts       map(string, dyn)  Input.Facts
//	time        timestamp         Input.Time; accessors use UTC (time.getHours())
//	dry_run     bool
//
// A misspelt field of actor, action or capability is a load error.
//
// # Names policies see
//
// A policy judges the object an action reaches, not the spelling the
// guest chose. Connectors whose arguments name objects of their system
// (hostfns.Resolver) resolve them before the decision: Input.Action.Args
// are then the canonical arguments and Input.Action.Target describes the
// object. For postgres.* actions (see package hostfns/postgres):
//
//	action.args.table     the canonical spelling: the bare name for a table
//	                      of the default schema (audit_log), schema.name for
//	                      another (archive.audit_log); a part is quoted only
//	                      when it must be ("Audit_Log")
//	action.target.table   the canonical qualified name, always schema.name
//	                      (public.audit_log)
//	action.target.schema  the schema's name, as the catalog has it (public)
//	action.target.name    the table's name, as the catalog has it (audit_log)
//	action.target.columns the columns the arguments name, sorted
//
// So audit_log, public.audit_log, "public"."audit_log" and PUBLIC.AUDIT_LOG
// all reach the policy as args.table audit_log and target.table
// public.audit_log. The rule for names in a policy: an unqualified table
// name means the default schema (the connector's first schema, public
// unless postgres.schemas says otherwise), so compare it with
// action.args.table; compare a qualified one with action.target.table; and
// use action.target.name to match a table in whichever schema it lives
// (deny_if: action.target.name.startsWith("audit")). Names in
// postgres.tables follow the same rule. Column names are the catalog's,
// exactly. A name that reaches nothing the connector may reach (a system
// catalog, the receipt store's schema, a schema or table outside the
// allowlist) is refused before any policy runs.
// Arguments, inputs and facts are dynamic: a whole number is an int, any
// other number a double, and comparisons across int and double work (use
// int() or double() for arithmetic across them). Maps iterate in sorted
// key order so that every evaluation of the same input does the same work.
// The standard library, optional syntax (m.?key.orValue(x)) and the
// cel-go strings extension are available; there is no clock and no I/O.
//
// deny_if fails the rule when true; allow_if fails it when false;
// require_approval_if holds the action for approval when true (see
// Approvals). A rule whose when is false is skipped and not listed. An
// expression that cannot be evaluated (no such key, no matching overload,
// cost limit exceeded) or that yields a non-boolean fails the rule with a
// reason saying so. The reason of a failure is the rule's reason; of a
// pass, pass_reason or a description of the expression.
//
// # Approvals
//
// Some actions should happen only once a person has looked at them. An
// approval policy, the built-in require_approval or a rule with
// require_approval_if, holds such an action: when its condition is true
// its Result is failed (Passed false) with Approval set to what it asks
// for, and its reason says it ("needs 1 approval from role maintainer
// (expires after 24h)", with "; self-approval allowed" when the requester
// may approve; a rule's reason, when it has one, comes first: "Refunds
// over 1,000 need finance: needs 2 approvals from role finance (expires
// after 2h)"). When the condition is false the result passes with the
// reason "no approval needed: ..." (a rule's pass_reason, when given). A
// condition that cannot be evaluated is a failed result without Approval:
// a plain denial, which no approval can lift.
//
// Decision.Held is true when the action is held: it failed, and every
// failed result is an approval policy's. With any other failure (the
// allow list, another built-in, a deny_if) the decision is a plain
// denial, and asking anyone to approve it would be pointless.
// Decision.Approvals lists what each approval policy asks for.
//
// What an approval asks for (Approval), in require_approval's with and a
// rule's approval map alike:
//
//	approver_roles        list of roles; an approver must hold one of them. Absent or []:
//	                      any actor the actors section gives a role.
//	approvals             distinct approvers needed, 1 to 10 (default 1); Approval.Count.
//	expires_after         a Go duration from 1m to 720h (default 24h, DefaultApprovalExpiry):
//	                      how long the request stays open; Approval.Expiry.
//	allow_self_approval   whether the actor who asked may approve (default false).
//
// Approvals apply to actions only: require_approval with run: true, and a
// rule with both require_approval_if and run: true, are load errors. An
// approval binds to the exact action (the capability, the action and the
// digest of its arguments, the actor and the run's idempotency key), which
// a run-level decision does not have.
//
// Decide does not know whether anyone has approved: it stays pure. The
// gate (package hostfns) looks up or creates the request in the receipt
// store when a decision is held, performs the action once the request is
// approved, and refuses it when denied; see package receipts for
// requests, votes and their signed records.
//
// The notify section says where new requests are announced:
// webhook_url_env (required) names the environment variable that holds the
// webhook's URL, so the URL, a secret, never sits in the file; console_url
// (optional) is the console's absolute http or https base URL, without
// query or fragment (a trailing / is dropped), for the link
// <console_url>/ui/approvals/<id> in the message. Policy.Notify returns
// them.
//
// # Testing policies
//
// RunCases runs a cases file (see RunCases for its format) against a
// policy, like `enact-run policy test FILE CASES.yaml`. testdata/cases
// holds this package's conformance cases: each NAME.cases.yaml runs
// against NAME.policy.yaml, and NAME.golden.json records the full decisions
// (go test -run TestConformance -update rewrites them). The same inputs
// seed FuzzDecide.
package policy
