# dataclasses: defaults, order, frozen, asdict, replace, post_init.
from dataclasses import dataclass, field, asdict, astuple, replace, fields, FrozenInstanceError, KW_ONLY
@dataclass
class Item:
    name: str
    price: float = 0.0
    tags: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
i = Item("pen", 1.5)
i.tags.append("office")
print(i, Item("x") == Item("x"), Item("x") == Item("y"))
print(asdict(i), astuple(Item("a", 2)), [f.name for f in fields(Item)])
print(replace(i, price=2.0), i.price)
@dataclass(order=True)
class Version:
    major: int
    minor: int = 0
    patch: int = 0
print(sorted([Version(1, 2), Version(1, 0, 5), Version(0, 9)]), Version(1) < Version(1, 0, 1), max(Version(2), Version(1, 99)))
@dataclass(frozen=True)
class Point:
    x: int
    y: int
    def dist(self):
        return abs(self.x) + abs(self.y)
p = Point(1, -2)
try:
    p.x = 5
except FrozenInstanceError as e:
    print("FrozenInstanceError:", e)
print(p.dist(), hash(p) == hash(Point(1, -2)), {p, Point(1, -2)} == {p})
@dataclass
class Rect:
    w: float
    h: float
    area: float = field(init=False)
    def __post_init__(self):
        if self.w < 0:
            raise ValueError("negative width")
        self.area = self.w * self.h
print(Rect(2, 3))
try:
    Rect(-1, 1)
except ValueError as e:
    print("ValueError:", e)
@dataclass
class Config:
    host: str
    _: KW_ONLY
    port: int = 80
    debug: bool = False
print(Config("h", port=8080))
@dataclass(slots=True)
class Slim:
    a: int
s = Slim(1)
try:
    s.b = 2
except AttributeError as e:
    print("AttributeError:", type(e).__name__)
print(Slim.__slots__, Slim(1) == Slim(1))
@dataclass
class Node:
    value: int
    children: list["Node"] = field(default_factory=list)
tree = Node(1, [Node(2), Node(3, [Node(4)])])
print(asdict(tree))
try:
    @dataclass
    class Bad:
        items: list = []
except ValueError as e:
    print("ValueError:", e)
