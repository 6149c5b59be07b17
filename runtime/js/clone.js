// structuredClone, after the HTML structured-clone rules.
// A module of the sandbox's web APIs, compiled on first use (see webapi.js).
(shared) => {
  "use strict";
  const { define, domError, inspect, toTag, platformClasses } = shared;
  // ------------------------------------------------------------ structuredClone
  const cloneError = (v) => domError(`${typeof v === "function" ? String(v) : inspect(v)} could not be cloned.`, "DataCloneError");
  const errorCtors = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const typedCtors = { Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array };
  if (typeof Float16Array === "function") typedCtors.Float16Array = Float16Array;
  const structuredClone = function structuredClone(value, options) {
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
  };
  const isPlatformObject = (v) => platformClasses.some((C) => v instanceof C);
  return { globals: { structuredClone } };
}
