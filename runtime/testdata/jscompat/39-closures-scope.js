const counter = (() => { let n = 0; return { inc: () => ++n, get value() { return n; } }; })();
counter.inc(); counter.inc();
console.log(counter.value);
const fns = [];
for (let i = 0; i < 3; i++) fns.push(() => i);
console.log(fns.map((f) => f()));
const memo = new Map();
const fact = (n) => n <= 1 ? 1n : memo.get(n) ?? (memo.set(n, BigInt(n) * fact(n - 1)), memo.get(n));
console.log(fact(25));
