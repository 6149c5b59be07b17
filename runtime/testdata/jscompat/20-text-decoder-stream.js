const euro = new TextEncoder().encode("a€b😀c");
const dec = new TextDecoder();
let out = "";
for (let i = 0; i < euro.length; i++) out += dec.decode(euro.subarray(i, i + 1), { stream: true });
out += dec.decode();
console.log(out, out === "a€b😀c");
try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3])); } catch (e) { console.log(e.name); }
console.log(JSON.stringify(new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]))));
