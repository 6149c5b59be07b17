console.log(new WeakMap(), new WeakSet(), [new Number(3), new String("s"), new Boolean(false)]);
console.log(Object(1n), typeof Object(1n));
