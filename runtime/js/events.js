// Event, CustomEvent, EventTarget, AbortController and AbortSignal.
// A module of the sandbox's web APIs, compiled on first use (see webapi.js).
(shared) => {
  "use strict";
  const { tag, domError, reportError, inspect, performance, platformClasses } = shared;
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
      shared.setTimeout(() => s.#abort(domError("The operation was aborted due to timeout", "TimeoutError")), ms);
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
  platformClasses.push(Event, EventTarget, AbortController, AbortSignal);
  return { globals: { Event, CustomEvent, EventTarget, AbortController, AbortSignal } };
}
