# Hash facts that hold on every platform (hash values of large ints, floats and tuples depend on the word size).
print(hash(0), hash(1), hash(-1), hash(-2), hash(12345), hash(True), hash(False), hash(1.0) == hash(1), hash(2.0), hash(-0.0))
print(hash((1, 2)) == hash((1, 2)), hash((1, 2)) == hash((2, 1)), hash(()) == hash(()), hash(frozenset({1, 2})) == hash(frozenset({2, 1})))
print(hash("abc") == hash("abc"), hash(b"abc") == hash("abc".encode()), hash(None) == hash(None), hash(3 + 0j) == hash(3))
try:
    hash([1, 2])
except TypeError as e:
    print("TypeError:", e)
try:
    hash({"a": 1})
except TypeError as e:
    print("TypeError:", e)
d = {1: "int", 1.0: "float", True: "bool"}
print(d, len({0, 0.0, False, -0.0}), {(1, 2): "t"}[(1, 2)], {frozenset([1]): 1}[frozenset([1])])
print(sorted({3, 1, 2}), list({5: 0, 1: 0, 3: 0}), list({10, 20, 30}) == [10, 20, 30] or True)
class P:
    def __init__(self, x): self.x = x
    def __eq__(self, o): return self.x == o.x
print(P.__hash__ is None, {P(1).x: 1})
