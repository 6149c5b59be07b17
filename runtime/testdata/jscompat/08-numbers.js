console.log(0.1 + 0.2, -0, [-0], 1e21, 1 / 3, NaN, -Infinity, 2 ** 53 + 1);
console.log((1234.5678).toFixed(2), (0.000001234).toPrecision(2), Number.parseFloat("3.14abc"), (255).toString(16));
console.log(123n * 456n, 2n ** 100n, [1n, -2n]);
