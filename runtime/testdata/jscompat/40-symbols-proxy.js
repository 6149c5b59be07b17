const logged = [];
const p = new Proxy({ a: 1 }, { get(t, k, r) { logged.push(String(k)); return Reflect.get(t, k, r); } });
console.log(p.a, p.missing, logged);
const sym = Symbol("tag");
console.log(sym, sym.description, { [sym]: 1 }, Symbol.for("app") === Symbol.for("app"));
console.log(Reflect.ownKeys({ a: 1, [sym]: 2 }));
