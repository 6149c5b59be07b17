const ac = new AbortController();
const seen = [];
ac.signal.addEventListener("abort", (e) => seen.push(["listener", e.type]));
ac.signal.onabort = () => seen.push(["onabort"]);
console.log(ac.signal.aborted);
ac.abort();
ac.abort("again");
console.log(ac.signal.aborted, ac.signal.reason.name, ac.signal.reason instanceof DOMException, seen);
const custom = AbortSignal.abort("why");
console.log(custom.aborted, custom.reason);
try { custom.throwIfAborted(); } catch (e) { console.log("thrown", e); }
const t = AbortSignal.timeout(5);
await new Promise((r) => setTimeout(r, 20));
console.log(t.aborted, t.reason.name);
