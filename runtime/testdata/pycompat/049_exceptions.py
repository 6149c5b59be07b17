# Exceptions: custom hierarchies, chaining, raise from, finally, notes, traceback formatting.
# (errno values differ between platforms: only names are used.)
import errno
import traceback
class AppError(Exception):
    """Base error."""
class NotFound(AppError):
    def __init__(self, key):
        super().__init__(f"not found: {key}")
        self.key = key
class Invalid(AppError, ValueError):
    pass
def lookup(d, k):
    try:
        return d[k]
    except KeyError as e:
        raise NotFound(k) from e
try:
    lookup({}, "x")
except AppError as e:
    print(type(e).__name__, e, e.key, repr(e.__cause__), e.__suppress_context__, isinstance(e, Exception))
try:
    try:
        1 / 0
    except ZeroDivisionError:
        raise Invalid("during handling")
except ValueError as e:
    print(repr(e), repr(e.__context__), e.__cause__, Invalid.__mro__[1:3])
try:
    try:
        raise KeyError("k")
    except KeyError:
        raise RuntimeError("hidden context") from None
except RuntimeError as e:
    print(e.__cause__, e.__suppress_context__, repr(e.__context__))
def f():
    try:
        return "try"
    finally:
        print("finally runs")
print(f())
for v in ["1", "x", None]:
    try:
        n = int(v)
    except ValueError as e:
        print("ValueError:", e)
    except TypeError as e:
        print("TypeError:", e)
    else:
        print("ok", n)
    finally:
        print("done", v)
e = ValueError("with note")
e.add_note("extra context")
print(e.__notes__, e.args, str(KeyError("k")), str(KeyError()), type(OSError(errno.ENOENT, "No such file")).__name__, OSError(errno.ENOENT, "No such file").strerror, OSError(errno.ENOENT, "x").errno == errno.ENOENT)
try:
    raise NotFound("y")
except NotFound as err:
    tb = traceback.format_exception_only(err)
    print(tb)
try:
    [][1]
except IndexError as err:
    print(traceback.format_exception_only(type(err), err)[-1].strip(), err.args)
print(issubclass(NotFound, AppError), issubclass(KeyError, LookupError), issubclass(FileNotFoundError, OSError), ZeroDivisionError.__mro__)
class Retry(Exception):
    def __str__(self):
        return f"retry #{self.args[0]}"
print(str(Retry(3)), repr(Retry(3)))
try:
    assert 1 + 1 == 3, "math is broken"
except AssertionError as e:
    print("AssertionError:", e)
