const f = new Float64Array([1.5, -2, 3]);
const i = Int16Array.from([1, -1, 32767]);
const dv = new DataView(new ArrayBuffer(8));
dv.setUint32(0, 0xdeadbeef); dv.setFloat32(4, 1.5, true);
console.log(f, i, new Uint8Array(dv.buffer), dv.getUint16(0).toString(16));
console.log(new ArrayBuffer(4), new Uint8Array(0));
