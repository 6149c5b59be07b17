const a = crypto.getRandomValues(new Uint8Array(16));
const b = crypto.getRandomValues(new Uint32Array(4));
console.log(a.length, b.length, a.some((x) => x !== 0) || b.some((x) => x !== 0));
const id = crypto.randomUUID();
console.log(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id), id !== crypto.randomUUID());
try { crypto.getRandomValues(new Float64Array(2)); } catch (e) { console.log(e.name); }
try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { console.log(e.name); }
const r = Math.random(); console.log(r >= 0 && r < 1);
