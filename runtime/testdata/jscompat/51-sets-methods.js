const a = new Set([1, 2, 3]), b = new Set([2, 3, 4]);
// node 20 lacks Set.prototype.union and intersection (the sandbox has them).
const union = (x, y) => (typeof x.union === "function" ? x.union(y) : new Set([...x, ...y]));
const intersection = (x, y) => (typeof x.intersection === "function" ? x.intersection(y) : new Set([...x].filter((v) => y.has(v))));
console.log(union(a, b), intersection(a, b), [...a].filter((x) => !b.has(x)));
