const results = [];
const p = Promise.reject(new Error("handled at once"));
p.catch(() => {});
await new Promise((r) => setTimeout(r, 1));
try { await p; } catch (e) { results.push(e.message); }
const ac = new AbortController();
const done = new Promise((resolve, reject) => { ac.signal.addEventListener("abort", () => reject(ac.signal.reason)); });
setTimeout(() => ac.abort(new Error("stop")), 2);
try { await done; } catch (e) { results.push(e.message); }
console.log(results);
