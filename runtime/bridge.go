package runtime

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/enact-run/enact/hostfns"
)

// The guest ABI's entry points inside the interpreters. Both carry one
// JSON request string in and one JSON reply string out (the envelope is
// specified in package hostfns); the scripts' `enact` objects, defined by
// the program preludes below, wrap them.

// MicroPython proxy values (ports/webassembly/proxy_c.c): the js module is
// a JsProxy of reference 0, JavaScript's global object; enact_host is given
// a reference of its own, past the port's static ones.
const (
	jsRefGlobalThis = 0
	jsRefEnactHost  = 2
	jsKindObject    = 7
	jsKindString    = 5
)

// pythonBridge serves `js.enact_host(request)` from Python: a call1 on the
// enact_host reference with one str argument, whose reply is returned as a
// str through the port's proxy value at out.
func pythonBridge(ctx context.Context, inst *instance, fnRef, arg, out uint32) {
	if fnRef != jsRefEnactHost {
		panic(fmt.Errorf("call of JavaScript object %d: there are no JavaScript objects in the Enact sandbox", fnRef))
	}
	var reply []byte
	kind, err1 := inst.u32(arg)
	n, err2 := inst.u32(arg + 4)
	ptr, err3 := inst.u32(arg + 8)
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		panic(fmt.Errorf("enact_host: argument outside guest memory"))
	case kind != mpKindStr:
		reply = hostfns.ErrorReply(hostfns.CodeInvalidRequest, "enact_host takes one str: the JSON request")
	case n > hostfns.MaxRequestBytes:
		reply = hostfns.ErrorReply(hostfns.CodeInvalidRequest, fmt.Sprintf("the request is %d bytes; the limit is %d", n, hostfns.MaxRequestBytes))
	default:
		req, err := inst.read(ptr, n)
		if err != nil {
			panic(err)
		}
		reply = hostCall(ctx, req)
	}
	addrs, err := inst.cStrings(ctx, 0, string(reply))
	if err != nil {
		panic(err)
	}
	if !writeWords(inst.mod, out, jsKindString, uint32(len(reply)), addrs[0]) {
		panic(fmt.Errorf("enact_host: result outside guest memory"))
	}
}

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

// pythonEnact defines `enact` for Python tasks:
//
//	enact.call("kv.put", {"key": "a", "value": 1})  # result, or raises enact.ActionError
//	enact.kv.put(key="a", value=1)                  # the same
//	enact.request("kv.get", {"key": "a"})           # the whole reply, never raises
const pythonEnact = `
class _EnactActionError(Exception):
    def __init__(self, error):
        super().__init__(error.get("code", "") + ": " + error.get("message", ""))
        self.code = error.get("code")
        self.message = error.get("message")
        self.policy_results = error.get("policy_results", [])
class _EnactNamespace:
    def __init__(self, name):
        self._name = name
    def __getattr__(self, action):
        name = self._name + "." + action
        return lambda args=None, **kw: enact.call(name, args, **kw)
class _Enact:
    ActionError = _EnactActionError
    def request(self, action, args=None, **kw):
        import js, json
        a = dict(args or {})
        a.update(kw)
        return json.loads(js.enact_host(json.dumps({"action": action, "args": a})))
    def call(self, action, args=None, **kw):
        reply = self.request(action, args, **kw)
        if not reply.get("ok"):
            raise _EnactActionError(reply.get("error") or {})
        return reply.get("result")
    def __getattr__(self, name):
        return _EnactNamespace(name)
enact = _Enact()
`

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
