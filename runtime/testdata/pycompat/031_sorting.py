# Sorting: stability, key functions, reverse, multi-key.
from operator import itemgetter, attrgetter
records = [("bob", 25, "b"), ("ada", 36, "a"), ("cy", 25, "c"), ("dee", 36, "d"), ("eve", 25, "e")]
print(sorted(records, key=itemgetter(1)))
print(sorted(records, key=itemgetter(1), reverse=True))
print(sorted(records, key=lambda r: (-r[1], r[0])))
by_name = sorted(records)
print(sorted(by_name, key=lambda r: r[1]) == sorted(records, key=lambda r: (r[1], r[0])))
pairs = [(i % 3, i) for i in range(15)]
s = sorted(pairs, key=lambda p: p[0])
print(s, all(s[i][1] < s[i + 1][1] for i in range(len(s) - 1) if s[i][0] == s[i + 1][0]))
words = ["banana", "Apple", "cherry", "apple", "Banana", "date"]
print(sorted(words), sorted(words, key=str.lower), sorted(words, key=len), sorted(words, key=lambda w: (len(w), w)))
nums = [3, -1, 4, -1, 5, -9, 2, 6]
nums.sort(key=abs)
print(nums, sorted(nums, reverse=True), sorted("hello"), sorted({3: "c", 1: "a"}), sorted({3: "c", 1: "a"}.items(), key=itemgetter(1)))
class P:
    def __init__(self, n, a):
        self.name, self.age = n, a
    def __repr__(self):
        return self.name
print(sorted([P("x", 3), P("y", 1), P("z", 3)], key=attrgetter("age")), sorted([P("x", 3), P("y", 1)], key=attrgetter("age", "name")))
big = [(i * 7919) % 1000 for i in range(1000)]
print(sorted(big)[:10], sorted(big, reverse=True)[:5])
mixed = [1, 2.5, True, -3]
print(sorted(mixed), sorted([[2, 1], [1, 2], [1]]), sorted([(1, "b"), (1, "a")]))
try:
    sorted([1, "a"])
except TypeError as e:
    print("TypeError:", e)
print(sorted([None, 1, None], key=lambda v: (v is None, v or 0)), list(reversed(sorted("cab"))))
print(sorted(["é", "e", "f", "z", "É"]), sorted(["é", "e", "f"], key=lambda s: s.encode()))
