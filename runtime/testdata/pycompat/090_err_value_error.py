# Uncaught: ValueError from int().
values = ["12", "7", "abc"]
total = 0
for v in values:
    print("adding", v)
    total += int(v)
