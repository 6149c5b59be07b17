# functools: lru_cache, cache, reduce, partial, cached_property, wraps.
import functools
@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
print(fib(90), fib.cache_info())
@functools.lru_cache(maxsize=2)
def sq(x):
    return x * x
for v in [1, 2, 1, 3, 2]:
    sq(v)
print(sq.cache_info())
sq.cache_clear()
print(sq.cache_info())
@functools.cache
def ways(n):
    return 1 if n <= 1 else ways(n - 1) + ways(n - 2)
print(ways(50))
print(functools.reduce(lambda a, b: a * b, range(1, 11)), functools.reduce(lambda a, b: a + b, [], 0), functools.reduce(max, [3, 9, 2]))
base2 = functools.partial(int, base=2)
print(base2("1011"), base2.func is int, base2.keywords)
def power(base, exp):
    return base ** exp
square = functools.partial(power, exp=2)
print(square(7), list(map(functools.partial(power, 2), range(5))))
class Data:
    def __init__(self, xs):
        self.xs = xs
        self.computed = 0
    @functools.cached_property
    def total(self):
        self.computed += 1
        return sum(self.xs)
d = Data([1, 2, 3])
print(d.total, d.total, d.computed, "total" in d.__dict__)
def logged(fn):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        print("calling", fn.__name__)
        return fn(*a, **k)
    return wrapper
@logged
def add(a, b):
    "Add two numbers."
    return a + b
print(add(2, 3), add.__name__, add.__doc__, add.__wrapped__(1, 1))
print(sorted(["b", "A", "c"], key=functools.cmp_to_key(lambda x, y: (x.lower() > y.lower()) - (x.lower() < y.lower()))))
