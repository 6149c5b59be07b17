const d = new Date(Date.UTC(2024, 1, 29, 12, 30, 45, 123));
console.log(d.toISOString(), d.getTime(), JSON.stringify({ d }));
console.log([d], { when: d });
console.log(new Date("invalid").getTime(), String(new Date(NaN)));
