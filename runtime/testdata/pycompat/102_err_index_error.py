# Uncaught: IndexError.
queue = ["a", "b"]
print(queue.pop(), queue.pop())
queue.pop()
