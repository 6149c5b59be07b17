# copy: shallow and deep copies.
import copy
orig = {"a": [1, 2], "b": {"c": [3]}, "t": (1, [2])}
shallow = copy.copy(orig)
deep = copy.deepcopy(orig)
orig["a"].append(99)
orig["b"]["c"].append(4)
orig["t"][1].append(5)
print(shallow, deep, shallow["a"] is orig["a"], deep["a"] is orig["a"])
cyc = [1]
cyc.append(cyc)
dc = copy.deepcopy(cyc)
print(dc[1] is dc, dc[1] is cyc, repr(dc))
class Conf:
    def __init__(self):
        self.items = [1]
        self.name = "c"
    def __copy__(self):
        n = Conf()
        n.items = self.items
        n.name = self.name + "-copy"
        return n
c = Conf()
c2 = copy.copy(c)
c3 = copy.deepcopy(c)
c.items.append(2)
print(c2.name, c2.items, c3.name, c3.items)
class Tracked:
    def __init__(self, v):
        self.v = v
    def __deepcopy__(self, memo):
        return Tracked(self.v * 10)
print(copy.deepcopy([Tracked(1), Tracked(2)])[1].v, copy.replace(__import__("datetime").date(2024, 1, 1), day=5))
a = [[0] * 3] * 2
a[0][0] = 1
b = [[0] * 3 for _ in range(2)]
b[0][0] = 1
print(a, b)
