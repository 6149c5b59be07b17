// TextEncoder and TextDecoder (UTF-8 only).
// A module of the sandbox's web APIs, compiled on first use (see webapi.js).
(shared) => {
  "use strict";
  const { tag, utf8Encode, bytesOf, inspect, platformClasses } = shared;
  // ------------------------------------------------ TextEncoder, TextDecoder
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

  platformClasses.push(TextEncoder, TextDecoder);
  return { globals: { TextEncoder, TextDecoder } };
}
