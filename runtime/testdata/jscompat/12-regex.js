const re = /(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})/u;
const m = "Due 2024-03-15.".match(re);
console.log(m.groups.year, m.groups.month, m.index);
console.log("a1b22c333".replace(/\d+/g, (d) => `[${d.length}]`), [..."x1y2".matchAll(/\d/g)].map((x) => x[0]));
console.log(/ab+c/gi, "Hello World".split(/\s/));
