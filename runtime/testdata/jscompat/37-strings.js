const s = "  Hello, World  ";
console.log(s.trim(), s.trimStart().length, "abc".padStart(6, "-"), "abc".padEnd(6, "."), "ha".repeat(3));
console.log("a-b-c".replaceAll("-", "+"), "Hello".at(-1), "straße".toUpperCase(), "İ".toLowerCase().length);
console.log("x,y,,z".split(","), "camelCaseString".replace(/([A-Z])/g, " $1").toLowerCase(), String.raw`a\nb`);
console.log("😀".length, [..."😀👍"].length, "abc".localeCompare("abd"), "é".normalize("NFD").length);
