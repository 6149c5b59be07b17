# Assignment expressions and comprehensions.
import re
data = [3, 8, 1, 12, 7, 20]
if (n := len(data)) > 5:
    print(f"long list ({n} items)")
print([y for x in data if (y := x * 2) > 10], y)
lines = ["key=1", "junk", "other=22", "x="]
print([m.groups() for line in lines if (m := re.match(r"(\w+)=(\d+)", line))])
stack = [1, 2, 3]
while (top := stack.pop() if stack else None) is not None:
    print("popped", top)
print({k: v for k, v in zip("abc", range(3))}, {x % 3 for x in range(10)}, [x * y for x in range(1, 4) for y in range(x)])
print([[i * j for j in range(1, 4)] for i in range(1, 4)], [c for w in ["ab", "cd"] for c in w], {w: len(w) for w in "the cat sat".split() if len(w) > 2})
print(sum(x * x for x in range(10)), any(x > 5 for x in data), all(x > 0 for x in data), list(filter(None, [0, 1, "", "a", None])))
matrix = [[1, 2], [3, 4], [5, 6]]
print([list(r) for r in zip(*matrix)], [n for row in matrix for n in row if n % 2], {i: [j for j in range(i)] for i in range(4)})
print(dict.fromkeys("abc", 0), [(i, c) for i, c in enumerate("xyz") if i != 1], sorted({len(w) for w in "a bb ccc dd e".split()}))
total = 0
print([total := total + x for x in [1, 2, 3, 4]], total)
chunks = [data[i:i + 4] for i in range(0, len(data), 4)]
print(chunks, [x if x % 2 else -x for x in range(6)], list(map(lambda p: p[0] * p[1], zip(range(3), range(3, 6)))))
