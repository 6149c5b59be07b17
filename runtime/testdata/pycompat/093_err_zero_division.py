# Uncaught: ZeroDivisionError after some output.
rows = [(10, 2), (9, 3), (1, 0)]
for a, b in rows:
    print(f"{a}/{b} =", a / b)
