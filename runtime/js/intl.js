// Intl for the locales en-US, en-GB, de-DE, fr-FR and ja-JP (others fall
// back to en-US): NumberFormat (decimal, percent, currency; fraction and
// integer digits, grouping), PluralRules (cardinal, and ordinal for
// English), Collator (sensitivity base/accent/case/variant, numeric) and
// DateTimeFormat (numeric dates, dateStyle long, timeStyle; IANA time
// zones from the host's database, UTC by default).
// The data below follows what node 20's ICU prints for these locales.
// A module of the sandbox's web APIs, compiled on first use (see webapi.js).
(shared) => {
  "use strict";
  const NBSP = "\u00a0", NNBSP = "\u202f";
  // group, decimal, currency pattern ("s" the symbol, "n" the number), percent suffix
  const LOCALES = {
    "en-US": { group: ",", decimal: ".", currency: "sn", percent: "%", date: "M/D/Y" },
    "en-GB": { group: ",", decimal: ".", currency: "sn", percent: "%", date: "DD/MM/Y" },
    "de-DE": { group: ".", decimal: ",", currency: "n" + NBSP + "s", percent: NBSP + "%", date: "D.M.Y" },
    "fr-FR": { group: NNBSP, decimal: ",", currency: "n" + NBSP + "s", percent: NBSP + "%", date: "DD/MM/Y" },
    "ja-JP": { group: ",", decimal: ".", currency: "sn", percent: "%", date: "Y/M/D" },
  };
  const SYMBOLS = {
    "en-US": { USD: "$", EUR: "€", GBP: "£", JPY: "¥" },
    "en-GB": { USD: "US$", EUR: "€", GBP: "£", JPY: "JP¥" },
    "de-DE": { USD: "$", EUR: "€", GBP: "£", JPY: "¥" },
    "fr-FR": { USD: "$US", EUR: "€", GBP: "£GB", JPY: "JPY" },
    "ja-JP": { USD: "$", EUR: "€", GBP: "£", JPY: "￥" },
  };
  const CURRENCY_DIGITS = { JPY: 0, KRW: 0, CLP: 0, ISK: 0, VND: 0 };
  const resolveLocale = (locales) => {
    const list = locales === undefined ? [] : Array.isArray(locales) ? locales : [locales];
    for (const l of list) {
      const tag = String(l);
      if (Object.hasOwn(LOCALES, tag)) return tag;
      const lang = tag.split("-")[0].toLowerCase();
      const match = Object.keys(LOCALES).find((k) => k.startsWith(lang + "-"));
      if (match) return match;
    }
    return "en-US";
  };
  const digitsOption = (v, min, max, fallback, name) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(n >= min && n <= max) || !Number.isFinite(n)) throw new RangeError(`${name} value is out of range.`);
    return Math.floor(n);
  };

  class NumberFormat {
    #o;
    constructor(locales, options = {}) {
      const locale = resolveLocale(locales);
      const style = options.style ?? "decimal";
      if (!["decimal", "percent", "currency"].includes(style)) throw new RangeError(`Value ${style} out of range for Intl.NumberFormat options property style`);
      let currency;
      if (style === "currency") {
        if (options.currency === undefined) throw new TypeError("Currency code is required with currency style.");
        currency = String(options.currency).toUpperCase();
        if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`Invalid currency code : ${options.currency}`);
      }
      const defMin = style === "currency" ? CURRENCY_DIGITS[currency] ?? 2 : 0;
      const defMax = style === "currency" ? defMin : style === "percent" ? 0 : 3;
      const minF = digitsOption(options.minimumFractionDigits, 0, 100, defMin, "minimumFractionDigits");
      const maxF = digitsOption(options.maximumFractionDigits, 0, 100, Math.max(defMax, minF), "maximumFractionDigits");
      if (minF > maxF) throw new RangeError("maximumFractionDigits value is out of range.");
      this.#o = {
        locale, style, currency, minF, maxF,
        minI: digitsOption(options.minimumIntegerDigits, 1, 21, 1, "minimumIntegerDigits"),
        grouping: options.useGrouping === undefined ? true : !!options.useGrouping && options.useGrouping !== "false",
        currencyDisplay: options.currencyDisplay ?? "symbol",
      };
    }
    format(value) {
      const o = this.#o, L = LOCALES[o.locale];
      let n = typeof value === "bigint" ? Number(value) : Number(value);
      if (Number.isNaN(n)) return "NaN";
      const negative = n < 0 || Object.is(n, -0);
      n = Math.abs(n);
      if (o.style === "percent") n *= 100;
      let body;
      if (!Number.isFinite(n)) body = "∞";
      else {
        let [int, frac = ""] = roundTo(n, o.maxF).split(".");
        while (frac.length > o.minF && frac.endsWith("0")) frac = frac.slice(0, -1);
        int = int.padStart(o.minI, "0");
        if (o.grouping) int = int.replace(/\B(?=(\d{3})+(?!\d))/g, L.group);
        body = frac ? int + L.decimal + frac : int;
      }
      if (o.style === "percent") body += L.percent;
      if (o.style === "currency") {
        const sym = o.currencyDisplay === "code" ? o.currency : SYMBOLS[o.locale][o.currency] ?? o.currency;
        const sep = o.currencyDisplay === "code" && L.currency === "sn" ? NBSP : "";
        body = L.currency.replace("n", "\u0000").replace("s", sym + sep).replace("\u0000", body);
      }
      return (negative && body !== "0" && !/^0([.,]0*)?$/.test(body) ? "-" : negative ? "-" : "") + body;
    }
    formatToParts(value) { return [{ type: "literal", value: this.format(value) }]; }
    resolvedOptions() {
      const o = this.#o;
      return { locale: o.locale, numberingSystem: "latn", style: o.style, ...(o.currency ? { currency: o.currency, currencyDisplay: o.currencyDisplay } : {}),
        minimumIntegerDigits: o.minI, minimumFractionDigits: o.minF, maximumFractionDigits: o.maxF, useGrouping: o.grouping ? "auto" : false };
    }
    static supportedLocalesOf(locales) { return (Array.isArray(locales) ? locales : [locales]).filter((l) => Object.hasOwn(LOCALES, l)); }
  }
  // roundTo writes n (finite, >= 0) with exactly digits fraction digits,
  // rounding half away from zero on its shortest decimal form.
  const roundTo = (n, digits) => {
    if (n >= 1e21) return BigInt(Math.round(n)).toString() + (digits ? "." + "0".repeat(digits) : "");
    const [mant, exp = "0"] = n.toExponential().split("e");
    const e = Number(exp);
    const d = mant.replace(".", "");
    // digits of n as an integer string s with point position p (value = 0.s * 10^p)
    let s = d, p = e + 1;
    if (p <= 0) { s = "0".repeat(1 - p) + s; p = 1; }
    const keep = p + digits;
    let kept = s.slice(0, keep).padEnd(keep, "0");
    if (s.length > keep && s.charCodeAt(keep) >= 53) { // round up
      const up = (BigInt(kept) + 1n).toString().padStart(keep, "0");
      if (up.length > keep) p++;
      kept = up;
    }
    const int = kept.slice(0, p).replace(/^0+(?=\d)/, "") || "0";
    const frac = kept.slice(p);
    return digits ? int + "." + frac : int;
  };

  class PluralRules {
    #locale; #type;
    constructor(locales, options = {}) { this.#locale = resolveLocale(locales); this.#type = options.type ?? "cardinal"; }
    select(value) {
      const n = Math.abs(Number(value)), lang = this.#locale.slice(0, 2);
      const integer = Number.isInteger(n);
      if (this.#type === "ordinal") {
        if (lang !== "en") return lang === "fr" && n === 1 ? "one" : "other";
        const m10 = n % 10, m100 = n % 100;
        if (m10 === 1 && m100 !== 11) return "one";
        if (m10 === 2 && m100 !== 12) return "two";
        if (m10 === 3 && m100 !== 13) return "few";
        return "other";
      }
      if (lang === "ja") return "other";
      if (lang === "fr") {
        if (n < 2) return "one";
        return integer && n !== 0 && n % 1000000 === 0 ? "many" : "other";
      }
      return n === 1 && integer && String(value).indexOf(".") < 0 ? "one" : "other";
    }
    resolvedOptions() { return { locale: this.#locale, type: this.#type }; }
  }

  const stripAccents = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  class Collator {
    #o;
    constructor(locales, options = {}) {
      this.#o = { locale: resolveLocale(locales), sensitivity: options.sensitivity ?? "variant", numeric: !!options.numeric,
        ignorePunctuation: !!options.ignorePunctuation, caseFirst: options.caseFirst ?? "false" };
      this.compare = this.compare.bind(this);
    }
    compare(a, b) {
      a = String(a); b = String(b);
      const o = this.#o;
      const levels = { base: [1], accent: [1, 2], case: [1, 3], variant: [1, 2, 3] }[o.sensitivity] ?? [1, 2, 3];
      for (const level of levels) {
        const c = compareAt(a, b, level, o.numeric);
        if (c !== 0) return c;
      }
      return 0;
    }
    resolvedOptions() { const o = this.#o; return { locale: o.locale, usage: "sort", sensitivity: o.sensitivity, ignorePunctuation: o.ignorePunctuation, collation: "default", numeric: o.numeric, caseFirst: o.caseFirst }; }
  }
  // compareAt compares at one level: 1 letters without accents or case,
  // 2 accents (none before any), 3 case (lower before upper, as ICU's
  // default). Levels 2 and 3 compare letter by letter the marks or the
  // case of strings equal at level 1.
  const compareAt = (a, b, level, numeric) => {
    if (level === 1) {
      const x = tokens(stripAccents(a).toLowerCase(), numeric), y = tokens(stripAccents(b).toLowerCase(), numeric);
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const p = x[i], q = y[i];
        if (typeof p === "bigint" && typeof q === "bigint") { if (p !== q) return p < q ? -1 : 1; continue; }
        const c = compareChars(String(p), String(q));
        if (c !== 0) return c;
      }
      return Math.sign(x.length - y.length);
    }
    const x = clusters(a), y = clusters(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const [bp, mp] = x[i], [bq, mq] = y[i];
      if (level === 2 && mp !== mq) return mp === "" ? -1 : mq === "" ? 1 : mp < mq ? -1 : 1;
      if (level === 3 && bp !== bq) return bp === bp.toLowerCase() ? -1 : 1;
    }
    return 0;
  };
  // clusters splits a string into [base character, its combining marks].
  const clusters = (s) => {
    const out = [];
    for (const ch of s.normalize("NFD")) {
      if (/\p{M}/u.test(ch) && out.length) out[out.length - 1][1] += ch;
      else out.push([ch, ""]);
    }
    return out;
  };
  const tokens = (s, numeric) => numeric ? s.split(/(\d+)/).filter((t) => t !== "").map((t) => /^\d+$/.test(t) ? BigInt(t) : t) : [s];
  // Characters order: punctuation and spaces, digits, letters; within
  // letters, the alphabet, and (level 3) lower case first.
  const rank = (ch) => /\p{L}/u.test(ch) ? 2 : /\p{N}/u.test(ch) ? 1 : 0;
  const compareChars = (a, b) => {
    const x = Array.from(a), y = Array.from(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const p = x[i], q = y[i];
      if (p === q) continue;
      const rp = rank(p), rq = rank(q);
      if (rp !== rq) return rp < rq ? -1 : 1;
      return p < q ? -1 : 1;
    }
    return Math.sign(x.length - y.length);
  };

  const MONTHS = {
    en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    de: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
    fr: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
  };
  // zoneOffset is the offset of an IANA time zone from UTC at a time, in
  // minutes, from the host's time zone database.
  const zoneOffset = (zone, ms) => {
    if (zone === "UTC") return 0;
    try { return shared.sys(6, zone, ms); } catch { throw new RangeError(`Invalid time zone specified: ${zone}`); }
  };
  class DateTimeFormat {
    #o;
    constructor(locales, options = {}) {
      let tz = options.timeZone === undefined ? "UTC" : String(options.timeZone);
      if (/^(utc|etc\/utc|gmt|etc\/gmt)$/i.test(tz)) tz = "UTC";
      zoneOffset(tz, 0);
      this.#o = { locale: resolveLocale(locales), timeZone: tz, dateStyle: options.dateStyle, timeStyle: options.timeStyle };
    }
    format(date = Date.now()) {
      const t = typeof date === "number" ? date : Number(date);
      if (Number.isNaN(t)) throw new RangeError("Invalid time value");
      // The zone's wall clock, read with the UTC accessors.
      const d = new Date(t + zoneOffset(this.#o.timeZone, t) * 60000);
      const o = this.#o, L = LOCALES[o.locale], lang = o.locale.slice(0, 2);
      const Y = d.getUTCFullYear(), M = d.getUTCMonth() + 1, D = d.getUTCDate();
      const pad = (n) => String(n).padStart(2, "0");
      let date_ = "";
      if (o.dateStyle === "long" && MONTHS[lang]) {
        const m = MONTHS[lang][M - 1];
        date_ = lang === "en" ? (o.locale === "en-GB" ? `${D} ${m} ${Y}` : `${m} ${D}, ${Y}`) : lang === "de" ? `${D}. ${m} ${Y}` : `${D} ${m} ${Y}`;
      } else if (o.dateStyle !== undefined || o.timeStyle === undefined) {
        date_ = L.date.replace("DD", pad(D)).replace("MM", pad(M)).replace("D", D).replace("M", M).replace("Y", Y);
      }
      if (o.timeStyle === undefined) return date_;
      const h = d.getUTCHours(), mi = pad(d.getUTCMinutes()), s = pad(d.getUTCSeconds());
      const time = o.locale === "en-US" ? `${h % 12 || 12}:${mi}:${s} ${h < 12 ? "AM" : "PM"}` : `${pad(h)}:${mi}:${s}`;
      return date_ ? `${date_}, ${time}` : time;
    }
    resolvedOptions() { const o = this.#o; return { locale: o.locale, calendar: "gregory", numberingSystem: "latn", timeZone: o.timeZone }; }
  }

  const Intl = {};
  for (const [k, v] of Object.entries({ NumberFormat, PluralRules, Collator, DateTimeFormat })) shared.define(Intl, k, v);
  shared.define(Intl, "getCanonicalLocales", (l) => (l === undefined ? [] : Array.isArray(l) ? l : [l]).map(String));
  Object.defineProperty(Intl, Symbol.toStringTag, { value: "Intl", configurable: true });
  return { globals: { Intl }, NumberFormat, Collator, DateTimeFormat };
}
