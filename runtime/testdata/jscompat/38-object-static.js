const o = { b: 2, a: 1, 10: "ten", 2: "two" };
console.log(Object.keys(o), Object.values(o), Object.entries(o));
console.log(Object.fromEntries([["x", 1], ["y", 2]]), Object.freeze({ f: 1 }), Object.isFrozen(Object.freeze({})));
const withGetter = { get full() { return "computed"; }, set only(v) {}, both: 1 };
Object.defineProperty(withGetter, "hidden", { value: 1, enumerable: false });
console.log(withGetter, structuredClone({ g: withGetter.full }));
