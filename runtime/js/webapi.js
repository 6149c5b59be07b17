// The web-platform APIs of JavaScript tasks (the WinterTC common API, less
// what a sandbox without network or files cannot honour), written for the
// Enact sandbox. This file is evaluated once, when the engine starts, so
// everything it defines is part of the start-up snapshot and costs a run
// nothing. It reaches the host only through __enact_sys (see
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
  const SYS_NOW = 1, SYS_RANDOM = 2, SYS_DIGEST = 3, SYS_HMAC = 4;
  const rawPrint = globalThis.console.log;
  delete globalThis.print;
  delete globalThis.gc;

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

  // ------------------------------------------------------- Event, EventTarget
  const eventState = new WeakMap();
  class Event {
    constructor(type, init = {}) {
      if (arguments.length === 0) throw new TypeError("The \"type\" argument must be specified");
      eventState.set(this, { type: String(type), bubbles: !!init.bubbles, cancelable: !!init.cancelable, composed: !!init.composed,
        defaultPrevented: false, stop: false, stopImmediate: false, target: null, currentTarget: null, phase: 0, timeStamp: performance.now(), trusted: false });
    }
    get type() { return eventState.get(this).type; }
    get bubbles() { return eventState.get(this).bubbles; }
    get cancelable() { return eventState.get(this).cancelable; }
    get composed() { return eventState.get(this).composed; }
    get defaultPrevented() { return eventState.get(this).defaultPrevented; }
    get target() { return eventState.get(this).target; }
    get currentTarget() { return eventState.get(this).currentTarget; }
    get srcElement() { return eventState.get(this).target; }
    get eventPhase() { return eventState.get(this).phase; }
    get timeStamp() { return eventState.get(this).timeStamp; }
    get isTrusted() { return eventState.get(this).trusted; }
    get returnValue() { return !eventState.get(this).defaultPrevented; }
    get cancelBubble() { return eventState.get(this).stop; }
    set cancelBubble(v) { if (v) eventState.get(this).stop = true; }
    composedPath() { const s = eventState.get(this); return s.currentTarget ? [s.currentTarget] : []; }
    preventDefault() { const s = eventState.get(this); if (s.cancelable) s.defaultPrevented = true; }
    stopPropagation() { eventState.get(this).stop = true; }
    stopImmediatePropagation() { const s = eventState.get(this); s.stop = s.stopImmediate = true; }
  }
  for (const [k, v] of [["NONE", 0], ["CAPTURING_PHASE", 1], ["AT_TARGET", 2], ["BUBBLING_PHASE", 3]]) {
    Object.defineProperty(Event, k, { value: v, enumerable: true });
    Object.defineProperty(Event.prototype, k, { value: v, enumerable: true });
  }
  tag(Event, "Event");
  class CustomEvent extends Event {
    #detail;
    constructor(type, init = {}) { super(type, init); this.#detail = init.detail ?? null; }
    get detail() { return this.#detail; }
  }
  tag(CustomEvent, "CustomEvent");

  const listeners = new WeakMap();
  const listenersOf = (t) => { let m = listeners.get(t); if (!m) listeners.set(t, m = new Map()); return m; };
  class EventTarget {
    addEventListener(type, callback, options) {
      if (callback == null) return;
      const capture = typeof options === "boolean" ? options : !!options?.capture;
      const once = typeof options === "object" && !!options?.once;
      const signal = typeof options === "object" ? options?.signal : undefined;
      if (signal?.aborted) return;
      const m = listenersOf(this); type = String(type);
      let list = m.get(type); if (!list) m.set(type, list = []);
      if (list.some((l) => l.callback === callback && l.capture === capture)) return;
      const entry = { callback, capture, once, removed: false };
      list.push(entry);
      signal?.addEventListener("abort", () => this.removeEventListener(type, callback, { capture }));
    }
    removeEventListener(type, callback, options) {
      const capture = typeof options === "boolean" ? options : !!options?.capture;
      const list = listenersOf(this).get(String(type));
      if (!list) return;
      const i = list.findIndex((l) => l.callback === callback && l.capture === capture);
      if (i >= 0) { list[i].removed = true; list.splice(i, 1); }
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError("The \"event\" argument must be an instance of Event. Received " + inspect(event));
      const s = eventState.get(event);
      s.target = s.currentTarget = this; s.phase = 2;
      const list = (listenersOf(this).get(s.type) ?? []).slice();
      for (const l of list) {
        if (l.removed) continue;
        if (l.once) this.removeEventListener(s.type, l.callback, { capture: l.capture });
        try {
          if (typeof l.callback === "function") l.callback.call(this, event);
          else l.callback.handleEvent(event);
        } catch (e) { reportError(e); }
        if (s.stopImmediate) break;
      }
      s.currentTarget = null; s.phase = 0;
      return !s.defaultPrevented;
    }
  }
  tag(EventTarget, "EventTarget");
  defineGlobal("Event", Event);
  defineGlobal("CustomEvent", CustomEvent);
  defineGlobal("EventTarget", EventTarget);

  // ------------------------------------------------- AbortController/Signal
  const signalKey = {};
  class AbortSignal extends EventTarget {
    #aborted = false; #reason = undefined; #onabort = null; #onabortAdded = false;
    constructor(key) { super(); if (key !== signalKey) throw new TypeError("Illegal constructor"); }
    // An event handler attribute: its listener takes its place among the
    // others when first set, as in the DOM.
    get onabort() { return this.#onabort; }
    set onabort(fn) {
      this.#onabort = typeof fn === "function" ? fn : null;
      if (this.#onabort && !this.#onabortAdded) {
        this.#onabortAdded = true;
        this.addEventListener("abort", (ev) => this.#onabort?.call(this, ev));
      }
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    static abort(reason) { const s = new AbortSignal(signalKey); s.#abort(reason); return s; }
    static timeout(ms) {
      const s = new AbortSignal(signalKey);
      setTimeout(() => s.#abort(domError("The operation was aborted due to timeout", "TimeoutError")), ms);
      return s;
    }
    static any(signals) {
      const s = new AbortSignal(signalKey);
      for (const o of signals) { if (o.aborted) { s.#abort(o.reason); return s; } }
      for (const o of signals) o.addEventListener("abort", () => s.#abort(o.reason), { once: true });
      return s;
    }
    static _abort(s, reason) { s.#abort(reason); }
    #abort(reason) {
      if (this.#aborted) return;
      this.#aborted = true;
      this.#reason = reason === undefined ? domError("This operation was aborted", "AbortError") : reason;
      this.dispatchEvent(new Event("abort"));
    }
  }
  const abortSignal = AbortSignal._abort; delete AbortSignal._abort;
  tag(AbortSignal, "AbortSignal");
  class AbortController {
    #signal = new AbortSignal(signalKey);
    get signal() { return this.#signal; }
    abort(reason) { abortSignal(this.#signal, reason); }
  }
  tag(AbortController, "AbortController");
  defineGlobal("AbortSignal", AbortSignal);
  defineGlobal("AbortController", AbortController);

  // ------------------------------------------------------------------ timers
  // Timers are kept here, ordered by when they are due and then by when
  // they were set; the host drives them through __enact_tick (see
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
    timers.set(id, { id, fn, args, due: performance.now() + delay, delay: repeat ? delay : 0, seq: id });
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
  // __enact_tick(settled) runs the next timer when it is due and says what
  // the host should do next: a string is the run's envelope (the task's
  // promise settled, or a callback threw); a number n >= 0 asks to be called
  // again after n milliseconds; -1 says nothing is left that could settle
  // the task's promise.
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
    if (next === null) return -1;
    const now = performance.now();
    if (next.due > now) return Math.max(next.due - now, 0);
    if (next.delay > 0) { next.due = Math.max(next.due + next.delay, now); next.seq = ++timerSeq; }
    else timers.delete(next.id);
    try { next.fn.apply(globalThis, next.args); } catch (e) { reportError(e); }
    return 0;
  };
  Object.defineProperty(globalThis, "__enact_loop", { value: Object.freeze({
    tick,
    ok(r) { try { loopResult = stringify({ ok: r === undefined ? null : r }); } catch (e) { loopResult = failure(e); } },
    fail(e) { loopResult = failure(e); },
  }) });

  // ----------------------------------------------------------- atob, btoa
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const B64INV = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) B64INV[B64.charCodeAt(i)] = i;
  defineGlobal("btoa", function btoa(data) {
    if (arguments.length === 0) throw new TypeError("The \"data\" argument must be specified");
    const s = String(data); let out = "";
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) throw domError("Invalid character", "InvalidCharacterError");
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2), n = i + 2 < s.length ? 3 : s.length - i;
      const v = (a << 16) | ((n > 1 ? b : 0) << 8) | (n > 2 ? c : 0);
      out += B64[v >> 18] + B64[(v >> 12) & 63] + (n > 1 ? B64[(v >> 6) & 63] : "=") + (n > 2 ? B64[v & 63] : "=");
    }
    return out;
  });
  defineGlobal("atob", function atob(data) {
    if (arguments.length === 0) throw new TypeError("The \"data\" argument must be specified");
    let s = String(data).replace(/[\t\n\f\r ]/g, "");
    if (s.length % 4 === 0 && /==?$/.test(s)) s = s.replace(/==?$/, "");
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw domError("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
    let out = "", buf = 0, bits = 0;
    for (let i = 0; i < s.length; i++) {
      buf = (buf << 6) | B64INV[s.charCodeAt(i)]; bits += 6;
      if (bits >= 8) { bits -= 8; out += String.fromCharCode((buf >> bits) & 255); }
    }
    return out;
  });

  // ------------------------------------------------ TextEncoder, TextDecoder
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
  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") { return utf8Encode(String(input)); }
    encodeInto(src, dest) {
      if (!(dest instanceof Uint8Array)) throw new TypeError("The \"dest\" argument must be an instance of Uint8Array.");
      const s = String(src); let read = 0, written = 0;
      for (const ch of s) {
        const bytes = utf8Encode(ch);
        if (written + bytes.length > dest.length) break;
        dest.set(bytes, written); written += bytes.length; read += ch.length;
      }
      return { read, written };
    }
  }
  tag(TextEncoder, "TextEncoder");
  const bytesOf = (input, what) => {
    if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && input instanceof SharedArrayBuffer)) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError(`The "${what}" argument must be an instance of ArrayBuffer or ArrayBufferView. Received ${inspect(input)}`);
  };
  const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"]);
  class TextDecoder {
    #fatal; #ignoreBOM; #pending = []; #bomSeen = false;
    constructor(label = "utf-8", options = {}) {
      const l = String(label).trim().toLowerCase();
      if (!UTF8_LABELS.has(l)) throw new RangeError(`The "${label}" encoding is not supported`);
      this.#fatal = !!options?.fatal; this.#ignoreBOM = !!options?.ignoreBOM;
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options = {}) {
      const stream = !!options?.stream;
      let bytes = input === undefined ? new Uint8Array(0) : bytesOf(input, "input");
      if (this.#pending.length) { const b = new Uint8Array(this.#pending.length + bytes.length); b.set(this.#pending); b.set(bytes, this.#pending.length); bytes = b; this.#pending = []; }
      let out = "", i = 0; const n = bytes.length;
      const fail = () => { if (this.#fatal) { this.#pending = []; this.#bomSeen = false; throw new TypeError("The encoded data was not valid for encoding utf-8"); } out += "\ufffd"; };
      let chunk = [];
      const flush = () => { if (chunk.length) { out += String.fromCharCode.apply(null, chunk); chunk = []; } };
      while (i < n) {
        const b = bytes[i];
        if (b < 0x80) { chunk.push(b); i++; if (chunk.length > 8192) flush(); continue; }
        let need, cp, lo = 0x80, hi = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
        else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0xf; if (b === 0xe0) lo = 0xa0; if (b === 0xed) hi = 0x9f; }
        else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 7; if (b === 0xf0) lo = 0x90; if (b === 0xf4) hi = 0x8f; }
        else { flush(); fail(); i++; continue; }
        let j = 1, ok = true;
        for (; j <= need; j++) {
          if (i + j >= n) break;
          const c = bytes[i + j];
          if (c < lo || c > hi) { ok = false; break; }
          lo = 0x80; hi = 0xbf; cp = (cp << 6) | (c & 0x3f);
        }
        if (ok && j <= need) { // the input ends inside a sequence
          if (stream) { this.#pending = Array.from(bytes.subarray(i)); break; }
          flush(); fail(); i = n; break;
        }
        if (!ok) { flush(); fail(); i += j; continue; }
        if (cp >= 0x10000) { cp -= 0x10000; chunk.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff)); }
        else chunk.push(cp);
        i += need + 1;
        if (chunk.length > 8192) flush();
      }
      flush();
      if (!this.#ignoreBOM && !this.#bomSeen && out.length) {
        if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
        this.#bomSeen = true;
      }
      if (!stream) { this.#bomSeen = false; }
      return out;
    }
  }
  tag(TextDecoder, "TextDecoder");
  defineGlobal("TextEncoder", TextEncoder);
  defineGlobal("TextDecoder", TextDecoder);

  // ------------------------------------------------------------ structuredClone
  const cloneError = (v) => domError(`${typeof v === "function" ? String(v) : inspect(v)} could not be cloned.`, "DataCloneError");
  const errorCtors = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const typedCtors = { Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array };
  if (typeof Float16Array === "function") typedCtors.Float16Array = Float16Array;
  const toTag = (v) => Object.prototype.toString.call(v).slice(8, -1);
  defineGlobal("structuredClone", function structuredClone(value, options) {
    if (arguments.length === 0) throw new TypeError("The \"value\" argument must be specified");
    const seen = new Map();
    const clone = (v) => {
      if (v === null || (typeof v !== "object" && typeof v !== "function")) {
        if (typeof v === "symbol") throw cloneError(v);
        return v;
      }
      if (typeof v === "function") throw cloneError(v);
      if (seen.has(v)) return seen.get(v);
      const t = toTag(v);
      let out, copyKeys = false;
      switch (t) {
        case "Boolean": out = Object(Boolean.prototype.valueOf.call(v)); break;
        case "Number": out = Object(Number.prototype.valueOf.call(v)); break;
        case "String": out = Object(String.prototype.valueOf.call(v)); break;
        case "BigInt": out = Object(BigInt.prototype.valueOf.call(v)); break;
        case "Date": out = new Date(Date.prototype.getTime.call(v)); break;
        case "RegExp": out = new RegExp(v.source, v.flags); break;
        case "ArrayBuffer": out = ArrayBuffer.prototype.slice.call(v, 0); break;
        case "DataView": { const buf = clone(v.buffer); out = new DataView(buf, v.byteOffset, v.byteLength); break; }
        case "Map": out = new Map(); seen.set(v, out); for (const [k, e] of Map.prototype.entries.call(v)) out.set(clone(k), clone(e)); return out;
        case "Set": out = new Set(); seen.set(v, out); for (const e of Set.prototype.values.call(v)) out.add(clone(e)); return out;
        case "Error": {
          const name = String(v.name);
          const C = Object.hasOwn(errorCtors, name) ? errorCtors[name] : Error;
          out = Object.create(C.prototype);
          seen.set(v, out);
          const msg = Object.getOwnPropertyDescriptor(v, "message");
          if (msg) define(out, "message", String(msg.value));
          if (v.stack !== undefined) define(out, "stack", String(v.stack));
          if (Object.hasOwn(v, "cause")) define(out, "cause", clone(v.cause));
          return out;
        }
        case "Array": out = new Array(v.length); copyKeys = true; break;
        case "Object": out = {}; copyKeys = true; break;
        default:
          if (Object.hasOwn(typedCtors, t) && ArrayBuffer.isView(v)) { const buf = clone(v.buffer); out = new typedCtors[t](buf, v.byteOffset, v.length); break; }
          if (v instanceof DOMException) { out = domError(v.message, v.name); break; }
          if (t === "Promise" || t === "WeakMap" || t === "WeakSet" || t === "WeakRef" || t === "Symbol" || t === "Generator" || t === "AsyncGenerator") throw cloneError(v);
          if (typeof v === "object" && t !== "Object" && Object.getPrototypeOf(v) !== Object.prototype && isPlatformObject(v)) throw cloneError(v);
          out = {}; copyKeys = true;
      }
      seen.set(v, out);
      if (copyKeys) {
        for (const k of Object.keys(v)) out[k] = clone(v[k]);
      }
      return out;
    };
    return clone(value);
  });
  const platformClasses = [];
  const isPlatformObject = (v) => platformClasses.some((C) => v instanceof C);

  // --------------------------------------------------------------- crypto
  const integerArrays = new Set(["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"]);
  const cryptoKey = {};
  class CryptoKey {
    #type; #extractable; #algorithm; #usages; #raw;
    constructor(key, type, extractable, algorithm, usages, raw) {
      if (key !== cryptoKey) throw new TypeError("Illegal constructor");
      this.#type = type; this.#extractable = extractable; this.#algorithm = algorithm; this.#usages = usages; this.#raw = raw;
    }
    get type() { return this.#type; }
    get extractable() { return this.#extractable; }
    get algorithm() { return this.#algorithm; }
    get usages() { return this.#usages.slice(); }
    static _raw(k) { return k.#raw; }
  }
  const rawKey = CryptoKey._raw; delete CryptoKey._raw;
  tag(CryptoKey, "CryptoKey");
  const HASHES = { "SHA-1": [1, 20, 64], "SHA-256": [256, 32, 64], "SHA-384": [384, 48, 128], "SHA-512": [512, 64, 128] };
  const hashOf = (alg) => {
    const name = String(typeof alg === "string" ? alg : alg?.name).toUpperCase();
    if (!Object.hasOwn(HASHES, name)) throw domError("Unrecognized algorithm name", "NotSupportedError");
    return name;
  };
  // The host is given whole buffers with an offset and a length; an empty
  // view is given a buffer of its own, never a zero-length one.
  const region = (u8) => u8.byteLength === 0 ? [new ArrayBuffer(1), 0, 0] : [u8.buffer, u8.byteOffset, u8.byteLength];
  const digestBytes = (hash, data) => {
    const [code, size] = HASHES[hash]; const out = new Uint8Array(size);
    sys(SYS_DIGEST, code, ...region(data), out.buffer);
    return out;
  };
  const hmacBytes = (hash, key, data) => {
    const [code, size] = HASHES[hash]; const out = new Uint8Array(size);
    sys(SYS_HMAC, code, ...region(key), ...region(data), out.buffer);
    return out;
  };
  const copyBytes = (input, what) => bytesOf(input, what).slice();
  const usagesOK = (usages, allowed) => {
    for (const u of usages) if (!allowed.includes(u)) throw domError(`Unsupported key usage for an HMAC key`, "SyntaxError");
  };
  const settleAsync = (f) => new Promise((resolve) => resolve(f()));
  class SubtleCrypto {
    constructor(key) { if (key !== cryptoKey) throw new TypeError("Illegal constructor"); }
    digest(algorithm, data) {
      return settleAsync(() => digestBytes(hashOf(algorithm), copyBytes(data, "data")).buffer);
    }
    importKey(format, keyData, algorithm, extractable, usages) {
      return settleAsync(() => {
        const name = String(typeof algorithm === "string" ? algorithm : algorithm?.name).toUpperCase();
        if (name !== "HMAC") throw domError("Unrecognized algorithm name", "NotSupportedError");
        if (format !== "raw") throw domError(`Unsupported key format "${format}": only "raw" is available in the sandbox`, "NotSupportedError");
        if (algorithm?.hash === undefined) throw new TypeError("algorithm.hash is required for HMAC keys");
        const hash = hashOf(algorithm.hash);
        const raw = copyBytes(keyData, "keyData");
        if (raw.length === 0) throw domError("Zero-length key is not supported", "DataError");
        usagesOK(usages, ["sign", "verify"]);
        const length = algorithm.length ?? raw.length * 8;
        return new CryptoKey(cryptoKey, "secret", !!extractable, { name: "HMAC", length, hash: { name: hash } }, Array.from(usages), raw);
      });
    }
    exportKey(format, key) {
      return settleAsync(() => {
        if (!(key instanceof CryptoKey)) throw new TypeError("key is not a CryptoKey");
        if (!key.extractable) throw domError("key is not extractable", "InvalidAccessError");
        if (format !== "raw") throw domError(`Unsupported key format "${format}"`, "NotSupportedError");
        return rawKey(key).slice().buffer;
      });
    }
    generateKey(algorithm, extractable, usages) {
      return settleAsync(() => {
        const name = String(typeof algorithm === "string" ? algorithm : algorithm?.name).toUpperCase();
        if (name !== "HMAC") throw domError("Unrecognized algorithm name", "NotSupportedError");
        const hash = hashOf(algorithm.hash); usagesOK(usages, ["sign", "verify"]);
        const bits = algorithm.length ?? HASHES[hash][2] * 8;
        const raw = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
        return new CryptoKey(cryptoKey, "secret", !!extractable, { name: "HMAC", length: bits, hash: { name: hash } }, Array.from(usages), raw);
      });
    }
    sign(algorithm, key, data) {
      return settleAsync(() => {
        checkKey(algorithm, key, "sign");
        return hmacBytes(key.algorithm.hash.name, rawKey(key), copyBytes(data, "data")).buffer;
      });
    }
    verify(algorithm, key, signature, data) {
      return settleAsync(() => {
        checkKey(algorithm, key, "verify");
        const want = hmacBytes(key.algorithm.hash.name, rawKey(key), copyBytes(data, "data"));
        const got = copyBytes(signature, "signature");
        if (got.length !== want.length) return false;
        let diff = 0; for (let i = 0; i < got.length; i++) diff |= got[i] ^ want[i];
        return diff === 0;
      });
    }
  }
  const checkKey = (algorithm, key, usage) => {
    if (!(key instanceof CryptoKey)) throw new TypeError("key is not a CryptoKey");
    const name = String(typeof algorithm === "string" ? algorithm : algorithm?.name).toUpperCase();
    if (name !== "HMAC" || key.algorithm.name !== "HMAC") throw domError("Unrecognized algorithm name", "NotSupportedError");
    if (!key.usages.includes(usage)) throw domError(`The key does not allow "${usage}"`, "InvalidAccessError");
  };
  tag(SubtleCrypto, "SubtleCrypto");
  class Crypto {
    #subtle = new SubtleCrypto(cryptoKey);
    constructor(key) { if (key !== cryptoKey) throw new TypeError("Illegal constructor"); }
    get subtle() { return this.#subtle; }
    getRandomValues(array) {
      if (!ArrayBuffer.isView(array) || !integerArrays.has(toTag(array))) throw domError("The data argument must be an integer-type TypedArray", "TypeMismatchError");
      if (array.byteLength > 65536) throw domError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, "QuotaExceededError");
      if (array.byteLength > 0) sys(SYS_RANDOM, array.buffer, array.byteOffset, array.byteLength);
      return array;
    }
    randomUUID() {
      const b = this.getRandomValues(new Uint8Array(16));
      b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
  }
  tag(Crypto, "Crypto");
  defineGlobal("Crypto", Crypto);
  defineGlobal("SubtleCrypto", SubtleCrypto);
  defineGlobal("CryptoKey", CryptoKey);
  defineGlobal("crypto", new Crypto(cryptoKey));
  platformClasses.push(Crypto, SubtleCrypto, CryptoKey, EventTarget, Event, AbortController, Performance, TextEncoder, TextDecoder);

  // ----------------------------------------------------------- URL
  // The WHATWG URL Standard's basic parser, for ASCII hosts and IPv4/IPv6
  // addresses; internationalised domain names are converted with Punycode
  // after lower-casing (no full UTS #46 mapping).
  const SPECIAL = { "ftp:": "21", "file:": "", "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" };
  const isSpecial = (scheme) => Object.hasOwn(SPECIAL, scheme);
  const C0 = (c) => c < 0x20 || c > 0x7e;
  const FRAGMENT_SET = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
  const QUERY_SET = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
  const SPECIAL_QUERY_SET = (c) => QUERY_SET(c) || c === 0x27;
  const PATH_SET = (c) => QUERY_SET(c) || c === 0x3f || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7d;
  const USERINFO_SET = (c) => PATH_SET(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5d) || c === 0x7c;
  const COMPONENT_SET = (c) => USERINFO_SET(c) || (c >= 0x24 && c <= 0x26) || c === 0x2b || c === 0x2c;
  const FORM_SET = (c) => COMPONENT_SET(c) || c === 0x21 || (c >= 0x27 && c <= 0x29) || c === 0x7e;
  const hex2 = (b) => "%" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
  const percentEncode = (s, set, spaceAsPlus = false) => {
    let out = "";
    for (const ch of s) {
      const c = ch.codePointAt(0);
      if (spaceAsPlus && c === 0x20) { out += "+"; continue; }
      if (c < 0x80 && !set(c)) { out += ch; continue; }
      for (const b of utf8Encode(ch)) out += hex2(b);
    }
    return out;
  };
  const percentDecodeBytes = (s) => {
    const bytes = utf8Encode(s); const out = [];
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 0x25 && i + 2 < bytes.length) {
        const h = String.fromCharCode(bytes[i + 1], bytes[i + 2]);
        if (/^[0-9A-Fa-f]{2}$/.test(h)) { out.push(parseInt(h, 16)); i += 2; continue; }
      }
      out.push(b);
    }
    return new Uint8Array(out);
  };
  const utf8Decoder = new TextDecoder();
  const percentDecode = (s) => utf8Decoder.decode(percentDecodeBytes(s));

  const urlError = (input, base) => {
    const e = new TypeError("Invalid URL");
    e.code = "ERR_INVALID_URL"; e.input = input; if (base !== undefined) e.base = base;
    return e;
  };
  const parseIPv4Number = (s) => {
    if (s === "") return NaN;
    let radix = 10;
    if (/^0[xX]/.test(s)) { s = s.slice(2); radix = 16; } else if (s.length > 1 && s[0] === "0") { s = s.slice(1); radix = 8; }
    if (s === "") return 0;
    const re = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
    if (!re.test(s)) return NaN;
    return parseInt(s, radix);
  };
  const endsInNumber = (host) => {
    const parts = host.split("."); if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
    const last = parts[parts.length - 1];
    return /^[0-9]+$/.test(last) || !Number.isNaN(parseIPv4Number(last)) && last !== "";
  };
  const parseIPv4 = (host) => {
    const parts = host.split("."); if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
    if (parts.length > 4) return null;
    const nums = parts.map(parseIPv4Number);
    if (nums.some(Number.isNaN)) return null;
    for (let i = 0; i < nums.length - 1; i++) if (nums[i] > 255) return null;
    if (nums[nums.length - 1] >= 256 ** (5 - nums.length)) return null;
    let v = nums[nums.length - 1];
    for (let i = 0; i < nums.length - 1; i++) v += nums[i] * 256 ** (3 - i);
    return v;
  };
  const ipv4String = (v) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
  const parseIPv6 = (s) => {
    const a = [0, 0, 0, 0, 0, 0, 0, 0]; let piece = 0, compress = null, i = 0;
    if (s[0] === ":") { if (s[1] !== ":") return null; i = 2; compress = piece = 1; }
    while (i < s.length) {
      if (piece === 8) return null;
      if (s[i] === ":") { if (compress !== null) return null; i++; compress = ++piece; continue; }
      let v = 0, len = 0;
      while (len < 4 && i < s.length && /[0-9a-fA-F]/.test(s[i])) { v = v * 16 + parseInt(s[i], 16); i++; len++; }
      if (s[i] === ".") {
        if (len === 0 || piece > 6) return null;
        i -= len;
        let seen = 0;
        while (i < s.length) {
          let v4 = null;
          if (seen > 0) { if (s[i] === "." && seen < 4) i++; else return null; }
          if (!/[0-9]/.test(s[i] ?? "")) return null;
          while (/[0-9]/.test(s[i] ?? "")) { const d = +s[i]; if (v4 === null) v4 = d; else if (v4 === 0) return null; else v4 = v4 * 10 + d; if (v4 > 255) return null; i++; }
          a[piece] = a[piece] * 256 + v4; seen++;
          if (seen === 2 || seen === 4) piece++;
        }
        if (seen !== 4) return null;
        break;
      } else if (s[i] === ":") { i++; if (i >= s.length) return null; }
      else if (i < s.length) return null;
      a[piece++] = v;
    }
    if (compress !== null) {
      let swaps = piece - compress; piece = 7;
      while (piece !== 0 && swaps > 0) { const t = a[compress + swaps - 1]; a[compress + swaps - 1] = a[piece]; a[piece] = t; piece--; swaps--; }
    } else if (piece !== 8) return null;
    return a;
  };
  const ipv6String = (a) => {
    let best = -1, bestLen = 1;
    for (let i = 0; i < 8;) { let j = i; while (j < 8 && a[j] === 0) j++; if (j - i > bestLen) { best = i; bestLen = j - i; } i = j === i ? i + 1 : j; }
    let out = "";
    for (let i = 0; i < 8; i++) {
      if (i === best) { out += i === 0 ? "::" : ":"; i += bestLen - 1; continue; }
      out += a[i].toString(16) + (i < 7 ? ":" : "");
    }
    return "[" + out + "]";
  };
  const punycode = (label) => {
    const cps = Array.from(label, (c) => c.codePointAt(0));
    let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join("");
    const basic = out.length; let h = basic;
    if (basic > 0) out += "-";
    let n = 128, delta = 0, bias = 72;
    const adapt = (d, num, first) => { d = first ? Math.floor(d / 700) : d >> 1; d += Math.floor(d / num); let k = 0; while (d > 455) { d = Math.floor(d / 35); k += 36; } return k + Math.floor(36 * d / (d + 38)); };
    const digit = (d) => String.fromCharCode(d < 26 ? d + 97 : d + 22);
    while (h < cps.length) {
      const m = Math.min(...cps.filter((c) => c >= n));
      delta += (m - n) * (h + 1); n = m;
      for (const c of cps) {
        if (c < n) delta++;
        if (c === n) {
          let q = delta;
          for (let k = 36; ; k += 36) {
            const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
            if (q < t) break;
            out += digit(t + (q - t) % (36 - t)); q = Math.floor((q - t) / (36 - t));
          }
          out += digit(q); bias = adapt(delta, h + 1, h === basic); delta = 0; h++;
        }
      }
      delta++; n++;
    }
    return "xn--" + out;
  };
  const FORBIDDEN_HOST = /[\0\t\n\r #/:<>?@[\\\]^|]/;
  const FORBIDDEN_DOMAIN = /[\0-\x1f #%/:<>?@[\\\]^|\x7f]/;
  const parseHost = (input, special) => {
    if (input.startsWith("[")) {
      if (!input.endsWith("]")) return null;
      const a = parseIPv6(input.slice(1, -1));
      return a === null ? null : ipv6String(a);
    }
    if (!special) return FORBIDDEN_HOST.test(input) ? null : percentEncode(input, C0);
    const domain = percentDecode(input).normalize("NFC").toLowerCase()
      .replace(/[\u3002\uff0e\uff61]/g, ".").replace(/[\u00ad\u200b\u2060\ufeff]/g, "");
    if (domain === "" && input !== "") return null;
    const ascii = domain.split(".").map((l) => /[^\x00-\x7f]/.test(l) ? punycode(l) : l).join(".");
    if (ascii === "" || FORBIDDEN_DOMAIN.test(ascii)) return null;
    if (endsInNumber(ascii)) { const v = parseIPv4(ascii); return v === null ? null : ipv4String(v); }
    return ascii;
  };
  const isWinLetter = (s, normalized) => s.length === 2 && /[A-Za-z]/.test(s[0]) && (s[1] === ":" || (!normalized && s[1] === "|"));
  const startsWinLetter = (s) => s.length >= 2 && isWinLetter(s.slice(0, 2)) && (s.length === 2 || "/\\?#".includes(s[2]));
  const shortenPath = (u) => {
    if (u.scheme === "file:" && u.path.length === 1 && isWinLetter(u.path[0], true)) return;
    u.path.pop();
  };
  const SINGLE_DOT = new Set([".", "%2e", "%2E"]);
  const isDoubleDot = (s) => /^(\.|%2e)(\.|%2e)$/i.test(s);

  // parseURL runs the basic URL parser from its start; it returns a
  // record { scheme, username, password, host, port, path (array, or a
  // string for opaque paths), query, fragment } or null on failure. With
  // override, it parses one component into an existing record (setters).
  const parseURL = (input, base, rec, override) => {
    if (!rec) input = input.replace(/^[\0-\x20]+|[\0-\x20]+$/g, "");
    input = input.replace(/[\t\n\r]/g, "");
    const u = rec ?? { scheme: "", username: "", password: "", host: null, port: null, path: [], query: null, fragment: null };
    let state = override ?? "scheme start", buf = "", atSign = false, inBrackets = false, passwordSeen = false;
    const cps = Array.from(input);
    for (let p = 0; p <= cps.length; p++) {
      const c = cps[p]; // undefined at the end
      const rest = () => cps.slice(p + 1).join("");
      switch (state) {
        case "scheme start":
          if (c !== undefined && /[A-Za-z]/.test(c)) { buf += c.toLowerCase(); state = "scheme"; }
          else if (!override) { state = "no scheme"; p--; }
          else return null;
          break;
        case "scheme":
          if (c !== undefined && /[A-Za-z0-9+\-.]/.test(c)) buf += c.toLowerCase();
          else if (c === ":") {
            const scheme = buf + ":";
            if (override) {
              if (isSpecial(u.scheme) !== isSpecial(scheme)) return u;
              if ((u.username || u.password || u.port !== null) && scheme === "file:") return u;
              if (u.scheme === "file:" && u.host === "") return u;
            }
            u.scheme = scheme;
            if (override) { if (u.port === SPECIAL[u.scheme]) u.port = null; return u; }
            buf = "";
            if (u.scheme === "file:") state = "file";
            else if (isSpecial(u.scheme) && base && base.scheme === u.scheme) state = "special relative or authority";
            else if (isSpecial(u.scheme)) state = "special authority slashes";
            else if (cps[p + 1] === "/") { state = "path or authority"; p++; }
            else { u.path = ""; state = "opaque path"; }
          } else if (!override) { buf = ""; state = "no scheme"; p = -1; }
          else return null;
          break;
        case "no scheme":
          if (!base || (typeof base.path === "string" && c !== "#")) return null;
          if (typeof base.path === "string" && c === "#") {
            u.scheme = base.scheme; u.path = base.path; u.query = base.query; u.fragment = ""; state = "fragment";
          } else if (base.scheme !== "file:") { state = "relative"; p--; }
          else { state = "file"; p--; }
          break;
        case "special relative or authority":
          if (c === "/" && cps[p + 1] === "/") { state = "special authority ignore slashes"; p++; }
          else { state = "relative"; p--; }
          break;
        case "path or authority":
          if (c === "/") state = "authority"; else { state = "path"; p--; }
          break;
        case "relative":
          u.scheme = base.scheme;
          if (c === "/") state = "relative slash";
          else if (isSpecial(u.scheme) && c === "\\") state = "relative slash";
          else {
            u.username = base.username; u.password = base.password; u.host = base.host; u.port = base.port; u.path = base.path.slice(); u.query = base.query;
            if (c === "?") { u.query = ""; state = "query"; }
            else if (c === "#") { u.fragment = ""; state = "fragment"; }
            else if (c !== undefined) { u.query = null; shortenPath(u); state = "path"; p--; }
          }
          break;
        case "relative slash":
          if (isSpecial(u.scheme) && (c === "/" || c === "\\")) state = "special authority ignore slashes";
          else if (c === "/") state = "authority";
          else { u.username = base.username; u.password = base.password; u.host = base.host; u.port = base.port; state = "path"; p--; }
          break;
        case "special authority slashes":
          if (c === "/" && cps[p + 1] === "/") { state = "special authority ignore slashes"; p++; }
          else { state = "special authority ignore slashes"; p--; }
          break;
        case "special authority ignore slashes":
          if (c !== "/" && c !== "\\") { state = "authority"; p--; }
          break;
        case "authority":
          if (c === "@") {
            if (atSign) buf = "%40" + buf;
            atSign = true;
            for (const ch of buf) {
              if (ch === ":" && !passwordSeen) { passwordSeen = true; continue; }
              const enc = percentEncode(ch, USERINFO_SET);
              if (passwordSeen) u.password += enc; else u.username += enc;
            }
            buf = "";
          } else if (c === undefined || c === "/" || c === "?" || c === "#" || (isSpecial(u.scheme) && c === "\\")) {
            if (atSign && buf === "") return null;
            p -= Array.from(buf).length + 1; buf = ""; state = "host";
          } else buf += c;
          break;
        case "host":
        case "hostname":
          if (override && u.scheme === "file:") { p--; state = "file host"; }
          else if (c === ":" && !inBrackets) {
            if (buf === "") return null;
            if (override === "hostname") return null;
            const h = parseHost(buf, isSpecial(u.scheme)); if (h === null) return null;
            u.host = h; buf = ""; state = "port";
          } else if (c === undefined || c === "/" || c === "?" || c === "#" || (isSpecial(u.scheme) && c === "\\")) {
            p--;
            if (isSpecial(u.scheme) && buf === "") return null;
            if (override && buf === "" && (u.username || u.password || u.port !== null)) return u;
            const h = parseHost(buf, isSpecial(u.scheme)); if (h === null) return null;
            u.host = h; buf = ""; state = "path start";
            if (override) return u;
          } else { if (c === "[") inBrackets = true; if (c === "]") inBrackets = false; buf += c; }
          break;
        case "port":
          if (c !== undefined && /[0-9]/.test(c)) buf += c;
          else if (c === undefined || c === "/" || c === "?" || c === "#" || (isSpecial(u.scheme) && c === "\\") || override) {
            if (buf !== "") {
              const port = parseInt(buf, 10);
              if (port > 65535) return null;
              u.port = String(port) === SPECIAL[u.scheme] ? null : String(port);
              buf = "";
            }
            if (override) return u;
            state = "path start"; p--;
          } else return null;
          break;
        case "file":
          u.scheme = "file:"; u.host = "";
          if (c === "/" || c === "\\") state = "file slash";
          else if (base && base.scheme === "file:") {
            u.host = base.host; u.path = base.path.slice(); u.query = base.query;
            if (c === "?") { u.query = ""; state = "query"; }
            else if (c === "#") { u.fragment = ""; state = "fragment"; }
            else if (c !== undefined) {
              u.query = null;
              if (!startsWinLetter(cps.slice(p).join(""))) shortenPath(u); else u.path = [];
              state = "path"; p--;
            }
          } else { state = "path"; p--; }
          break;
        case "file slash":
          if (c === "/" || c === "\\") state = "file host";
          else {
            if (base && base.scheme === "file:") {
              u.host = base.host;
              if (!startsWinLetter(cps.slice(p).join("")) && base.path.length && isWinLetter(base.path[0], true)) u.path.push(base.path[0]);
            }
            state = "path"; p--;
          }
          break;
        case "file host":
          if (c === undefined || c === "/" || c === "\\" || c === "?" || c === "#") {
            p--;
            if (!override && isWinLetter(buf, false)) state = "path";
            else if (buf === "") { u.host = ""; if (override) return u; state = "path start"; }
            else {
              let h = parseHost(buf, true); if (h === null) return null;
              if (h === "localhost") h = "";
              u.host = h; if (override) return u; buf = ""; state = "path start";
            }
          } else buf += c;
          break;
        case "path start":
          if (isSpecial(u.scheme)) { state = "path"; if (c !== "/" && c !== "\\") p--; }
          else if (!override && c === "?") { u.query = ""; state = "query"; }
          else if (!override && c === "#") { u.fragment = ""; state = "fragment"; }
          else if (c !== undefined) { state = "path"; if (c !== "/") p--; }
          else if (override && u.host === null) u.path.push("");
          break;
        case "path":
          if (c === undefined || c === "/" || (isSpecial(u.scheme) && c === "\\") || (!override && (c === "?" || c === "#"))) {
            const slash = c === "/" || (isSpecial(u.scheme) && c === "\\");
            if (isDoubleDot(buf)) { shortenPath(u); if (!slash) u.path.push(""); }
            else if (SINGLE_DOT.has(buf) && !slash) u.path.push("");
            else if (!SINGLE_DOT.has(buf)) {
              if (u.scheme === "file:" && u.path.length === 0 && isWinLetter(buf, false)) buf = buf[0] + ":";
              u.path.push(buf);
            }
            buf = "";
            if (c === "?") { u.query = ""; state = "query"; }
            if (c === "#") { u.fragment = ""; state = "fragment"; }
          } else buf += percentEncode(c, PATH_SET);
          break;
        case "opaque path":
          if (c === "?") { u.query = ""; state = "query"; }
          else if (c === "#") { u.fragment = ""; state = "fragment"; }
          else if (c !== undefined) u.path += percentEncode(c, C0);
          break;
        case "query":
          if ((!override && c === "#") || c === undefined) {
            u.query += percentEncode(buf, isSpecial(u.scheme) ? SPECIAL_QUERY_SET : QUERY_SET); buf = "";
            if (c === "#") { u.fragment = ""; state = "fragment"; }
          } else buf += c;
          break;
        case "fragment":
          if (c !== undefined) u.fragment += percentEncode(c, FRAGMENT_SET);
          break;
      }
    }
    return u;
  };
  const serializePath = (u) => typeof u.path === "string" ? u.path : (u.host === null && u.path.length > 1 && u.path[0] === "" ? "/." : "") + u.path.map((s) => "/" + s).join("");
  const serializeURL = (u, noFragment) => {
    let out = u.scheme;
    if (u.host !== null) {
      out += "//";
      if (u.username || u.password) out += u.username + (u.password ? ":" + u.password : "") + "@";
      out += u.host + (u.port !== null ? ":" + u.port : "");
    }
    out += serializePath(u);
    if (u.query !== null) out += "?" + u.query;
    if (!noFragment && u.fragment !== null) out += "#" + u.fragment;
    return out;
  };

  const urlRecord = new WeakMap();
  const paramsOwner = new WeakMap();
  const parseForm = (s) => {
    const out = [];
    for (const part of s.split("&")) {
      if (part === "") continue;
      const i = part.indexOf("=");
      const name = i < 0 ? part : part.slice(0, i), value = i < 0 ? "" : part.slice(i + 1);
      out.push([percentDecode(name.replace(/\+/g, " ")), percentDecode(value.replace(/\+/g, " "))]);
    }
    return out;
  };
  const serializeForm = (list) => list.map(([k, v]) => percentEncode(k, FORM_SET, true) + "=" + percentEncode(v, FORM_SET, true)).join("&");
  const usv = (s) => String(s).toWellFormed();
  class URLSearchParams {
    #list = [];
    constructor(init = "") {
      if (init instanceof URLSearchParams) this.#list = init.#list.map((e) => e.slice());
      else if (typeof init === "object" && init !== null) {
        if (typeof init[Symbol.iterator] === "function") {
          for (const pair of init) {
            const a = Array.from(pair);
            if (a.length !== 2) throw new TypeError("Each query pair must be an iterable [name, value] tuple");
            this.#list.push([usv(a[0]), usv(a[1])]);
          }
        } else for (const k of Reflect.ownKeys(init)) {
          if (typeof k !== "string" || !Object.prototype.propertyIsEnumerable.call(init, k)) continue;
          this.#list.push([usv(k), usv(init[k])]);
        }
      } else {
        let s = usv(init); if (s.startsWith("?")) s = s.slice(1);
        this.#list = parseForm(s);
      }
    }
    static _set(p, s) { p.#list = parseForm(s); }
    #update() { const u = paramsOwner.get(this); if (u) { const q = serializeForm(this.#list); u.query = q === "" ? null : q; } }
    get size() { return this.#list.length; }
    append(name, value) { this.#list.push([usv(name), usv(value)]); this.#update(); }
    delete(name, value) {
      name = usv(name);
      this.#list = this.#list.filter(([k, v]) => k !== name || (value !== undefined && v !== usv(value)));
      this.#update();
    }
    get(name) { name = usv(name); const e = this.#list.find(([k]) => k === name); return e ? e[1] : null; }
    getAll(name) { name = usv(name); return this.#list.filter(([k]) => k === name).map(([, v]) => v); }
    has(name, value) { name = usv(name); return this.#list.some(([k, v]) => k === name && (value === undefined || v === usv(value))); }
    set(name, value) {
      name = usv(name); value = usv(value);
      const i = this.#list.findIndex(([k]) => k === name);
      if (i < 0) this.#list.push([name, value]);
      else { this.#list[i][1] = value; this.#list = this.#list.filter(([k], j) => j <= i || k !== name); }
      this.#update();
    }
    sort() {
      const key = (s) => Array.from(s, (c) => c.charCodeAt(0));
      this.#list = this.#list.map((e, i) => [e, i]).sort(([a, i], [b, j]) => {
        const x = key(a[0]), y = key(b[0]);
        for (let n = 0; n < Math.min(x.length, y.length); n++) if (x[n] !== y[n]) return x[n] - y[n];
        return x.length - y.length || i - j;
      }).map(([e]) => e);
      this.#update();
    }
    forEach(fn, thisArg) { for (const [k, v] of this.#list.slice()) fn.call(thisArg, v, k, this); }
    *entries() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i].slice(); }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return serializeForm(this.#list); }
    static _list(p) { return p.#list; }
  }
  const setParams = URLSearchParams._set; delete URLSearchParams._set;
  const listOf = URLSearchParams._list; delete URLSearchParams._list;
  tag(URLSearchParams, "URLSearchParams");

  class URL {
    #u; #params;
    constructor(url, base) {
      if (arguments.length === 0) throw new TypeError("The \"url\" argument must be specified");
      let b;
      const input = usv(url);
      if (base !== undefined) { b = parseURL(usv(base)); if (b === null) throw urlError(input, String(base)); }
      const u = parseURL(input, b);
      if (u === null) throw urlError(input, base === undefined ? undefined : String(base));
      this.#u = u;
      this.#params = new URLSearchParams(u.query ?? "");
      paramsOwner.set(this.#params, u);
    }
    static canParse(url, base) { try { new URL(url, base); return true; } catch { return false; } }
    static parse(url, base) { try { return new URL(url, base); } catch { return null; } }
    #set(input, state) { const u = structuredClone(this.#u); if (parseURL(usv(input), undefined, u, state) !== null) Object.assign(this.#u, u); }
    get href() { return serializeURL(this.#u); }
    set href(v) {
      const u = parseURL(usv(v)); if (u === null) throw urlError(String(v));
      for (const k of Object.keys(u)) this.#u[k] = u[k];
      setParams(this.#params, u.query ?? "");
    }
    get origin() {
      const u = this.#u;
      if (u.scheme === "blob:") { try { return new URL(serializePath(u)).origin; } catch { return "null"; } }
      if (!isSpecial(u.scheme) || u.scheme === "file:") return "null";
      return u.scheme + "//" + u.host + (u.port !== null ? ":" + u.port : "");
    }
    get protocol() { return this.#u.scheme; }
    set protocol(v) { this.#set(usv(v) + ":", "scheme start"); }
    get username() { return this.#u.username; }
    set username(v) { const u = this.#u; if (u.host === null || u.host === "" || u.scheme === "file:") return; u.username = percentEncode(usv(v), USERINFO_SET); }
    get password() { return this.#u.password; }
    set password(v) { const u = this.#u; if (u.host === null || u.host === "" || u.scheme === "file:") return; u.password = percentEncode(usv(v), USERINFO_SET); }
    get host() { const u = this.#u; return u.host === null ? "" : u.host + (u.port !== null ? ":" + u.port : ""); }
    set host(v) { if (typeof this.#u.path !== "string") this.#set(v, "host"); }
    get hostname() { return this.#u.host ?? ""; }
    set hostname(v) { if (typeof this.#u.path !== "string") this.#set(v, "hostname"); }
    get port() { return this.#u.port ?? ""; }
    set port(v) {
      const u = this.#u; if (u.host === null || u.host === "" || u.scheme === "file:") return;
      v = usv(v); if (v === "") u.port = null; else this.#set(v, "port");
    }
    get pathname() { return serializePath(this.#u); }
    set pathname(v) { if (typeof this.#u.path === "string") return; const u = structuredClone(this.#u); u.path = []; if (parseURL(usv(v), undefined, u, "path start")) Object.assign(this.#u, u); }
    get search() { const q = this.#u.query; return q === null || q === "" ? "" : "?" + q; }
    set search(v) {
      v = usv(v); const u = this.#u;
      if (v === "") { u.query = null; setParams(this.#params, ""); return; }
      if (v[0] === "?") v = v.slice(1);
      u.query = ""; parseURL(v, undefined, u, "query"); setParams(this.#params, v);
    }
    get searchParams() { return this.#params; }
    get hash() { const f = this.#u.fragment; return f === null || f === "" ? "" : "#" + f; }
    set hash(v) {
      v = usv(v); const u = this.#u;
      if (v === "") { u.fragment = null; return; }
      if (v[0] === "#") v = v.slice(1);
      u.fragment = ""; parseURL(v, undefined, u, "fragment");
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
  }
  tag(URL, "URL");
  defineGlobal("URL", URL);
  defineGlobal("URLSearchParams", URLSearchParams);
  platformClasses.push(URL, URLSearchParams);

  // ---------------------------------------------------------- inspect
  // A formatter after node's util.inspect defaults (depth 2, 80 columns,
  // the three innermost levels on one line when they fit, arrays of more
  // than six short items in columns), so that console.log prints what a
  // JavaScript author expects.
  const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const quoteString = (s) => {
    let q = "'";
    if (s.includes("'")) q = !s.includes('"') ? '"' : !s.includes("`") && !s.includes("${") ? "`" : "'";
    let out = q;
    for (let i = 0; i < s.length; i++) {
      const ch = s[i], c = s.charCodeAt(i);
      if (ch === q || ch === "\\") out += "\\" + ch;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\b") out += "\\b";
      else if (ch === "\f") out += "\\f";
      else if (ch === "\v") out += "\\v";
      else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).toUpperCase().padStart(2, "0");
      else out += ch;
    }
    return out + q;
  };
  const formatKey = (k) => typeof k === "symbol" ? `[${k.toString()}]` : IDENT.test(k) ? k : quoteString(k);
  const formatNumber = (n) => Object.is(n, -0) ? "-0" : String(n);
  const fnBase = (f) => {
    const src = Function.prototype.toString.call(f);
    const name = f.name;
    if (/^class\b/.test(src)) {
      const ext = Object.getPrototypeOf(f);
      return `[class ${name || "(anonymous)"}${ext && ext !== Function.prototype && ext.name ? " extends " + ext.name : ""}]`;
    }
    const kind = toTag(f) === "AsyncFunction" ? "AsyncFunction" : toTag(f) === "GeneratorFunction" ? "GeneratorFunction" : toTag(f) === "AsyncGeneratorFunction" ? "AsyncGeneratorFunction" : "Function";
    return name ? `[${kind}: ${name}]` : `[${kind} (anonymous)]`;
  };
  const errorText = (e) => {
    let stack = typeof e.stack === "string" ? e.stack : "";
    const name = e.name ?? "Error";
    const head = e.message ? `${name}: ${e.message}` : String(name);
    stack = stack.replace(/\n$/, "");
    if (stack === "" ) return `[${head}]`;
    return stack.startsWith(head) ? stack : head + "\n" + stack;
  };
  const constructorName = (v) => {
    let p = Object.getPrototypeOf(v);
    while (p) {
      const d = Object.getOwnPropertyDescriptor(p, "constructor");
      if (d && typeof d.value === "function" && d.value.name) return d.value.name;
      p = Object.getPrototypeOf(p);
    }
    return null;
  };
  const isBelowBreak = (ctx, output, start, base) => {
    let total = output.length + start;
    if (total + output.length > ctx.breakLength) return false;
    for (const o of output) { total += o.length; if (total > ctx.breakLength) return false; }
    return base === "" || !base.includes("\n");
  };
  const groupArray = (ctx, output, value) => {
    let total = 0, maxLen = 0;
    let count = output.length;
    if (ctx.extra) count--; // "... n more items" stays on its own
    const lens = [];
    for (let i = 0; i < count; i++) { const n = output[i].length; lens.push(n); total += n + 2; if (n > maxLen) maxLen = n; }
    const cell = maxLen + 2;
    if (cell * 3 + ctx.indent < ctx.breakLength && (total / cell > 5 || maxLen <= 6)) {
      const bias = Math.sqrt(cell - total / output.length), biased = Math.max(cell - 3 - bias, 1);
      const cols = Math.min(Math.round(Math.sqrt(2.5 * biased * count) / biased), Math.floor((ctx.breakLength - ctx.indent) / cell), 12, 15);
      if (cols <= 1) return output;
      const widths = [];
      for (let c = 0; c < cols; c++) { let w = 0; for (let j = c; j < output.length; j += cols) if (lens[j] > w) w = lens[j]; widths.push(w + 2); }
      const numeric = value !== undefined && Array.prototype.every.call(output.slice(0, count), (_, i) => typeof value[i] === "number" || typeof value[i] === "bigint");
      const rows = [];
      for (let i = 0; i < count; i += cols) {
        const last = Math.min(i + cols, count);
        let line = "";
        for (let j = i; j < last - 1; j++) line += numeric ? (output[j] + ", ").padStart(widths[j - i]) : (output[j] + ", ").padEnd(widths[j - i]);
        line += numeric ? output[last - 1].padStart(widths[last - 1 - i] - 2) : output[last - 1];
        rows.push(line);
      }
      if (ctx.extra) rows.push(output[count]);
      return rows;
    }
    return output;
  };
  const joinOutput = (ctx, output, base, braces, isArrayLike, level, value) => {
    const entries = output.length;
    if (isArrayLike && entries > 6) { ctx.extra = value !== undefined && value.length > 100; output = groupArray(ctx, output, value); }
    if (ctx.currentDepth - level < 3 && entries === output.length) {
      const start = output.length + ctx.indent + braces[0].length + base.length + 10;
      if (isBelowBreak(ctx, output, start, base)) {
        const joined = output.join(", ");
        if (!joined.includes("\n")) return (base ? base + " " : "") + braces[0] + " " + joined + " " + braces[1];
      }
    }
    const ind = "\n" + " ".repeat(ctx.indent);
    return (base ? base + " " : "") + braces[0] + ind + "  " + output.join("," + ind + "  ") + ind + braces[1];
  };
  const formatValue = (ctx, v, level, inObject) => {
    switch (typeof v) {
      case "string": return inObject ? quoteString(v) : v;
      case "number": return formatNumber(v);
      case "bigint": return v + "n";
      case "boolean": return String(v);
      case "undefined": return "undefined";
      case "symbol": return v.toString();
    }
    if (v === null) return "null";
    if (ctx.seen.includes(v)) {
      let i = ctx.circular.get(v); if (i === undefined) { i = ctx.circular.size + 1; ctx.circular.set(v, i); }
      return `[Circular *${i}]`;
    }
    return formatObject(ctx, v, level);
  };
  const formatObject = (ctx, v, level) => {
    const t = toTag(v);
    const ctor = constructorName(v);
    const prefix = (fallback, size) => {
      let p = ctor ?? `[${fallback}: null prototype]`;
      if (size !== undefined) p += `(${size})`;
      const st = v[Symbol.toStringTag];
      if (typeof st === "string" && st !== "" && st !== ctor && st !== fallback) p += ` [${st}]`;
      return p;
    };
    let base = "", braces = ["{", "}"], keys, isArrayLike = false, entries = null, extraKeys = true;
    if (typeof v === "function") {
      base = fnBase(v);
      keys = Object.keys(v);
      if (keys.length === 0) return base;
    } else if (Array.isArray(v)) {
      isArrayLike = true;
      const p = ctor === "Array" ? "" : prefix("Array", v.length) + " ";
      braces = [p + "[", "]"];
      if (v.length === 0 && Object.keys(v).length === 0) return braces[0] + "]";
    } else if (ArrayBuffer.isView(v) && t !== "DataView") {
      isArrayLike = true;
      braces = [prefix(t, v.length) + " [", "]"];
      if (v.length === 0) return braces[0] + "]";
    } else if (t === "Map") {
      braces = [prefix("Map", v.size) + " {", "}"];
      if (v.size === 0 && Object.keys(v).length === 0) return braces[0] + "}";
    } else if (t === "Set") {
      braces = [prefix("Set", v.size) + " {", "}"];
      if (v.size === 0 && Object.keys(v).length === 0) return braces[0] + "}";
    } else if (t === "Date") {
      base = Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
      if (Object.keys(v).length === 0) return base;
    } else if (t === "RegExp") {
      base = RegExp.prototype.toString.call(v);
      if (Object.keys(v).length === 0) return base;
    } else if (v instanceof Error) {
      base = errorText(v);
      keys = Object.keys(v).filter((k) => k !== "stack" && k !== "message");
      if (keys.length === 0) return base;
    } else if (t === "Promise") {
      return `${prefix("Promise")} { <unknown> }`;
    } else if (t === "WeakMap" || t === "WeakSet") {
      return `${prefix(t)} { <items unknown> }`;
    } else if (t === "ArrayBuffer") {
      const bytes = new Uint8Array(v);
      const hex = Array.from(bytes.subarray(0, 50), (b) => b.toString(16).padStart(2, "0")).join(" ") + (bytes.length > 50 ? ` ... ${bytes.length - 50} more bytes` : "");
      return `ArrayBuffer { [Uint8Contents]: <${hex}>, byteLength: ${v.byteLength} }`;
    } else if (t === "Number" || t === "String" || t === "Boolean" || t === "BigInt" || t === "Symbol") {
      const prim = v.valueOf();
      base = `[${t}: ${formatValue(ctx, prim, level, true)}]`;
      keys = t === "String" ? Object.keys(v).filter((k) => !/^\d+$/.test(k)) : Object.keys(v);
      if (keys.length === 0) return base;
    } else if (ctor === "Object") {
      if (typeof v[Symbol.toStringTag] === "string" && v[Symbol.toStringTag] !== "") braces = [`Object [${v[Symbol.toStringTag]}] {`, "}"];
    } else {
      braces = [prefix("Object") + " {", "}"];
    }
    if (level > ctx.depth) {
      const name = Array.isArray(v) ? "Array" : ctor ?? "Object";
      return `[${name}]`;
    }
    ctx.seen.push(v);
    ctx.currentDepth = level;
    const output = [];
    ctx.indent += 2;
    try {
      if (Array.isArray(v) || (isArrayLike)) {
        const max = Math.min(v.length, 100);
        let holes = 0;
        for (let i = 0; i < max; i++) {
          if (!Object.hasOwn(v, i) && Array.isArray(v)) { holes++; continue; }
          if (holes) { output.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`); holes = 0; }
          output.push(formatValue(ctx, v[i], level + 1, true));
        }
        if (holes) output.push(`<${holes} empty item${holes > 1 ? "s" : ""}>`);
        if (v.length > max) output.push(`... ${v.length - max} more item${v.length - max > 1 ? "s" : ""}`);
        keys = Object.keys(v).filter((k) => !(/^(0|[1-9][0-9]*)$/.test(k) && +k < 2 ** 32 - 1));
      } else if (t === "Map") {
        for (const [k, e] of v) output.push(`${formatValue(ctx, k, level + 1, true)} => ${formatValue(ctx, e, level + 1, true)}`);
      } else if (t === "Set") {
        for (const e of v) output.push(formatValue(ctx, e, level + 1, true));
      }
      if (keys === undefined) keys = Object.keys(v);
      const symbols = Object.getOwnPropertySymbols(v).filter((s) => Object.prototype.propertyIsEnumerable.call(v, s));
      for (const k of [...keys, ...symbols]) {
        const d = Object.getOwnPropertyDescriptor(v, k);
        let s;
        if (d.get || d.set) s = d.get && d.set ? "[Getter/Setter]" : d.get ? "[Getter]" : "[Setter]";
        else s = formatValue(ctx, d.value, level + 1, true);
        output.push(`${formatKey(k)}: ${s}`);
      }
    } finally { ctx.indent -= 2; }
    ctx.seen.pop();
    let res;
    if (output.length === 0 && base) res = base;
    else if (output.length === 0) res = braces[0] + braces[1];
    else res = joinOutput(ctx, output, base, braces, isArrayLike && !keys.length, level, isArrayLike ? v : undefined);
    const ref = ctx.circular.get(v);
    if (ref !== undefined) res = `<ref *${ref}> ${res}`;
    return res;
  };
  const inspect = (v, opts = {}) => formatValue({ seen: [], circular: new Map(), indent: 0, currentDepth: 0, depth: opts.depth ?? 2, breakLength: 80 }, v, 0, true);

  // --------------------------------------------------------------- console
  const formatArgs = (args) => {
    let first = args[0], i = 1, out = "";
    if (typeof first === "string" && first.includes("%") && args.length > 1) {
      let last = 0;
      for (let p = 0; p < first.length - 1; p++) {
        if (first[p] !== "%") continue;
        const f = first[p + 1];
        let rep;
        if (f === "%") { out += first.slice(last, p) + "%"; last = p + 2; p++; continue; }
        if (i >= args.length || !"sdifjoOc".includes(f)) continue;
        const a = args[i];
        switch (f) {
          case "s": rep = typeof a === "bigint" ? a + "n" : typeof a === "symbol" ? a.toString() : typeof a === "object" && a !== null ? inspect(a, { depth: 0 }) : String(a); break;
          case "d": rep = typeof a === "bigint" ? a + "n" : typeof a === "object" && a !== null ? formatNumber(Number(a)) : typeof a === "symbol" ? "NaN" : formatNumber(Number(a)); break;
          case "i": rep = typeof a === "bigint" ? a + "n" : typeof a === "symbol" ? "NaN" : formatNumber(parseInt(a)); break;
          case "f": rep = typeof a === "symbol" ? "NaN" : formatNumber(parseFloat(a)); break;
          case "j": try { rep = JSON.stringify(a); } catch { rep = "[Circular]"; } break;
          case "o": rep = inspect(a, { depth: 4 }); break;
          case "O": rep = inspect(a); break;
          case "c": rep = ""; break;
        }
        out += first.slice(last, p) + rep; last = p + 2; p++; i++;
      }
      out += first.slice(last);
    } else {
      out = typeof first === "string" ? first : inspect(first);
    }
    for (; i < args.length; i++) out += " " + (typeof args[i] === "string" ? args[i] : inspect(args[i]));
    return out;
  };
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
    time(label = "default") { timersByLabel.set(String(label), performance.now()); },
    timeLog(label = "default", ...a) { const s = timersByLabel.get(String(label)); if (s !== undefined) emit(`${label}: ${(performance.now() - s).toFixed(3)}ms` + (a.length ? " " + formatArgs(a) : "")); },
    timeEnd(label = "default") { const s = timersByLabel.get(String(label)); if (s !== undefined) { timersByLabel.delete(String(label)); emit(`${label}: ${(performance.now() - s).toFixed(3)}ms`); } },
    group(...a) { if (a.length) emit(formatArgs(a)); groupIndent += "  "; },
    groupCollapsed(...a) { if (a.length) emit(formatArgs(a)); groupIndent += "  "; },
    groupEnd() { groupIndent = groupIndent.slice(2); },
    table(data) { emit(inspect(data)); },
  };
  for (const k of Object.keys(consoleObj)) Object.defineProperty(consoleObj, k, { enumerable: true });
  defineGlobal("console", consoleObj);
  // Per-run state above (counters, group indent, timers) starts empty in
  // every instance: each run restores the start-up snapshot.
  Object.defineProperty(globalThis, "__enact_inspect", { value: inspect });
})();
