# Uncaught: UnicodeDecodeError.
data = "café".encode("latin-1")
print(data)
print(data.decode("utf-8"))
