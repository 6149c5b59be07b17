# Closures, global and nonlocal at module level (the program runs as a script).
counter = 0
def bump():
    global counter
    counter += 1
    return counter
bump(); bump()
print(counter, bump(), counter)
def define_later():
    global LATE
    LATE = "set inside a function"
define_later()
print(LATE, "LATE" in globals())
def make_counter(start=0):
    n = start
    def inc(step=1):
        nonlocal n
        n += step
        return n
    def get():
        return n
    return inc, get
inc, get = make_counter(10)
inc(); inc(5)
print(get(), inc.__closure__ is not None, inc.__code__.co_freevars)
adders = [lambda x, i=i: x + i for i in range(3)]
late = [lambda x: x + i for i in range(3)]
print([f(10) for f in adders], [f(10) for f in late])
def memo(fn):
    cache = {}
    def wrapper(n):
        if n not in cache:
            cache[n] = fn(n)
        return cache[n]
    wrapper.cache = cache
    return wrapper
@memo
def slow_sq(n):
    return n * n
print(slow_sq(4), slow_sq(4), slow_sq.cache)
x = "module"
def outer():
    x = "outer"
    def inner():
        return x
    return inner()
print(outer(), x)
def reads_global():
    return x.upper()
print(reads_global())
try:
    def broken():
        print(y_undefined_local)
        y_undefined_local = 1
    broken()
except UnboundLocalError as e:
    print("UnboundLocalError:", e)
total = 0
for i in range(5):
    total += i
print(total, i, [j for j in range(3)], "j" in globals())
class K:
    attr = [x for x in range(3)]
print(K.attr, __name__, type(globals()).__name__, "__builtins__" in globals())
