const grid = [[1, 2], [3, 4], [5, 6]];
const found = [];
outer: for (const row of grid) { for (const v of row) { if (v === 4) break outer; if (v % 2) continue; found.push(v); } }
console.log(found);
let s = 0; do { s++; } while (s < 5);
switch (s) { case 5: console.log("five"); default: console.log("fallthrough"); }
