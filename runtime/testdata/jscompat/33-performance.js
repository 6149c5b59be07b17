const t0 = performance.now();
await new Promise((r) => setTimeout(r, 15));
const dt = performance.now() - t0;
console.log(typeof t0, t0 >= 0, dt >= 14, dt < 5000);
console.log(Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 1000);
