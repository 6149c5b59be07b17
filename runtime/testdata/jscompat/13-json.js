const obj = { b: 2, a: [1, { c: 3 }], d: null, e: undefined };
console.log(JSON.stringify(obj));
console.log(JSON.stringify(obj, null, 2));
console.log(JSON.stringify(obj, ["a", "b"]));
console.log(JSON.parse('{"x":[1,2,{"y":"z"}]}', (k, v) => (typeof v === "number" ? v * 10 : v)));
