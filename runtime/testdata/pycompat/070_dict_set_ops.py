# dict and set operations (sets of ints only: set order of strings depends on the hash seed).
inv = {"apples": 3, "pears": 0, "kiwis": 7}
print(inv.get("plums", 0), inv.setdefault("plums", 2), inv.pop("pears"), inv, list(inv.keys()), list(inv.values()))
print(inv.popitem(), {k: v for k, v in sorted(inv.items(), key=lambda kv: -kv[1])}, dict(sorted(inv.items())))
inv.update({"apples": 4}, figs=1)
print(inv, "apples" in inv, 4 in inv.values(), len(inv), dict(zip("ab", [1, 2])), {**dict.fromkeys(["x", "y"])})
d = {}
for word in "a b a c b a".split():
    d[word] = d.get(word, 0) + 1
print(d, max(d, key=d.get), sorted(d, key=d.get, reverse=True), dict(reversed(d.items())), list(reversed(d)))
try:
    for k in d:
        d["new"] = 1
except RuntimeError as e:
    print("RuntimeError:", e)
a, b = {1, 2, 3, 4}, {3, 4, 5}
print(a | b, a & b, a - b, a ^ b, a <= {1, 2, 3, 4, 5}, a.isdisjoint({9}), sorted(a.union([7], (8,))), frozenset([1, 2]) | {3})
s = {3, 1}
s.add(2); s.discard(9); s.remove(1)
print(sorted(s), len(s), sorted({"b", "a", "c"}), sorted(set("mississippi")), {x for x in range(10) if x % 2} == {1, 3, 5, 7, 9})
try:
    s.remove(42)
except KeyError as e:
    print("KeyError:", e)
dd = {"b": 1, "a": 2}
print(dd == {"a": 2, "b": 1}, list(dd), dd.keys() & {"a", "z"}, sorted(dd.keys() | {"c"}), dd.items() - {("a", 2)})
nested = {"user": {"profile": {"name": "Ada"}}}
print(nested.get("user", {}).get("profile", {}).get("name"), nested.get("x", {}).get("y"), {k: v for k, v in [("a", 1), ("a", 2)]})
