# struct with explicit byte order (native sizes differ between platforms).
import struct
packed = struct.pack("<HIq", 1, 2, -3)
print(packed.hex(), struct.unpack("<HIq", packed), struct.calcsize("<HIq"), struct.calcsize(">bhilqfd?"))
print(struct.pack(">I", 0xDEADBEEF), struct.pack("!h", -2), struct.pack("<f", 1.5), struct.pack(">d", -0.1).hex(), struct.pack("<e", 0.5))
print(struct.unpack(">4sHH", b"RIFF\x00\x01\x00\x02"), struct.pack("<3s?x", b"abcd", True), struct.unpack("<2b", b"\xff\x7f"))
s = struct.Struct("<iif")
print(s.size, s.format, s.unpack(s.pack(7, -7, 0.25)), list(struct.iter_unpack("<h", b"\x01\x00\x02\x00\x03\x00")))
buf = bytearray(8)
struct.pack_into("<HH", buf, 2, 0xABCD, 1)
print(buf, struct.unpack_from("<H", buf, 4))
try:
    struct.pack("<B", 256)
except struct.error as e:
    print("struct.error:", e)
try:
    struct.unpack("<I", b"ab")
except struct.error as e:
    print("struct.error:", e)
header = struct.pack("<4sIHH", b"ENCT", 42, 3, 1)
magic, size, major, minor = struct.unpack("<4sIHH", header)
print(magic.decode(), size, f"v{major}.{minor}", len(header))
