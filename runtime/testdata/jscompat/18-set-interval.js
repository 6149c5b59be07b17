let n = 0;
const ticks = [];
await new Promise((resolve) => {
  const id = setInterval(() => { ticks.push(++n); if (n === 5) { clearInterval(id); resolve(); } }, 2);
});
const cancelled = setTimeout(() => ticks.push("never"), 1);
clearTimeout(cancelled);
await new Promise((r) => setTimeout(r, 10));
console.log(ticks);
