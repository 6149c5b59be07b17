# Generators: yield, yield from, send, close, generator expressions.
def countdown(n):
    while n > 0:
        yield n
        n -= 1
print(list(countdown(5)), sum(countdown(100)))
def fib():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b
gen = fib()
print([next(gen) for _ in range(12)])
def flatten(xs):
    for x in xs:
        if isinstance(x, list):
            yield from flatten(x)
        else:
            yield x
print(list(flatten([1, [2, [3, [4]], 5], [[6]]])))
def averager():
    total, count, avg = 0, 0, None
    while True:
        value = yield avg
        if value is None:
            return avg
        total += value
        count += 1
        avg = total / count
a = averager()
next(a)
print([a.send(v) for v in [10, 20, 60]])
try:
    a.send(None)
except StopIteration as e:
    print("returned", e.value)
def inner():
    x = yield 1
    return x * 2
def outer():
    r = yield from inner()
    yield r
g = outer()
print(next(g), g.send(21))
def closing():
    try:
        yield 1
        yield 2
    finally:
        print("cleanup")
c = closing()
print(next(c))
c.close()
squares = (x * x for x in range(10) if x % 2)
print(next(squares), list(squares), list(squares))
def read_lines(text):
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.strip()
print(list(read_lines("# header\na = 1\n\n  b = 2  \n#c")))
it = iter([1, 2, 3])
print(next(it), list(it), next(it, "done"))
class Countdown:
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        return self
    def __next__(self):
        if self.n <= 0:
            raise StopIteration
        self.n -= 1
        return self.n + 1
print(list(Countdown(3)), list(zip(countdown(3), "abc")), list(enumerate("ab", start=1)))
