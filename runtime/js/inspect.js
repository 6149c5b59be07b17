// inspect and console's formatting, after node's util.inspect and util.format.
// A module of the sandbox's web APIs, compiled on first use (see webapi.js).
(shared) => {
  "use strict";
  const { toTag } = shared;
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
  return { globals: {  }, inspect, formatArgs };
}
