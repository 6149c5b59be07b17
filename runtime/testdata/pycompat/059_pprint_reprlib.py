# pprint and reprlib.
import pprint
import reprlib
data = {"name": "enact", "versions": list(range(30)), "nested": {"b": [{"x": i, "y": str(i) * 3} for i in range(4)], "a": ("t", "u")}, "empty": {}, "text": "word " * 20}
pprint.pprint(data)
pprint.pprint(data, width=60, sort_dicts=False, compact=True)
print(pprint.pformat({"z": 1, "a": [1, 2]}, indent=2), pprint.pformat(list(range(5)), width=5), pprint.saferepr({"b": 1, "a": 2}))
pprint.pp({"b": [1, 2], "a": "x"}, depth=1)
pprint.pprint([[[[[1]]]]], depth=2)
r = reprlib.Repr(maxlist=3, maxstring=12)
print(r.repr(list(range(100))), r.repr("a very long string indeed"), reprlib.repr(set(range(50))), reprlib.repr({i: i for i in range(20)}), reprlib.repr("x" * 100))
class Node:
    def __init__(self, kids=()):
        self.kids = list(kids)
    @reprlib.recursive_repr()
    def __repr__(self):
        return f"Node({self.kids})"
n = Node()
n.kids.append(n)
print(repr(n))
