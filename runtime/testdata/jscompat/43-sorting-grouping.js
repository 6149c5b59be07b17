const people = [{ n: "Cy", age: 30 }, { n: "Al", age: 25 }, { n: "Bo", age: 30 }];
const byAge = {};
for (const p of people) (byAge[p.age] ??= []).push(p.n);
console.log(byAge);
console.log(people.toSorted((a, b) => a.age - b.age || a.n.localeCompare(b.n)).map((p) => p.n));
// node 20 lacks Object.groupBy (the sandbox has it): both print the grouping.
const groupBy = Object.groupBy ?? ((items, f) => items.reduce((g, x) => ((g[f(x)] ??= []).push(x), g), {}));
console.log({ ...groupBy([1, 2, 3, 4], (n) => (n % 2 ? "odd" : "even")) });
