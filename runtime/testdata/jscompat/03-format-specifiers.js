console.log("%s has %d items costing %f", "cart", 3, 9.5);
console.log("%i%% done", 42.9);
console.log("json: %j", { a: [1, 2] });
console.log("obj: %o and %O", { x: 1 }, { y: { z: 2 } });
console.log("%s %s", "only one");
console.log("%c styled", "color: red");
console.log("no specifiers", 1, "two", { three: 3 });
