# contextlib.
from contextlib import contextmanager, suppress, ExitStack, closing, nullcontext, redirect_stdout, chdir, AbstractContextManager
import io
@contextmanager
def tag(name):
    print(f"<{name}>")
    try:
        yield name.upper()
    finally:
        print(f"</{name}>")
with tag("div") as t:
    print("inside", t)
with suppress(KeyError, ZeroDivisionError):
    {}["missing"]
    print("not reached")
print("after suppress")
@contextmanager
def transaction(log):
    log.append("begin")
    try:
        yield
        log.append("commit")
    except ValueError as e:
        log.append(f"rollback: {e}")
log = []
with transaction(log):
    pass
with transaction(log):
    raise ValueError("bad row")
print(log)
with ExitStack() as stack:
    names = [stack.enter_context(tag(n)) for n in ["a", "b"]]
    stack.callback(print, "callback ran")
    print("names", names)
class Res:
    def close(self):
        print("Res closed")
with closing(Res()):
    print("using Res")
with nullcontext(42) as v:
    print("nullcontext", v)
buf = io.StringIO()
with redirect_stdout(buf):
    print("captured")
print(repr(buf.getvalue()))
class Timer(AbstractContextManager):
    def __exit__(self, *exc):
        print("exit with", exc[0].__name__ if exc[0] else None)
        return True
with Timer():
    raise RuntimeError("swallowed")
print("end")
