const enc = new TextEncoder();
const bytes = enc.encode("héllo wörld €😀");
console.log(bytes.length, Array.from(bytes.slice(0, 8)));
console.log(new TextDecoder().decode(bytes));
const buf = new Uint8Array(5);
console.log(enc.encodeInto("añb", buf), buf);
console.log(new TextDecoder().decode(new Uint8Array([0xff, 0x41, 0xe2, 0x82])), enc.encoding);
