# functools: total_ordering, singledispatch, singledispatchmethod.
import functools
@functools.total_ordering
class Money:
    def __init__(self, cents):
        self.cents = cents
    def __eq__(self, other):
        return self.cents == other.cents
    def __lt__(self, other):
        return self.cents < other.cents
    def __repr__(self):
        return f"Money({self.cents})"
a, b = Money(100), Money(250)
print(a < b, a <= b, a > b, a >= b, a == Money(100), a != b, sorted([b, a, Money(5)]), max(a, b))
@functools.singledispatch
def show(x):
    return f"object {x!r}"
@show.register
def _(x: int):
    return f"int {x}"
@show.register
def _(x: list):
    return "list [" + ", ".join(show(i) for i in x) + "]"
@show.register(str)
def _(x):
    return f"str {x!r}"
print(show(1), show("a"), show([1, "b", 2.5]), show(True), show(None))
print(sorted(t.__name__ for t in show.registry))
class Formatter:
    @functools.singledispatchmethod
    def fmt(self, arg):
        return "?"
    @fmt.register
    def _(self, arg: float):
        return f"{arg:.2f}"
    @fmt.register
    def _(self, arg: dict):
        return ",".join(f"{k}={v}" for k, v in arg.items())
f = Formatter()
print(f.fmt(3.14159), f.fmt({"a": 1, "b": 2}), f.fmt(1))
