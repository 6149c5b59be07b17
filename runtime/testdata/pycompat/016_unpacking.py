# Unpacking: dict merge, star-assignment, argument unpacking.
a = {"x": 1, "y": 2}
b = {"y": 20, "z": 30}
print({**a, **b}, {**b, **a}, a | b, {**a, "w": 0})
c = dict(a); c |= {"q": 9}
print(c)
first, *middle, last = [1, 2, 3, 4, 5]
print(first, middle, last)
head, *tail = "abc"
print(head, tail)
*init, end = range(3)
print(init, end)
x, (y, z), *_ = 1, (2, 3), 4, 5
print(x, y, z)
print([*range(3), *"ab", *{"k": 1}], (*[1, 2], 3), {*[1, 2], 2, 3})
def f(a, b, *args, key=None, **kw):
    return a, b, args, key, kw
print(f(*[1, 2, 3, 4], **{"key": "k", "extra": True}))
print(f(1, *(2,), key=5), f(**{"a": 1, "b": 2}))
def g(pos_only, /, normal, *, kw_only):
    return pos_only, normal, kw_only
print(g(1, normal=2, kw_only=3))
try:
    g(pos_only=1, normal=2, kw_only=3)
except TypeError as e:
    print("TypeError:", e)
try:
    p, q = [1, 2, 3]
except ValueError as e:
    print("ValueError:", e)
try:
    p, q, r = [1, 2]
except ValueError as e:
    print("ValueError:", e)
pairs = [(1, "one"), (2, "two")]
for n, (w, *chars) in [(n, (w, *w)) for n, w in pairs]:
    print(n, w, chars)
print(dict(zip(["a", "b"], [1, 2])), list(zip(*[(1, "a"), (2, "b")])))
a_, b_ = 1, 2
a_, b_ = b_, a_
print(a_, b_, max(*[3, 9, 2]), print(*["x", "y"], sep="-"))
