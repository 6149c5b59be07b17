const nums = [5, 3, 8, 1, 9, 2];
console.log(nums.toSorted((a, b) => a - b), nums.toReversed(), nums.with(0, 50), nums.findLast((n) => n > 4), nums.at(-1));
console.log(nums.filter((n) => n % 2).map((n) => n * 10).reduce((a, b) => a + b, 0));
console.log([[1, [2]], [3]].flat(Infinity), ["a", "b"].flatMap((x) => [x, x.toUpperCase()]), Array.from({ length: 3 }, (_, i) => i));
console.log([1, 2, 3].includes(2), [3, 1, 2].sort(), ["b", "a", "C"].sort(), [10, 9, 1].sort());
