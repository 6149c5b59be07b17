console.log(BigInt.asUintN(64, -1n), BigInt.asIntN(64, 2n ** 63n), BigInt.asUintN(8, 257n), BigInt.asIntN(8, 255n), BigInt.asUintN(0, 5n));
console.log(BigInt.asIntN(32, -(2n ** 31n) - 1n), BigInt.asUintN(128, -5n));
