const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const data = new TextEncoder().encode("abc");
for (const alg of ["SHA-1", "SHA-256", "SHA-384", "SHA-512"]) console.log(alg, hex(await crypto.subtle.digest(alg, data)));
console.log(hex(await crypto.subtle.digest({ name: "SHA-256" }, new Uint8Array(0))));
try { await crypto.subtle.digest("MD5", data); } catch (e) { console.log(e.name); }
