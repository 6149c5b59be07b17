// The web-platform APIs of JavaScript tasks (the WinterTC common API, less
// what a sandbox without network or files cannot honour), written for the
// Enact sandbox. This file is evaluated once, when the engine starts, so
// everything it defines is part of the start-up snapshot and costs a run
// nothing; the larger APIs live in modules of their own (events.js,
// base64.js, encoding.js, clone.js, crypto.js, url.js, inspect.js),
// compiled on first use (see
// "modules" below). It reaches the host only through __enact_sys (see
// runtime/jsweb.go), which it removes from the global object.
//
// Conventions: new globals are writable, configurable and not enumerable,
// like the built-ins; classes keep their methods on their prototypes; state
// that must differ between runs (the clock's origin, random bytes) is asked
// of the host at the time of use, never captured here.
(() => {
  "use strict";
  const sys = globalThis.__enact_sys;
  delete globalThis.__enact_sys;
  const SYS_NOW = 1, SYS_RANDOM = 2, SYS_DIGEST = 3, SYS_HMAC = 4, SYS_MODULE = 5;
  const rawPrint = globalThis.console.log;

  const define = (obj, name, value) => Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const defineGlobal = (name, value) => define(globalThis, name, value);
  const tag = (cls, name) => Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
  const domError = (message, name) => new DOMException(message, name);

  // ---------------------------------------------------------------- BigInt
  // QuickJS-NG 0.10 gets BigInt.asUintN wrong for negative values.
  const toIndex = (v, what) => {
    const n = v === undefined ? 0 : Math.trunc(Number(v));
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`Invalid value: not (convertible to) a safe integer`);
    return n;
  };
  define(BigInt, "asUintN", { asUintN(bits, bigint) {
    const n = toIndex(bits); const x = BigInt(bigint);
    if (typeof bigint !== "bigint" && typeof bigint !== "object" && typeof bigint !== "boolean" && typeof bigint !== "string") throw new TypeError(`Cannot convert ${String(bigint)} to a BigInt`);
    if (n === 0) return 0n;
    const m = 1n << BigInt(n); const r = x % m;
    return r < 0n ? r + m : r;
  } }.asUintN);
  define(BigInt, "asIntN", { asIntN(bits, bigint) {
    const n = toIndex(bits); const x = BigInt(bigint);
    if (typeof bigint !== "bigint" && typeof bigint !== "object" && typeof bigint !== "boolean" && typeof bigint !== "string") throw new TypeError(`Cannot convert ${String(bigint)} to a BigInt`);
    if (n === 0) return 0n;
    const m = 1n << BigInt(n); let r = x % m;
    if (r < 0n) r += m;
    return r >= (m >> 1n) ? r - m : r;
  } }.asIntN);

  // ----------------------------------------------------------- performance
  const perfNow = () => sys(SYS_NOW, 0);
  class Performance {
    constructor(key) { if (key !== perfKey) throw new TypeError("Illegal constructor"); }
    now() { return sys(SYS_NOW, 0); }
    get timeOrigin() { return sys(SYS_NOW, 1); }
    toJSON() { return { timeOrigin: this.timeOrigin }; }
  }
  const perfKey = {};
  tag(Performance, "Performance");
  defineGlobal("Performance", Performance);
  defineGlobal("performance", new Performance(perfKey));

  // ------------------------------------------------------------------ timers
  // Timers are kept here, ordered by when they are due and then by when
  // they were set; the host drives them through __enact_loop.tick (see
  // jsLoop in runtime/jsweb.go), sleeping while none is due.
  let timerSeq = 0;
  const timers = new Map();
  let uncaught = null; // the first error thrown by a callback nothing called
  const reportError = (e) => { if (uncaught === null) uncaught = { error: e }; };
  const addTimer = (fn, ms, args, repeat) => {
    if (typeof fn !== "function") throw new TypeError(`The "callback" argument must be of type function. Received ${inspect(fn)}`);
    let delay = Number(ms);
    if (!(delay >= 1 && delay <= 2147483647)) delay = 1;
    const id = ++timerSeq;
    timers.set(id, { id, fn, args, due: perfNow() + delay, delay: repeat ? delay : 0, seq: id });
    return id;
  };
  defineGlobal("setTimeout", function setTimeout(fn, ms, ...args) { return addTimer(fn, ms, args, false); });
  defineGlobal("setInterval", function setInterval(fn, ms, ...args) { return addTimer(fn, ms, args, true); });
  defineGlobal("clearTimeout", function clearTimeout(id) { timers.delete(Number(id)); });
  defineGlobal("clearInterval", function clearInterval(id) { timers.delete(Number(id)); });
  defineGlobal("reportError", function reportError_(e) { reportError(e); });
  const nativeQueueMicrotask = globalThis.queueMicrotask;
  defineGlobal("queueMicrotask", function queueMicrotask(fn) {
    if (typeof fn !== "function") throw new TypeError(`The "callback" argument must be of type function. Received ${inspect(fn)}`);
    nativeQueueMicrotask(() => { try { fn(); } catch (e) { reportError(e); } });
  });
  // __enact_loop.tick() runs the next timer when it is due and says, as a
  // string, what the host should do next: a JSON object is the run's
  // envelope (the task's promise settled, or a callback threw); a number
  // n >= 0 asks to be called again after n milliseconds; -1 says nothing is
  // left that could settle the task's promise.
  let loopResult = null;
  const stringify = JSON.stringify;
  const failure = (e) => {
    const err = (e !== null && typeof e === "object") ? e : { name: typeof e, message: String(e) };
    let type, message, trace;
    try { type = String(err.name ?? "Error"); message = String(err.message ?? e); trace = String(err.stack ?? ""); }
    catch { type = "Error"; message = "the task threw a value that cannot be described"; trace = ""; }
    return stringify({ error: { type, message, trace } });
  };
  const tick = () => {
    if (uncaught !== null) return failure(uncaught.error);
    if (loopResult !== null) return loopResult;
    let next = null;
    for (const t of timers.values()) if (next === null || t.due < next.due || (t.due === next.due && t.seq < next.seq)) next = t;
    if (next === null) return "-1";
    const now = perfNow();
    if (next.due > now) return String(Math.max(next.due - now, 0));
    if (next.delay > 0) { next.due = Math.max(next.due + next.delay, now); next.seq = ++timerSeq; }
    else timers.delete(next.id);
    try { next.fn.apply(globalThis, next.args); } catch (e) { reportError(e); }
    return "0";
  };
  Object.defineProperty(globalThis, "__enact_loop", { value: Object.freeze({
    tick,
    ok(r) { try { loopResult = stringify({ ok: r === undefined ? null : r }); } catch (e) { loopResult = failure(e); } },
    fail(e) { loopResult = failure(e); },
  }) });

  const utf8Encode = (s) => {
    const out = new Uint8Array(s.length * 3); let j = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) { out[j++] = c; continue; }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++;
          out[j++] = 0xf0 | (c >> 18); out[j++] = 0x80 | ((c >> 12) & 63); out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63);
          continue;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x800) { out[j++] = 0xc0 | (c >> 6); out[j++] = 0x80 | (c & 63); }
      else { out[j++] = 0xe0 | (c >> 12); out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63); }
    }
    return out.slice(0, j);
  };
  const bytesOf = (input, what) => {
    if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && input instanceof SharedArrayBuffer)) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError(`The "${what}" argument must be an instance of ArrayBuffer or ArrayBufferView. Received ${inspect(input)}`);
  };
  // ------------------------------------------------------------ modules
  // The larger APIs are compiled on first use, not at start-up: their
  // source is kept by the host (__enact_sys(5, name)), and a global
  // named after each starts as an accessor that compiles its module and
  // then replaces itself, and every other global of the module, with a
  // plain value. A run that uses none of them pays nothing for them, and
  // the start-up snapshot holds neither their text nor their compiled
  // form. The host compiles a module's source under the name <enact> (so
  // that its frames are told from the task's) and returns its function.
  const toTag = (v) => Object.prototype.toString.call(v).slice(8, -1);
  const platformClasses = [Performance];
  const loaded = new Map();
  const lazyGetters = new Set();
  const load = (name) => {
    let m = loaded.get(name);
    if (m) return m;
    m = sys(SYS_MODULE, name)(shared);
    loaded.set(name, m);
    for (const [k, v] of Object.entries(m.globals)) {
      const d = Object.getOwnPropertyDescriptor(globalThis, k);
      if (d && lazyGetters.has(d.get)) defineGlobal(k, v);
    }
    return m;
  };
  const inspect = (v, opts) => load("inspect").inspect(v, opts);
  const shared = { sys, SYS_RANDOM, SYS_DIGEST, SYS_HMAC, define, defineGlobal, tag, domError, reportError, utf8Encode, bytesOf, toTag, inspect, platformClasses, module: load,
    performance: globalThis.performance, setTimeout: globalThis.setTimeout };
  for (const [module, names] of Object.entries({
    encoding: ["TextEncoder", "TextDecoder"], clone: ["structuredClone"], url: ["URL", "URLSearchParams"],
    events: ["Event", "CustomEvent", "EventTarget", "AbortController", "AbortSignal"], base64: ["atob", "btoa"],
    intl: ["Intl"],
    crypto: ["crypto", "Crypto", "SubtleCrypto", "CryptoKey"],
  })) {
    for (const name of names) {
      const get = { [name]() { return load(module).globals[name]; } }[name];
      lazyGetters.add(get);
      Object.defineProperty(globalThis, name, { get, set(v) { defineGlobal(name, v); }, configurable: true, enumerable: false });
    }
  }
  // The locale-sensitive methods of the built-ins use Intl (intl.js).
  let defaultCollator = null;
  define(Number.prototype, "toLocaleString", function toLocaleString(locales, options) {
    return new (load("intl").NumberFormat)(locales, options).format(Number.prototype.valueOf.call(this));
  });
  define(BigInt.prototype, "toLocaleString", function toLocaleString(locales, options) {
    return new (load("intl").NumberFormat)(locales, options).format(BigInt.prototype.valueOf.call(this));
  });
  define(String.prototype, "localeCompare", function localeCompare(that, locales, options) {
    if (this === null || this === undefined) throw new TypeError("String.prototype.localeCompare called on null or undefined");
    const c = locales === undefined && options === undefined ? (defaultCollator ??= new (load("intl").Collator)()) : new (load("intl").Collator)(locales, options);
    return c.compare(String(this), String(that));
  });
  const dateFormat = (defaults) => function (locales, options) {
    const DTF = load("intl").DateTimeFormat;
    const o = options ?? {};
    return new DTF(locales, o.dateStyle === undefined && o.timeStyle === undefined ? { ...o, ...defaults } : o).format(Date.prototype.getTime.call(this));
  };
  define(Date.prototype, "toLocaleString", dateFormat({ dateStyle: "numeric", timeStyle: "medium" }));
  define(Date.prototype, "toLocaleDateString", dateFormat({ dateStyle: "numeric" }));
  define(Date.prototype, "toLocaleTimeString", dateFormat({ timeStyle: "medium" }));

  // console.log of strings alone does not need the formatter.
  const formatArgs = (args) => args.every((a) => typeof a === "string") && !(args.length > 1 && args[0].includes("%")) ? args.join(" ") : load("inspect").formatArgs(args);

  // --------------------------------------------------------------- console
  let groupIndent = "";
  const emit = (text) => rawPrint(groupIndent ? text.replace(/^/gm, groupIndent) : text);
  const counts = new Map(), timersByLabel = new Map();
  const consoleObj = {
    log(...a) { emit(a.length ? formatArgs(a) : ""); },
    info(...a) { emit(a.length ? formatArgs(a) : ""); },
    debug(...a) { emit(a.length ? formatArgs(a) : ""); },
    warn(...a) { emit(a.length ? formatArgs(a) : ""); },
    error(...a) { emit(a.length ? formatArgs(a) : ""); },
    trace(...a) {
      const stack = (new Error().stack ?? "").split("\n").slice(1).join("\n");
      emit("Trace" + (a.length ? ": " + formatArgs(a) : "") + (stack ? "\n" + stack.replace(/\n$/, "") : ""));
    },
    dir(v, opts) { emit(inspect(v, opts ?? {})); },
    assert(cond, ...a) {
      if (cond) return;
      if (typeof a[0] === "string") a[0] = "Assertion failed: " + a[0];
      else a.unshift("Assertion failed");
      emit(formatArgs(a));
    },
    count(label = "default") { label = String(label); const n = (counts.get(label) ?? 0) + 1; counts.set(label, n); emit(`${label}: ${n}`); },
    countReset(label = "default") { counts.delete(String(label)); },
    time(label = "default") { timersByLabel.set(String(label), perfNow()); },
    timeLog(label = "default", ...a) { const s = timersByLabel.get(String(label)); if (s !== undefined) emit(`${label}: ${(perfNow() - s).toFixed(3)}ms` + (a.length ? " " + formatArgs(a) : "")); },
    timeEnd(label = "default") { const s = timersByLabel.get(String(label)); if (s !== undefined) { timersByLabel.delete(String(label)); emit(`${label}: ${(perfNow() - s).toFixed(3)}ms`); } },
    group(...a) { if (a.length) emit(formatArgs(a)); groupIndent += "  "; },
    groupCollapsed(...a) { if (a.length) emit(formatArgs(a)); groupIndent += "  "; },
    groupEnd() { groupIndent = groupIndent.slice(2); },
    table(data) { emit(inspect(data)); },
  };
  for (const k of Object.keys(consoleObj)) Object.defineProperty(consoleObj, k, { enumerable: true });
  defineGlobal("console", consoleObj);
  // Per-run state above (counters, group indent, timers) starts empty in
  // every instance: each run restores the start-up snapshot.
})();
