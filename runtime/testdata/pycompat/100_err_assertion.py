# Uncaught: a failed assertion with a message.
expected, got = 10, sum([1, 2, 3, 5])
print("checking")
assert expected == got, f"totals differ: {expected} != {got}"
