console.log((1234567.891).toFixed(1), (0.5).toFixed(0), (1.005).toFixed(2), (1e-7).toString(), (123.456).toExponential(2));
console.log(Number("0x1f"), Number(""), Number(" 12 "), parseInt("08"), Math.trunc(-4.7), Math.sign(-3), Math.cbrt(27));
console.log(Number.MAX_SAFE_INTEGER, Number.EPSILON > 0, Number.isInteger(5.0), (25).toString(2));
