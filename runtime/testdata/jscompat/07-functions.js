function named() {}
const arrow = () => 1;
async function af() {}
function* gen() {}
console.log(named, arrow, af, gen, function () {}, Math.max);
console.log({ method() {}, arrow });
