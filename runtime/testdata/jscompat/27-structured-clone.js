const src = { date: new Date(0), re: /x/gi, map: new Map([[1, { n: 1 }]]), set: new Set(["a"]), arr: [1, , 3], bytes: new Uint8Array([1, 2]), big: 10n, nested: { deep: [1, 2] } };
src.self = src;
const c = structuredClone(src);
console.log(c.self === c, c.date instanceof Date, c.date.getTime(), c.re.flags, c.map.get(1), [...c.set], c.arr.length, 1 in c.arr, c.bytes, c.big, c.nested !== src.nested);
for (const bad of [() => 1, Symbol("s"), { f() {} }]) {
  try { structuredClone(bad); console.log("cloned"); } catch (e) { console.log(e.name, e instanceof DOMException); }
}
const err = structuredClone(new RangeError("r"));
console.log(err instanceof RangeError, err.message);
