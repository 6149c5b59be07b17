# io.StringIO and io.BytesIO.
import io
s = io.StringIO()
s.write("line one\n")
print("line two", file=s)
s.writelines(["three\n", "four"])
print(repr(s.getvalue()), s.tell())
s.seek(0)
print(s.readline(), end="")
print(s.read(4), s.readlines())
r = io.StringIO("a\nb\nc")
print([line.rstrip() for line in r], r.closed)
b = io.BytesIO(b"\x00\x01binary")
print(b.read(2), b.read(), b.getvalue()[-3:], b.seek(0, io.SEEK_END), b.write(b"+"), b.getbuffer().nbytes)
t = io.TextIOWrapper(io.BytesIO("héllo\nwörld\n".encode("utf-8")), encoding="utf-8")
print(t.read().splitlines())
w = io.BytesIO()
tw = io.TextIOWrapper(w, encoding="utf-8", newline="")
tw.write("é\r\n")
tw.flush()
print(w.getvalue())
with io.StringIO("ctx") as f:
    print(f.read())
print(f.closed)
try:
    f.read()
except ValueError as e:
    print("ValueError:", e)
