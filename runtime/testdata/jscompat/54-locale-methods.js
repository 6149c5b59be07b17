const prices = [1999.5, 25, 1234567.891];
console.log(prices.map((p) => p.toLocaleString()), prices.map((p) => p.toLocaleString("de-DE", { style: "currency", currency: "EUR" })));
console.log((0.075).toLocaleString("en-US", { style: "percent", minimumFractionDigits: 1 }), (5000n).toLocaleString("fr-FR"));
const names = ["Émile", "zoe", "Zoë", "adam", "Ádám", "item 10", "item 9"];
console.log([...names].sort((a, b) => a.localeCompare(b)), [...names].sort(new Intl.Collator("en", { numeric: true, sensitivity: "base" }).compare));
const pr = new Intl.PluralRules("en-US", { type: "ordinal" });
const suffix = { one: "st", two: "nd", few: "rd", other: "th" };
console.log([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map((n) => n + suffix[pr.select(n)]).join(" "));
console.log(["en-US", "en-GB", "de-DE", "fr-FR", "ja-JP"].map((l) => new Date(Date.UTC(2023, 11, 31)).toLocaleDateString(l, { timeZone: "UTC" })));
