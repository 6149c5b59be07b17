const log = [];
setTimeout(() => log.push("timeout 50"), 50);
setTimeout(() => log.push("timeout 0"), 0);
setTimeout(() => log.push("timeout 1"), 1);
queueMicrotask(() => log.push("microtask"));
Promise.resolve().then(() => log.push("promise"));
log.push("sync");
await new Promise((r) => setTimeout(r, 80));
console.log(log);
