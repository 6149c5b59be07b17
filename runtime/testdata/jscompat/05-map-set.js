const m = new Map([["a", 1], ["b", { deep: true }]]);
const s = new Set([1, "two", [3]]);
console.log(m, s, new Map(), new Set());
console.log([...m.keys()], [...s].length);
