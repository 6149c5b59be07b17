// Package hostfns is the gate between a sandboxed capability and the
// world: the guest ABI through which a plugin asks the host for a
// connector action, and the checks every such request passes.
//
// # The guest ABI
//
// A guest sends one request and gets one reply, both UTF-8 JSON:
//
//	request: {"action": "kv.put", "args": {"key": "greeting", "value": "hello"}}
//	reply:   {"ok": true, "result": {"key": "greeting", "version": 1}}
//	reply:   {"ok": true, "result": {"key": "greeting", "version": 1}, "already_existed": true}
//	reply:   {"ok": false, "error": {"code": "denied", "message": "…",
//	          "policy_results": [{"policy": "require_actor_role", "passed": false, "reason": "…"}]}}
//
// action is "<connector>.<action>" (lowercase letters, digits, '_'); args
// is a JSON object (absent or null means {}). A request is at most
// MaxRequestBytes and must have no other fields; its args may nest objects
// and arrays at most MaxArgsDepth levels deep (deeper is invalid_args,
// refused before the schema or any policy sees them); a reply's result is
// at most MaxReplyBytes. Exactly one of result and error is present. The
// error codes are stable: invalid_request, not_granted, invalid_args,
// denied, approval_required, connector_error, not_found, conflict,
// rate_limited, unauthorized, unavailable, timeout, internal.
// already_existed says the connector's check-before-act found the effect
// already in place and changed nothing.
//
// approval_required says a policy (require_approval, or a rule's
// require_approval_if) holds the action until a person approves it; the
// action was not performed:
//
//	reply:   {"ok": false, "error": {"code": "approval_required",
//	          "message": "action github.merge_pr is held for approval apr_…: needs 1 approval from role maintainer (expires after 24h); retry with the same idempotency key once approved",
//	          "policy_results": [{"policy": "require_approval", "passed": false, "reason": "needs 1 approval from role maintainer (expires after 24h)"}]}}
//
// A guest may handle it like any refusal, but the run ends PENDING
// whatever it does, and its idempotency key is free: the agent retries with
// the same key and inputs once the request is approved, the earlier
// actions replay (their connectors find what was done under the same
// derived keys) and the held action is performed, once. A denied request
// refuses the action with denied (the message says who denied it and why)
// and the run ends blocked; an expired one is asked again as a new
// request. A dry run asks no one: the action's result is
// {"dry_run": true, "planned": true, "approval_required": true}. A run
// without an idempotency key asks no one either: the approval would be
// bound to nothing a retry could match, so the action is refused with
// denied and a message asking to run again with a key.
//
// The transports, one per kind of guest:
//
//   - Extism plugins import extism:host/user.enact_call (i64) -> i64: the
//     argument is the offset of the request in Extism memory, the result
//     the offset of the reply. Go plugins use plugins/pdk:
//     pdk.Call("kv.put", args) returns the result or a *pdk.ActionError.
//   - Python tasks get a global `enact`: enact.call(action, args) returns
//     the result or raises enact.ActionError (with .code, .message,
//     .policy_results); enact.kv.put(key="a", value=1) is the same call;
//     enact.request(action, args) returns the whole reply and never raises.
//     Underneath, the CPython engine's module _enact: _enact.call(request)
//     -> reply, over the engine's imports enact.call(request, length) ->
//     reply length and enact.reply(buffer, length) (see
//     plugins/engines/cpython/enact_python.c).
//   - JavaScript tasks get the same `enact` object: enact.call,
//     enact.kv.put({...}), enact.request, enact.ActionError (with .code and
//     .policyResults). Underneath, a QuickJS function proxy reaches the
//     host's env.jsFunctionProxy.
//
// A guest that imports anything else is refused before it runs (package
// plugins); a request for an action outside the run's grant never reaches
// a connector.
//
// # The gate
//
// A Handler answers the requests of one run. The gate's handler runs, for
// every request, in this order: decode (size-capped, copied out of guest
// memory) → grant (the operator's allowlist ∩ the actions the capability
// declares under x-enact.actions) → arguments against the action's JSON
// Schema → resolve → policy → approval (when a policy holds the action) →
// record the intent → connector → record the outcome → reply. Denials and connector errors are replies the guest can
// handle, and every one of them is recorded in the run's receipt.
//
// Resolve is for connectors whose arguments can name one object in many
// spellings (Resolver; postgres: audit_log, public.audit_log,
// "public"."AUDIT_LOG"...): the connector looks the names up and returns
// the arguments in their canonical spelling and a target describing the
// object. The policy judges those canonical arguments and sees the target
// as action.target; the connector is called with them and the journal
// holds them; the receipt records the target (args_digest stays the
// digest of the arguments as the guest sent them). A name that reaches
// nothing the connector may reach is refused there, before any policy.
//
// Facts a policy asks for come from read-only connector actions, from the
// run itself (run.rows_written), or from the store (rate.*: the action is
// counted in the store's Counters, and the count is given back when the
// action is refused or is a dry run). The intent of a mutating action is
// written to the store's journal (receipts.Ledger) before the connector is
// called; if it cannot be written the action is refused with unavailable.
// An action a policy holds for approval is bound to exactly what would be
// done (receipts.Binding: the capability's id, version and digest, the
// action, the digest of its canonical arguments, the actor, the run key and
// the action's position): the gate finds the request with that binding in
// the store's receipts.Approvals or creates one (and announces it through
// Config.Notify), and performs the action only when that request is
// approved. Changed arguments, another key or another capability are
// another request.
// The connector gets a derived idempotency key, "<run key>:<seq>", the
// same for a retry of the run, so its check-before-act finds what an
// earlier attempt did; the run key is the actor's idempotency key under
// the actor's name (RunKey), or the run id, so two actors' keys never
// meet. It also gets the run's capability id (CallOptions.Capability). Connectors that can tell whether an action took
// effect without acting implement Checker; recovery asks them about the
// actions a dead runner left open.
//
// Connectors implement Connector; each lives in a package of its own under
// hostfns (kv: the embedded key-value store) and imports nothing of Enact
// but this package. connectortest is the contract every connector passes.
package hostfns
