# ExceptionGroup and except*.
def validate(rows):
    errors = []
    for i, r in enumerate(rows):
        if not isinstance(r, int):
            errors.append(TypeError(f"row {i}: not an int"))
        elif r < 0:
            errors.append(ValueError(f"row {i}: negative"))
    if errors:
        raise ExceptionGroup("validation failed", errors)
try:
    validate([1, "a", -2, None, 5])
except* ValueError as eg:
    print("values:", [str(e) for e in eg.exceptions])
except* TypeError as eg:
    print("types:", [str(e) for e in eg.exceptions])
eg = ExceptionGroup("outer", [ValueError("a"), ExceptionGroup("inner", [TypeError("b"), ValueError("c")])])
print(repr(eg), str(eg), len(eg.exceptions))
match, rest = eg.split(ValueError)
print(repr(match), repr(rest))
print(repr(eg.subgroup(lambda e: isinstance(e, TypeError))))
try:
    raise ExceptionGroup("g", [KeyError("k")])
except* LookupError as g:
    print(type(g).__name__, repr(g.exceptions[0]))
try:
    try:
        raise ExceptionGroup("mixed", [ValueError(1), OSError(2)])
    except* ValueError:
        print("handled the ValueError")
except* OSError as g:
    print("escaped:", repr(g))
beg = BaseExceptionGroup("b", [ValueError("v")])
print(type(beg).__name__, isinstance(beg, Exception))
