const p = new URLSearchParams("?a=1&b=2&a=3&c=%20space+plus&d");
console.log(p.get("a"), p.getAll("a"), p.get("c"), p.get("d"), p.get("zz"), p.has("b"), p.size);
p.set("a", "9"); p.delete("b"); p.append("e", "x&y=z");
console.log(p.toString());
p.sort();
console.log([...p], [...p.keys()]);
console.log(new URLSearchParams({ q: "search term", n: 5 }).toString(), new URLSearchParams([["k", "v"], ["k", "w"]]).toString());
const u = new URL("https://h/?x=1"); u.searchParams.set("y", "é"); console.log(u.search);
