# Uncaught: converting a 5000-digit string to int.
print("converting")
n = int("1" * 5000)
