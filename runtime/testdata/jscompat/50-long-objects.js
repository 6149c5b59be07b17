const row = { id: 1, firstName: "Grace", lastName: "Hopper", email: "grace@example.com", active: true, roles: ["admin", "dev"] };
console.log(row);
console.log([row, { ...row, id: 2 }]);
console.log({ a: "x".repeat(70) }, { short: 1 });
console.log("x".repeat(100).length, { k: "y".repeat(20) });
