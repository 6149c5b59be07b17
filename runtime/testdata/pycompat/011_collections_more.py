# OrderedDict, deque, namedtuple, ChainMap.
from collections import OrderedDict, deque, namedtuple, ChainMap
od = OrderedDict([("b", 2), ("a", 1)])
od["c"] = 3
od.move_to_end("b")
print(od, list(od), od.popitem(last=False), od)
print(OrderedDict(a=1, b=2) == OrderedDict(b=2, a=1), dict(a=1, b=2) == dict(b=2, a=1))
d = deque([1, 2, 3], maxlen=4)
d.append(4); d.append(5); d.appendleft(0)
print(d, d.maxlen)
d.rotate(1)
print(d, d.popleft(), d.pop(), list(d))
window = deque(maxlen=3)
print([(window.append(x), sum(window))[1] for x in range(6)])
Point = namedtuple("Point", ["x", "y"])
p = Point(3, 4)
print(p, p.x, p[1], p._asdict(), p._replace(x=10), Point._fields, Point._make([5, 6]))
x, y = p
print(x + y, (p.x ** 2 + p.y ** 2) ** 0.5)
Emp = namedtuple("Emp", "name dept salary", defaults=[0])
print(Emp("Ada", "R&D"), sorted([Emp("b", "x", 2), Emp("a", "y", 2), Emp("c", "z", 1)], key=lambda e: (-e.salary, e.name)))
defaults = {"color": "red", "user": "guest"}
cli = {"user": "ada"}
cm = ChainMap(cli, defaults)
print(cm["user"], cm["color"], len(cm), sorted(cm), cm.maps)
child = cm.new_child({"color": "blue"})
print(child["color"], cm["color"], dict(child) == {"color": "blue", "user": "ada"})
