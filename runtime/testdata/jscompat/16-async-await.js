const sleep = (ms, v) => new Promise((r) => setTimeout(() => r(v), ms));
const results = await Promise.all([sleep(20, "a"), sleep(5, "b"), Promise.resolve("c")]);
console.log(results);
const settled = await Promise.allSettled([Promise.reject(new Error("no")), sleep(1, "yes")]);
console.log(settled.map((s) => s.status), settled[0].reason.message);
console.log(await Promise.race([sleep(30, "slow"), sleep(2, "fast")]), await Promise.any([Promise.reject(1), sleep(3, "any")]));
