# array (explicit type codes of fixed size) and graphlib.
from array import array
from graphlib import TopologicalSorter, CycleError
a = array("i", [1, 2, 3])
a.append(4)
a.extend([5, 6])
print(a, a.itemsize, a.tolist(), a[1:3], sum(a), array("d", [0.5, 1.5]) * 2, array("b", b"\x01\xff").tolist(), array("w", "hé").tounicode())
print(array("H", [1, 256]).tobytes().hex() if array("H").itemsize == 2 else "?", array("q", [2 ** 40]).tolist(), array("f", [0.1])[0])
# Dependencies as lists (sets of strings iterate in an order that depends on the hash seed).
ts = TopologicalSorter({"deploy": ["build", "test"], "test": ["build"], "build": ["fetch"], "docs": []})
print(list(ts.static_order()))
ts = TopologicalSorter()
ts.add("b", "a")
ts.add("c", "a")
ts.prepare()
print(ts.get_ready(), ts.is_active())
order = list(TopologicalSorter({"b": {"a"}, "c": {"b"}, "d": {"c"}}).static_order())
print(order)
try:
    list(TopologicalSorter({"a": {"b"}, "b": {"a"}}).static_order())
except CycleError as e:
    print("CycleError:", e.args[0], sorted(e.args[1]))
