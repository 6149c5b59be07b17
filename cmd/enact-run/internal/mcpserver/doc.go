// Package mcpserver serves Enact capabilities as Model Context Protocol
// tools, over stdio (enact-run mcp) and streamable HTTP (enact-run serve, at
// /mcp), with github.com/modelcontextprotocol/go-sdk.
//
// # Tools
//
// Every capability loaded from the configured directory (files ending .yaml
// or .yml, except *.policy.yaml), and, when asked, the shipped examples and
// reference workflows, becomes one tool. A capability in the directory
// replaces a shipped one with the same id; of two files in the directory with
// the same id, the first by file name is served and the other is skipped. A
// file that does not load is logged and skipped: it never takes the listing
// down.
//
// The tool name is derived from the capability id, because MCP clients
// accept only names matching ^[a-zA-Z0-9_-]{1,64}$:
//
//  1. every character outside [a-zA-Z0-9_-] becomes '_' ("acme/crm.sync"
//     becomes "acme_crm_sync"), and the result is cut to 64 bytes;
//  2. when several served ids map to the same name, the id that already is
//     that name keeps it, and every other one gets the name cut to 55 bytes,
//     '_' and the first 8 hex digits of the SHA-256 of its id
//     ("acme_crm_sync_1f0c2a9e").
//
// A name therefore depends only on the set of ids served, not on the order
// files are read in. The description is the capability's description
// followed by its id and version.
//
// The input schema is the capability's inputs schema (root type object,
// JSON Schema draft 2020-12; a capability that declares another $schema is
// skipped) with one reserved optional property added:
//
//	"_enact_idempotency_key": {"type": "string", "minLength": 1, "maxLength": 256}
//
// It is removed from the arguments before the inputs are validated and
// becomes the run's idempotency key: a retry with the same key is
// deduplicated by the runtime. The key can also be passed as the request
// metadata "enact/idempotency_key" (params._meta); when both are given they
// must be equal. A capability that declares an input of that name itself
// keeps it as an input, and takes its key from the metadata only.
//
// The output schema is the capability's outputs schema when it has one with
// root type object. The annotations are: readOnlyHint when the capability
// declares no mutating action; destructiveHint when it declares a mutating
// action named delete, merge, delete_* or merge_*; idempotentHint always
// (retries with a key are deduplicated); openWorldHint when it declares any
// action.
//
// # Calls
//
// A call runs the capability exactly like enact-run run, through the
// configured Runner, as the configured actor (or, over HTTP, as the UserID
// of the bearer token the auth middleware verified). The result is:
//
//   - PASS: structuredContent holds the outputs and a text block holds the
//     same JSON; _meta holds "enact/status" and "enact/receipt_id".
//   - BLOCK or FAILED: isError, a text block "BLOCK denied: <reasons>" or
//     "FAILED <code>: <message>", and _meta with "enact/status",
//     "enact/error_code" and "enact/receipt_id". A denial is a tool result,
//     not a protocol error, so the model sees the policy's reasons.
//   - PENDING (an action held for a person's approval): not an error
//     result; a text block "PENDING: action <id> is held for approval
//     apr_…" with who must approve, the expiry, the console link when
//     configured, and how to resume: call the tool again with the same
//     arguments and idempotency key once the request is approved (the
//     held action is then performed exactly once). _meta holds
//     "enact/status", "enact/receipt_id", "enact/error_code"
//     (approval_required) and "enact/approval_id".
//
// Every result of a run also carries the run report under _meta
// "enact/report": the object "enact-run run --json" prints and the HTTP
// API answers (status, run_id, outputs, error, digest, actions with their
// decisions, reasons and approvals, steps, duration_ms, replayed,
// receipt_hash, approval), without the receipt envelope, which is the
// resource enact://receipts/{run_id}. structuredContent stays the
// capability's outputs.
//   - a run that could not start (invalid inputs, a plugin that fails its
//     checks, a runner failure): isError with the message, and
//     "enact/error_code" in _meta when the error has one.
//
// An unknown tool name is a protocol error (invalid params).
//
// # Messages that are not acceptable
//
// One bad message never ends a session. ServeStdio frames the lines itself
// (Config.MaxMessageBytes, 4 MiB by default: the rest of a longer line is
// read and discarded, never held) and checks each one with a byte scanner
// before the go-sdk decodes it (Config.MaxDepth, 64 levels by default). A
// refused message is answered alone, with its id when it is a request whose
// id can be read (else id null) and "enact/error_code" in the error's data:
//
//	-32600 too_large          longer than MaxMessageBytes
//	-32700 invalid_utf8       not UTF-8
//	-32602 too_deep           params nest deeper than MaxDepth (-32600 elsewhere)
//	-32700 parse_error        not JSON, or more than one value on the line
//	-32600 batch_unsupported  a JSON array
//	-32602 duplicate_key      an object in params repeats a key (-32600 elsewhere)
//	-32600 invalid_request    not an object, "jsonrpc" not "2.0", an id that is
//	                          neither a string nor an integer within 2^53, a
//	                          "method" that is not a string, neither a method
//	                          nor a result, params that are not an object
//
// A notification or a response that is JSON but refused is dropped and
// logged: nobody waits for an answer, and an error carrying a response's id
// would be taken for the answer to the client's own call of that id.
//
// HTTPHandler checks POST bodies the same way (400, or 413 when too large,
// with the same JSON-RPC error) and bounds the sessions: a session closes
// after Config.HTTPSessionIdle without a request (10 minutes by default),
// and while Config.MaxHTTPSessions are open (1000 by default) a new one is
// refused with 503, Retry-After and a JSON-RPC error (-32000
// too_many_sessions); no open session is evicted for it.
//
// # Receipts
//
// With Config.Receipts set, the receipt of a run is the resource
// enact://receipts/{run_id} (a template in resources/templates/list):
// its text is the stored envelope, to verify with the runner's public
// keys. A caller reads its own actor's runs only, unless the policy gives
// it the auditor role; another actor's run id gets the same
// resource-not-found error as an unknown id. Idempotency keys are per
// actor too, so a refused call names only the caller's own run.
package mcpserver
