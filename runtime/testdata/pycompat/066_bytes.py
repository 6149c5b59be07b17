# bytes, bytearray, memoryview.
b = b"hello world"
print(b.upper(), b.split(), b.replace(b"o", b"0"), b.find(b"wor"), b[0], b[:5], list(b[:3]), b.hex(), b.hex(" ", 2), bytes.fromhex("68 69"))
print(bytes(3), bytes([65, 66]), bytes("é", "utf-8"), b"a" * 3, b"abc" + b"def", b"x" in b"xyz", b"%d" % 5, b"a,b".split(b","), b" x ".strip())
ba = bytearray(b"abc")
ba[0] = ord("A")
ba.extend(b"de")
ba += b"!"
ba.insert(0, 0x3E)
print(ba, ba.pop(), bytes(ba), ba.decode(), len(ba), ba.count(b"d"), bytearray.fromhex("ff00"))
mv = memoryview(bytearray(b"abcdef"))
mv[1:3] = b"XY"
print(mv.tobytes(), mv[::2].tobytes(), mv.nbytes, mv.readonly, bytes(mv[2:4]), mv.cast("B").tolist()[:3])
print(int.from_bytes(b"\x00\x10", "big"), (4096).to_bytes(2, "big"), b"\x01\x02".ljust(4, b"\x00"), b"abc".translate(bytes.maketrans(b"abc", b"xyz")), b"Hello".swapcase(), b"a1".isalnum())
print(sorted(b"dcba"), max(b"az"), bytes(reversed(b"abc")), b"abc" < b"abd", b"".join([b"a", b"b"]), b"ab\xff".decode("latin-1"), repr(b"\x00\n\t'\""))
try:
    b"abc"[0] = 1
except TypeError as e:
    print("TypeError:", e)
try:
    "str" + b"bytes"
except TypeError as e:
    print("TypeError:", e)
