# Counter and defaultdict.
from collections import Counter, defaultdict
words = "the cat and the hat and the bat".split()
c = Counter(words)
print(c.most_common(2), c["the"], c["missing"], sorted(c.items()))
print(Counter("mississippi").most_common())
c.update(["cat", "cat"])
c.subtract({"the": 2})
print(sorted(c.items()), c.total())
a, b = Counter(a=3, b=1), Counter(a=1, b=2)
print(a + b, a - b, a & b, a | b)
print(sorted(Counter({"x": 2, "y": 0, "z": -1}).elements()), +Counter({"x": 2, "y": 0, "z": -1}))
print(Counter(x % 3 for x in range(10)))
groups = defaultdict(list)
for w in words:
    groups[len(w)].append(w)
print(dict(groups))
counts = defaultdict(int)
for ch in "hello world":
    counts[ch] += 1
print(sorted(counts.items()))
nested = defaultdict(lambda: defaultdict(int))
nested["a"]["x"] += 1
nested["a"]["y"] += 2
nested["b"]["x"] += 3
print({k: dict(v) for k, v in nested.items()})
print(repr(defaultdict(set)), "missing" in groups, groups.get(99))
