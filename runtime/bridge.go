package runtime

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/enact-run/enact/hostfns"
)

// The guest ABI's entry points inside the interpreters. Both carry one
// JSON request string in and one JSON reply string out (the envelope is
// specified in package hostfns); the scripts' `enact` objects wrap them:
// JavaScript's is defined below, Python's in python/boot.py, over the
// CPython engine's enact.call and enact.reply (see python.go).

// javascriptBridge serves `__enact_host(request)` from JavaScript: QuickJS
// calls jsFunctionProxy with the proxy's own four values first, then the
// caller's arguments; the reply becomes a new JavaScript string.
func javascriptBridge(ctx context.Context, inst *instance, argc, argv uint32) uint64 {
	jsctx := uint64(inst.handle)
	var reply []byte
	if argc < 5 {
		reply = hostfns.ErrorReply(hostfns.CodeInvalidRequest, "__enact_host takes one string: the JSON request")
	} else {
		b, err := inst.read(argv+4*8, 8)
		if err != nil {
			panic(err)
		}
		req, err := jsString(ctx, inst, binary.LittleEndian.Uint64(b))
		if err != nil {
			reply = hostfns.ErrorReply(hostfns.CodeInvalidRequest, err.Error())
		} else if len(req) > hostfns.MaxRequestBytes {
			reply = hostfns.ErrorReply(hostfns.CodeInvalidRequest, fmt.Sprintf("the request is %d bytes; the limit is %d", len(req), hostfns.MaxRequestBytes))
		} else {
			reply = hostCall(ctx, req)
		}
	}
	addrs, err := inst.cStrings(ctx, 0, string(reply))
	if err != nil {
		panic(err)
	}
	v, err := inst.call(ctx, "QJS_NewString", jsctx, uint64(addrs[0]))
	if err != nil {
		panic(err)
	}
	return v
}

// javascriptEnact defines `enact` for JavaScript tasks, the same shape:
// enact.call(action, args), enact.kv.put(args), enact.request(action, args).
const javascriptEnact = `(() => {
  const host = globalThis.__enact_host;
  delete globalThis.__enact_host;
  class ActionError extends Error {
    constructor(e) { super((e.code ?? "") + ": " + (e.message ?? "")); this.name = "ActionError"; this.code = e.code; this.policyResults = e.policy_results ?? []; }
  }
  const request = (action, args = {}) => JSON.parse(host(JSON.stringify({ action, args })));
  const call = (action, args = {}) => { const r = request(action, args); if (!r.ok) throw new ActionError(r.error ?? {}); return r.result; };
  const base = { call, request, ActionError };
  const enact = new Proxy(base, { get(t, k) {
    if (k in t || typeof k !== "string") return t[k];
    return new Proxy({}, { get(_, a) { return typeof a === "string" ? (args) => call(k + "." + a, args) : undefined; } });
  } });
  Object.defineProperty(globalThis, "enact", { value: enact, configurable: false, writable: false });
})();
`
