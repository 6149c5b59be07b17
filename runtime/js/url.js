// URL and URLSearchParams, after the WHATWG URL Standard.
// A module of the sandbox's web APIs, compiled on first use (see webapi.js).
(shared) => {
  "use strict";
  const { tag, utf8Encode, platformClasses } = shared;
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
  const utf8Decoder = new (shared.module("encoding").globals.TextDecoder)();
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

  const copyRecord = (u) => ({ ...u, path: Array.isArray(u.path) ? u.path.slice() : u.path });
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
    #set(input, state) { const u = copyRecord(this.#u); if (parseURL(usv(input), undefined, u, state) !== null) Object.assign(this.#u, u); }
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
    set pathname(v) { if (typeof this.#u.path === "string") return; const u = copyRecord(this.#u); u.path = []; if (parseURL(usv(v), undefined, u, "path start")) Object.assign(this.#u, u); }
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
  platformClasses.push(URL, URLSearchParams);
  return { globals: { URL, URLSearchParams } };
}
