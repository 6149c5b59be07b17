// Package receipts defines the receipt, the signed and hash-chained record of
// one run, and keeps chains of receipts in stores that verify them. This
// documentation is the specification of the format, version
// "enact.receipt/v1".
//
// # Receipt
//
// A receipt records who asked for a run, what ran, what every policy said,
// every action the run asked for and what became of it, and the outcome. It
// is written for every run: passed, blocked, failed, timed out or trapped.
// Its body is a JSON object whose members are all present, except those
// marked optional; an absent list is [] and an absent object {}, never null.
//
//	version          "enact.receipt/v1"
//	run_id           the run's id: 1 to 128 of [A-Za-z0-9._-], starting with a
//	                 letter or digit; unique in a chain
//	seq              position in the chain: 1, 2, 3, … without gaps
//	prev             hash of the previous receipt ("sha256:<hex>", see
//	                 Envelope); "" exactly when seq is 1
//	capability       {"id", "version", "digest"}: what ran (the seed's
//	                 "workflow"); digest is "sha256:<hex>" of the document;
//	                 and "bundle" when the capability came as a bundle (a
//	                 file on disk or from a registry, see plugins/bundle):
//	                 {"digest": the bundle digest over the document and every
//	                 file it references, "signer": the key id of the trusted
//	                 signature or absent when unsigned, "ref": the
//	                 oci://HOST/REPO:TAG or @sha256 reference it was pulled
//	                 by, absent for a local file, "manifest": the registry
//	                 manifest's digest, absent for a local file}
//	actor            {"email", "roles": [strings]}: who asked
//	inputs           object: the run's inputs, the value of every secret input
//	                 replaced by "[redacted]" at any depth, and secret values
//	                 redacted wherever else they occur (see Redaction)
//	vars             {"names": [strings], "digest"}: the environment variables
//	                 the run had, sorted, and "sha256:<hex>" of their values as
//	                 canonical JSON (Digest); absent when it had none. The
//	                 values themselves are secrets and never recorded
//	policy_digest    digest of the policy file that decided
//	policy_results   [{"policy", "passed", "reason"}]: run-level policies, in
//	                 the order they were evaluated
//	decision         "PASS", "BLOCK" (a run-level policy refused), "FAILED",
//	                 "PENDING" (an action was held for a person's approval;
//	                 see Approvals), or in an approval record "APPROVED" or
//	                 "DENIED"
//	status           free text: "completed", "dry_run", "recovered",
//	                 "pending_approval", "approval" (an approval record), …
//	actions          [action]: every action the run asked for, in order,
//	                 whatever the gate decided (below)
//	plugins          [{"task", "digest"}]: the plugin that ran each task; a
//	                 prebuilt plugin also has "config_keys" (sorted) and
//	                 "config_digest" ("sha256:" and the hex SHA-256 of its
//	                 Extism configuration as a JSON object with sorted keys;
//	                 the values never appear) when it had a configuration,
//	                 and "logs" [{"level", "message"}] when it logged
//	idempotency_key  the run's idempotency key; "" if none
//	outputs          object: the run's outputs
//	error            optional {"code", "message"}: why the run failed
//	steps            optional, a composite's run only: [{"id", "capability"
//	                 {"id", "version", "digest"}, "status" (passed, failed,
//	                 skipped or not_run), "run_id" and "receipt" (the hash of
//	                 the step's own receipt; both absent when the step did not
//	                 run), "replayed" (optional, true: an earlier run of the
//	                 step's key), "error" (optional)}], in document order
//	parent           optional, a composite's step's run only: {"run_id",
//	                 "step"}: the composite run and the step it ran for
//	approval         optional, present exactly in an approval record (decision
//	                 APPROVED or DENIED): the vote it records (see Approvals)
//	started          when the run started
//	finished         when it ended
//	duration_ms      number: milliseconds, fractional (microsecond resolution)
//	timestamp        when the receipt was sealed
//
// An action:
//
//	seq              position within the run, from 1
//	action           the action id: "kv.put", "github.create_pr", …
//	args_digest      "sha256:<hex>" of the canonical JSON of the arguments
//	                 (Digest); the arguments themselves are not recorded
//	decision         "allowed" (policy allowed it and it succeeded), "denied"
//	                 (refused before any connector ran: not granted, invalid
//	                 arguments, a policy, or a denied approval), "failed"
//	                 (allowed, but the connector failed or its outcome is
//	                 unknown) or "held" (not performed: a policy requires a
//	                 person's approval first, and the request is pending or
//	                 expired)
//	policy_results   action-level policies, as above
//	facts            object: the facts the gate looked up for the policies
//	target           optional object: the objects the arguments name, as the
//	                 connector resolved them before the policy ran (postgres:
//	                 {"table": "public.audit_log", "schema", "name",
//	                 "columns"}); absent for connectors that resolve nothing
//	result           optional, any JSON: the connector's result
//	error            optional {"code", "message"}, code a stable string
//	                 ("denied", "not_granted", "invalid_args",
//	                 "connector_error", "timeout", …); never with result
//	already_existed  bool: the effect was already in place (idempotent retry)
//	approval         optional {"request", "state", "approvers", "records"}:
//	                 the approval request ("apr_…") that held the action
//	                 (state pending, denied or expired) or let it through
//	                 (approved, with the approvers' emails and the run ids of
//	                 their approval records, both optional lists)
//	started          when the gate received the call
//	duration_ms      as above
//
// # Redaction
//
// A receipt never holds a secret in clear. The secret inputs are those the
// policy file names under secrets: (policy.Policy.Secrets), matched
// case-insensitively at any depth of the inputs; every value of the run's
// environment variables is a secret value too (NewRedactorWith). Before a
// receipt is sealed (so it verifies as redacted) a Redactor built from the
// run's inputs and variables replaces with the marker "[redacted]"
// (Redacted):
//
//   - by name: the value of every member named like a secret input, in the
//     inputs, the outputs, the facts, the action results and targets;
//   - by value: every secret value (each string leaf under a secret input,
//     and the text of each number leaf) wherever it occurs: inside longer
//     strings of the inputs, outputs, facts, action results, and the
//     messages of errors and policy reasons, and in member names. A value
//     of MinRedactLen (4) bytes or more is replaced wherever it occurs,
//     longest values first; a shorter one only where a whole string or
//     number equals it, since it would match inside unrelated text. Its
//     forms escaped inside a JSON or Go string literal are replaced too.
//
// A number equal to a secret value becomes the string "[redacted]". The
// run_id, the digests (args_digest included), the codes, the actor and the
// times are left as they are. The same redactor is applied to everything
// else said about the run: the caller's result, its printed output and
// error trace, the stored result of its idempotency key, and the journal
// (whose intent keeps no arguments at all when they hold a secret value, so
// recovery reports such an action ambiguous). Redaction works on the exact
// bytes: a guest that encodes, splits or re-cases a secret defeats it; it
// protects against echoes, not against a capability written to exfiltrate.
//
// Times are RFC 3339 in UTC ("Z") with up to nine fractional digits, no
// trailing zeros; a zero time is "0001-01-01T00:00:00Z". A reader rejects a
// body with a member this list does not name: a new member is a new version.
//
// # Encoding
//
// The body is the receipt as canonical JSON (RFC 8785, JCS), made HTML-safe:
// members sorted by their UTF-16 code units, no insignificant whitespace,
// numbers printed as ECMAScript prints IEEE 754 doubles (so an integer beyond
// 2^53 loses precision: keep such ids in strings), strings minimally escaped
// (non-ASCII text appears as UTF-8) except that '<', '>', '&', U+2028 and
// U+2029 are written \u003c, \u003e, \u0026, \u2028 and \u2029. Those five
// are what HTML-escaping JSON encoders (Go's encoding/json by default)
// rewrite when they re-encode embedded JSON; with none of them left, a body
// copied by such an encoder keeps its bytes, and its hash. Seal produces
// this form. Digest, by contrast, hashes plain RFC 8785 JCS, so that anyone
// holding the arguments can recompute it with a JCS library.
//
// # Envelope
//
// A sealed receipt is an envelope, exactly
//
//	{"body":<body>,"hash":"<hash>","signatures":[<signature>,…]}
//	<signature> = {"alg":"<alg>","key_id":"<key id>","sig":"<base64>"}
//
// with the members in this order and no whitespace: the one valid encoding
// (Envelope.MarshalJSON); a reader rejects any other, surrounding whitespace
// aside. The body is kept as its exact bytes. hash is "sha256:" and the
// lowercase hex sha256 of those bytes. Every signature signs those exact bytes:
//
//	alg "hmac-sha256"  sig: HMAC-SHA256(secret, body)
//	                   key id: "hmac:" + the first 16 hex digits of
//	                   sha256(HMAC-SHA256(secret, "enact.receipt hmac-sha256 key id"))
//	alg "ed25519"      sig: Ed25519(private key, body)
//	                   key id: "ed25519:" + the first 16 hex digits of
//	                   sha256(the 32-byte public key)
//
// sig is standard base64 with padding (RFC 4648 §4), in its canonical form.
// Stores seal with one key of each: the HMAC proves a receipt to whoever holds
// the secret (the seed's signature); the Ed25519 signature proves it to anyone
// holding the public key (Keyring.PublicKeys).
//
// An envelope embedded in other JSON must be copied byte for byte, as
// encoding/json does with or without HTML escaping; an indenting or
// reformatting encoder changes the body, and the copy no longer verifies.
//
// # Verification
//
// A reader verifies, then parses (Open, Envelope.Verify):
//
//  1. The envelope is in its valid encoding; otherwise ErrMalformed.
//  2. hash is the sha256 of the body bytes; otherwise ErrHashMismatch.
//  3. Every signature has a known alg and canonical base64 (otherwise
//     ErrMalformed). A signature by a key the reader holds must verify
//     (otherwise *InvalidSignatureError). A signature by another key is an
//     *UnknownKeyError if the reader holds any key of its alg, and is skipped
//     if it holds none: a third party with only Ed25519 public keys skips the
//     HMAC signature. At least one signature must verify (otherwise
//     *UnknownKeyError).
//  4. Only then is the body decoded. A member this specification does not
//     name, another version, or a broken rule above is ErrMalformed.
//
// # Chain
//
// A store holds one chain. Because seq and prev are inside the signed body, a
// walk of the chain (Store.Verify) detects a receipt that was altered,
// removed, reordered, replaced by another chain's or re-signed, and reports
// the first broken link as a *ChainError: the seq where the chain stops
// verifying (all before it verified), the run id stored there and what is
// wrong. A store also keeps a head record, the seq and hash of its last
// receipt, updated with every append, so that removing receipts from the end
// of the chain is detected too (as a break after the last receipt left),
// unless whoever removed them also rewrote the head record. Only an anchor
// kept elsewhere can reveal that: record VerifyReport.HeadSeq and HeadHash
// outside the store and check that a later walk still contains them. A store
// whose last receipt and head record disagree refuses to append.
//
// # Stores
//
// SQLiteStore, the default, keeps a chain in an SQLite file (WAL mode, full
// sync):
//
//	receipts(seq INTEGER PRIMARY KEY, run_id TEXT UNIQUE, hash, actor,
//	         capability, decision, timestamp, envelope BLOB)  -- exact bytes
//	head(id = 1, seq, hash)                                   -- head record
//
// An append reads the head and writes the receipt and the head record in one
// BEGIN IMMEDIATE transaction, so processes sharing the file serialise;
// appends queued in one process share a transaction (group commit).
//
// PostgresStore keeps the same tables in the schema "enact" of a Postgres
// database, for runners on many machines sharing one chain: an append locks
// the head record (SELECT … FOR UPDATE) and writes in the same transaction.
// Both database stores create and upgrade their schema from numbered SQL
// files embedded in the binary (migrations/sqlite, migrations/postgres),
// each applied once: PRAGMA user_version counts them in SQLite, the table
// enact.schema_migrations in Postgres (under an advisory lock).
//
// DirStore keeps a chain in a directory, the seed's receipts/ layout: one file
// per receipt named "<seq, 10 digits zero-padded>-<run_id>.json" holding the
// exact envelope bytes, and HEAD holding the head record as
// {"seq":N,"hash":"sha256:…"}. An append holds an flock on .lock, writes the
// receipt to a temporary file, syncs it, renames it into place, then writes
// HEAD the same way; HEAD one receipt behind is accepted (an interrupted
// append). Receipt files are mode 0600 in a directory of mode 0700.
//
// # Ledger: idempotency keys and the write-ahead journal
//
// Both database stores are also a Ledger, in the same database as the
// chain:
//
//	run_keys(key PRIMARY KEY, digest, run_id, state, result, owner,
//	         created, updated)     -- state: running | finished | released
//	runs(run_id PRIMARY KEY, run_key, owner, meta, created)
//	journal(run_id, seq, action, args_digest, action_key, args, state,
//	        detail, created, updated)
//	        -- state: intent | completed | failed | not_performed | ambiguous
//
// A run with an idempotency key claims it first (ClaimKey): new, replay of
// the finished run's stored result, in_progress while its owner lives,
// idempotency_mismatch for another request digest, ambiguous when its dead
// owner left an intent open. Before a mutating action reaches its
// connector the gate writes its intent (Intend: with the run's first
// intent, the run's description, so recovery can seal its receipt; the
// arguments, kept until the outcome so recovery can ask the connector);
// after, its outcome. Times are unix nanoseconds, taken from the newest
// time the ledger has seen when the clock is behind it, and in Postgres
// from the database server's clock.
//
// An owner is the process running a run ("host:pid"; in Postgres with a
// random suffix). It is dead when its pid is gone from this host (SQLite),
// or when the session advisory lock each PostgresStore holds for its owner
// is free (Postgres: the lock goes with the runner's connection). Unfinished
// lists the runs of dead owners with open intents or keys; recovery takes
// each over (TakeOver, one recoverer wins), records what the connectors
// found (Outcome), and seals or releases; an ambiguous run is handed back
// (Abandon). Postgres intents are fenced: a run taken over can no longer
// journal actions from its old owner.
//
// The database stores also keep the counts rate-limit policies need
// (Counters), one row per counted action:
//
//	counter_events(id PRIMARY KEY, key, at, expires)
//
// Reserve inserts the action's row and counts the key's rows in the window
// in one transaction (serialised per key by the write lock in SQLite, by
// an advisory lock on the key in Postgres), so concurrent actions on any
// runner get distinct counts; Release deletes the row of an action that
// did not go ahead; Prune drops rows past their window.
//
// # Approvals
//
// A policy may require a person's approval before an action (package
// policy: require_approval, require_approval_if). The gate then asks the
// store for an approval request bound to exactly that action (Approvals;
// both database stores implement it, DirStore does not):
//
//	binding   {"capability_id", "capability_version", "capability_digest",
//	          "action", "args_digest", "actor" (the requester's email, lower
//	          case), "run_key" (the run's key, "" without an idempotency
//	          key), "seq" (the action's position in the run)}
//
// The binding digest (Digest of the binding) identifies the request: a
// retry that differs in any member (other arguments, another capability
// version, another actor or key) is another request, and an approval of
// one never lets the other through. A request has an id, "apr_" and 26
// characters of [a-z2-7] (128 random bits), the requirements of the
// policies that held the action (each: count distinct approvers holding
// one of its roles, or any role when it names none, so that an approver
// with no role at all never qualifies; whether the requester may be one of
// them; how long the request stays open), the run that asked first, the
// arguments with secrets redacted and the policies' reasons, for the
// approver to read.
//
// States: pending until decided; approved when every requirement has its
// count of distinct approvers that qualify for it; denied by the first deny
// of an approver who may vote; expired when still pending at its expiry
// (the creation time plus the shortest requirement's expiry, unless the
// caller sets it). Expired is computed when read, at the reader's clock; it
// is not stored. Approved and denied are final and stay so when read after
// the expiry.
//
// A request is live while its expiry is in the future, whatever its state.
// RequestApproval returns the live request of a binding, or creates a
// pending one: a retry finds the request it was held on, an approved
// request lets the action through until it expires, a denied one refuses
// it until then; after the expiry a retry creates a new request. Requests
// of one binding are created one at a time (the write lock in SQLite, an
// advisory lock on the binding digest in Postgres), so concurrent callers
// get one request.
//
// Vote records one approver's decision. It is refused (ApprovalError
// codes) when the request is no longer pending (not_pending), is past its
// expiry (expired), when the approver already voted on it
// (already_voted), holds none of the roles of any requirement
// (not_an_approver), or is the requester and some requirement the
// requester qualifies for does not allow self-approval (self_approval).
// The requester's approval counts only for requirements that allow it.
// Approver emails are compared without case. A vote is judged and written
// under the request's lock (the write lock in SQLite, the request's row
// locked FOR UPDATE in Postgres), so concurrent votes serialise: of ten
// approvers answering a request that needs one, one approves it and the
// others are refused not_pending.
//
// Each accepted vote is sealed into the chain as an approval record, in
// the vote's own transaction (the vote and its record are stored together
// or not at all), after the chain's last receipt like any append. An
// approval record is a receipt with:
//
//	run_id      "apv-<request id>-<n>": the request's n-th vote, from 1
//	capability  the binding's capability (id, version, digest)
//	actor       the approver: {"email", "roles"} as the vote gave them
//	decision    "APPROVED" for an approve vote, "DENIED" for a deny
//	status      "approval"
//	approval    {"request", "binding", "binding_digest", "approve",
//	            "reason" (optional), "state"}: what exactly was decided,
//	            and the request's state after this vote (pending or
//	            approved after an approve, denied after a deny)
//	inputs, outputs {}; policy_results, actions, plugins [];
//	idempotency_key ""; started and finished the vote's time
//
// A reader rejects an approval record without approval, whose run_id does
// not name its request, whose approve disagrees with its decision, whose
// binding_digest is not the digest of its binding, or that has actions,
// plugins or steps; and a run's receipt (PASS, BLOCK, FAILED, PENDING) with
// approval. A held run's receipt has decision PENDING, and its held action
// decision "held" with its approval; the retry that performs the action
// after approval records it allowed with approval state approved, the
// approvers and their records, so the chain links the action to the votes
// that allowed it.
//
// The database stores keep requests and votes beside the chain (times in
// unix nanoseconds; JSON in text columns, the empty string when absent):
//
//	approval_requests(n (insertion order), id UNIQUE, binding_digest,
//	         binding, requirements, actor, run_id, state, created, expires,
//	         decided (0 while pending), args, reasons)
//	         -- state: pending | approved | denied
//	         -- indexes: (binding_digest, expires), (state, expires),
//	         --          (actor, created), (run_id)
//	approval_votes(request, n, approver, roles, approve, reason, time,
//	         record UNIQUE)  -- PRIMARY KEY (request, n),
//	                         -- UNIQUE (request, approver)
//
// ListApprovals lists requests newest first (by creation time), selected by
// state (expired computed at the filter's time), requester or run.
//
// # Keys
//
// A Keyring lives in a directory (the CLI uses $ENACT_HOME/keys, mode 0700)
// as keyring.json (mode 0600): {"version":1,"keys":[{"alg","key","created"}]},
// key being the base64 HMAC secret (32 bytes from crypto/rand) or Ed25519
// seed. The last key of each alg is current and signs; Rotate appends new
// ones and the older keys stay to verify older receipts. The first use
// creates the file under an flock on .lock, so processes starting together
// share one keyring.
//
// # Example
//
// ExampleSeal seals this receipt with the HMAC secret of 32 bytes 'k' and the
// Ed25519 key whose seed is 32 bytes 's' (public key
// /sFChnP2r+iSZLOAc0SuiyadElpQOFUgJofbWnEoV58=). The envelope is shown
// indented; the stored bytes are the same without the whitespace between
// tokens.
//
//	{
//	  "body": {
//	    "actions": [
//	      {
//	        "action": "kv.put",
//	        "already_existed": false,
//	        "args_digest": "sha256:70d1f39bbdf4662841088aba98df4925da43e70ea48f50355078351fce251b6a",
//	        "decision": "allowed",
//	        "duration_ms": 0.25,
//	        "facts": {},
//	        "policy_results": [],
//	        "result": {
//	          "ok": true
//	        },
//	        "seq": 1,
//	        "started": "2026-01-02T03:04:05.002Z"
//	      }
//	    ],
//	    "actor": {
//	      "email": "ops@example.com",
//	      "roles": [
//	        "operator"
//	      ]
//	    },
//	    "capability": {
//	      "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
//	      "id": "demo/hello",
//	      "version": "1.0.0"
//	    },
//	    "decision": "PASS",
//	    "duration_ms": 5,
//	    "finished": "2026-01-02T03:04:05.005Z",
//	    "idempotency_key": "",
//	    "inputs": {
//	      "name": "Ada \u0026 Bob",
//	      "token": "[redacted]"
//	    },
//	    "outputs": {
//	      "message": "hello, Ada \u0026 Bob"
//	    },
//	    "plugins": [],
//	    "policy_digest": "",
//	    "policy_results": [],
//	    "prev": "",
//	    "run_id": "0f6e2b1c-run",
//	    "seq": 1,
//	    "started": "2026-01-02T03:04:05Z",
//	    "status": "completed",
//	    "timestamp": "2026-01-02T03:04:05.005Z",
//	    "version": "enact.receipt/v1"
//	  },
//	  "hash": "sha256:22cf6a7e8640c1aaf19d11c1a1ca37597d48931ab17edba829119a5ae711c6a9",
//	  "signatures": [
//	    {
//	      "alg": "hmac-sha256",
//	      "key_id": "hmac:4943b80109535bb9",
//	      "sig": "o9xkx/UHMgVRAe18VGG0HmjiVyRJzoQfXGILxsCJFWM="
//	    },
//	    {
//	      "alg": "ed25519",
//	      "key_id": "ed25519:fb199ef924705393",
//	      "sig": "ZcLUYBNFlfhuv2CGd3Q2thVohOGhdzlOCiUeh3To7itKqno9HvcC3xWUpWiUMNzrXUq7jr/PsbmUdb1ayc0ECw=="
//	    }
//	  ]
//	}
//
// The args_digest is the sha256 of {"key":"greeting","value":"hello"}; the
// '&' of the inputs and outputs is written \u0026. The hash covers the body's
// bytes from its opening '{' to its closing '}'; both signatures sign the
// same bytes. TestDocExample checks this example.
package receipts
