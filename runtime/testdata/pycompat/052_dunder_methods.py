# Dunder methods: operators, containers, hashing, formatting, call, context managers.
class Vec:
    def __init__(self, *c):
        self.c = tuple(c)
    def __repr__(self): return f"Vec{self.c}"
    def __str__(self): return "<" + ", ".join(map(str, self.c)) + ">"
    def __format__(self, spec): return "<" + ", ".join(format(x, spec) for x in self.c) + ">"
    def __add__(self, o): return Vec(*(a + b for a, b in zip(self.c, o.c)))
    def __sub__(self, o): return Vec(*(a - b for a, b in zip(self.c, o.c)))
    def __mul__(self, k): return Vec(*(a * k for a in self.c))
    __rmul__ = __mul__
    def __matmul__(self, o): return sum(a * b for a, b in zip(self.c, o.c))
    def __neg__(self): return self * -1
    def __abs__(self): return sum(a * a for a in self.c) ** 0.5
    def __eq__(self, o): return isinstance(o, Vec) and self.c == o.c
    def __hash__(self): return hash(self.c)
    def __len__(self): return len(self.c)
    def __getitem__(self, i): return self.c[i]
    def __iter__(self): return iter(self.c)
    def __contains__(self, x): return x in self.c
    def __bool__(self): return any(self.c)
    def __lt__(self, o): return abs(self) < abs(o)
v, w = Vec(1, 2), Vec(3, 4)
print(v + w, w - v, v * 3, 2 * v, v @ w, -v, abs(w), v == Vec(1, 2), v != w, len(v), v[1], v[-1:], list(v), 2 in v, bool(Vec(0, 0)))
print(repr(v), str(v), f"{Vec(1.5, 2.25):.2f}", f"{v!r}", sorted([w, v]), max(v, w), {v, Vec(1, 2)} == {v})
class Counter:
    def __init__(self): self.n = 0
    def __call__(self, step=1):
        self.n += step
        return self.n
    def __enter__(self):
        print("enter"); return self
    def __exit__(self, et, ev, tb):
        print("exit", et.__name__ if et else None); return False
c = Counter()
c(); c(5)
print(c.n, callable(c))
with Counter() as cc:
    cc()
class Bag(dict):
    def __missing__(self, k):
        return f"<{k}>"
    def __getattr__(self, name):
        return self[name]
b = Bag(a=1)
print(b["a"], b["zz"], b.a, b.other)
class Lazy:
    def __getattribute__(self, name):
        if name == "magic":
            return 42
        return object.__getattribute__(self, name)
    def __setattr__(self, name, value):
        object.__setattr__(self, name, value * 2)
    def __delattr__(self, name):
        print("del", name)
z = Lazy()
z.x = 5
del z.x
print(z.magic, z.x)
class Seq:
    def __getitem__(self, i):
        if i >= 3: raise IndexError
        return i * 10
print(list(Seq()), 20 in Seq())
class Num:
    def __init__(self, v): self.v = v
    def __index__(self): return self.v
    def __int__(self): return self.v
    def __float__(self): return float(self.v)
    def __round__(self, n=None): return round(self.v, n)
print([0, 1, 2, 3][Num(2)], bin(Num(5)), int(Num(7)), float(Num(1)), round(Num(4)), range(10)[Num(3)])
