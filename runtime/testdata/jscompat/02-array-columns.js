console.log(Array.from({ length: 30 }, (_, i) => i * i));
console.log(["apple", "banana", "cherry", "date", "elderberry", "fig", "grape", "honeydew"]);
console.log(Array.from({ length: 120 }, (_, i) => i));
