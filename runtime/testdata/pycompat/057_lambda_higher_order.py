# Lambdas and higher-order functions.
people = [{"name": "Ada", "age": 36, "team": "b"}, {"name": "Bob", "age": 25, "team": "a"}, {"name": "Cy", "age": 36, "team": "a"}]
print([p["name"] for p in sorted(people, key=lambda p: (-p["age"], p["name"]))])
print(sorted(people, key=lambda p: p["team"])[0]["name"], max(people, key=lambda p: p["age"])["name"], min(people, key=lambda p: len(p["name"]))["name"])
print(list(map(lambda x: x ** 2, range(5))), list(filter(lambda x: x % 3 == 0, range(10))), list(map(str.upper, ["a", "b"])))
compose = lambda f, g: lambda x: f(g(x))
inc_then_double = compose(lambda x: x * 2, lambda x: x + 1)
print(inc_then_double(5), (lambda *a, **k: (a, k))(1, 2, z=3), (lambda: "no args")())
ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}
def rpn(expr):
    st = []
    for tok in expr.split():
        if tok in ops:
            b, a = st.pop(), st.pop()
            st.append(ops[tok](a, b))
        else:
            st.append(float(tok))
    return st[0]
print(rpn("3 4 + 2 *"), rpn("5 1 2 + 4 * + 3 -"), rpn("1 3 /"))
print(sorted(["a10", "a9", "a100", "b1"], key=lambda s: (s[0], int(s[1:]))), sorted(range(-3, 4), key=lambda x: (abs(x), x)))
print((lambda n: [1] if n == 0 else None)(0), (lambda x: x if x else "falsy")(0), type(lambda: 0).__name__, (lambda: 0).__name__)
