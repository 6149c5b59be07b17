# Structural pattern matching.
from dataclasses import dataclass
@dataclass
class Point:
    x: int
    y: int
@dataclass
class Circle:
    center: Point
    r: float
def describe(shape):
    match shape:
        case Point(x=0, y=0):
            return "origin"
        case Point(x=0, y=y) | Point(x=y, y=0):
            return f"on an axis at {y}"
        case Point(x, y) if x == y:
            return f"diagonal {x}"
        case Point():
            return "point"
        case Circle(Point(0, 0), r):
            return f"centred circle r={r}"
        case Circle(center=c, r=r) if r > 10:
            return f"big circle at {c.x},{c.y}"
        case _:
            return "unknown"
for s in [Point(0, 0), Point(0, 5), Point(7, 0), Point(3, 3), Point(1, 2), Circle(Point(0, 0), 2), Circle(Point(1, 1), 20), Circle(Point(1, 1), 1), "x"]:
    print(describe(s))
def command(cmd):
    match cmd.split():
        case ["go", ("north" | "south") as direction]:
            return f"going {direction}"
        case ["take", item, *rest]:
            return f"take {item} +{len(rest)}"
        case ["quit" | "exit"]:
            return "bye"
        case []:
            return "empty"
        case [first, *_]:
            return f"unknown {first}"
for c in ["go north", "go west", "take lamp key rope", "quit", "", "dance now"]:
    print(command(c))
def event(e):
    match e:
        case {"type": "click", "pos": [x, y]}:
            return f"click {x},{y}"
        case {"type": "key", "key": str(k), **rest} if not rest:
            return f"key {k}"
        case {"type": "key", **rest}:
            return f"key with {sorted(rest)}"
        case {"type": str() as t}:
            return f"other {t}"
        case int() | float() as n:
            return f"number {n}"
        case None:
            return "none"
        case _:
            return "?"
for e in [{"type": "click", "pos": [1, 2]}, {"type": "key", "key": "a"}, {"type": "key", "key": "a", "mod": 1}, {"type": "scroll"}, 3, 2.5, None, {"x": 1}]:
    print(event(e))
import enum
class C(enum.Enum):
    A = 1
    B = 2
match C.B:
    case C.A:
        print("is A")
    case C.B:
        print("is B")
match (1, "a", [2, 3]):
    case (int(i), str(s), [*items]):
        print(i, s, items)
