# Uncaught: a chained exception; the last line is the outer one.
def load(text):
    try:
        return int(text)
    except ValueError as e:
        raise RuntimeError(f"could not load setting from {text!r}") from e
print(load("5"))
load("five")
