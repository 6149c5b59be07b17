const a = { name: "a" };
a.self = a;
a.list = [a, { back: a }];
console.log(a);
const m = new Map(); m.set("m", m);
console.log(m);
