function* fib() { let [x, y] = [0, 1]; for (;;) { yield x; [x, y] = [y, x + y]; } }
const out = [];
for (const n of fib()) { if (n > 100) break; out.push(n); }
console.log(out);
const iter = { from: 1, to: 4, *[Symbol.iterator]() { for (let i = this.from; i <= this.to; i++) yield i; } };
console.log([...iter], Array.from(iter, (x) => x * 2));
