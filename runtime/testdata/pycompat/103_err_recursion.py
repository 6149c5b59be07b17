# Uncaught: unbounded recursion ends in RecursionError.
def depth(n):
    return depth(n + 1)
print("recursing")
depth(0)
