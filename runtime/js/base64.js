// atob and btoa.
// A module of the sandbox's web APIs, compiled on first use (see webapi.js).
(shared) => {
  "use strict";
  const { domError } = shared;
  // ----------------------------------------------------------- atob, btoa
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const B64INV = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) B64INV[B64.charCodeAt(i)] = i;
  const btoa = function btoa(data) {
    if (arguments.length === 0) throw new TypeError("The \"data\" argument must be specified");
    const s = String(data); let out = "";
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) throw domError("Invalid character", "InvalidCharacterError");
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2), n = i + 2 < s.length ? 3 : s.length - i;
      const v = (a << 16) | ((n > 1 ? b : 0) << 8) | (n > 2 ? c : 0);
      out += B64[v >> 18] + B64[(v >> 12) & 63] + (n > 1 ? B64[(v >> 6) & 63] : "=") + (n > 2 ? B64[v & 63] : "=");
    }
    return out;
  };
  const atob = function atob(data) {
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
  };
  return { globals: { atob, btoa } };
}
