# binascii and zlib: checksums and round trips (compressed bytes depend on the zlib version, so only round trips and checksums are printed).
import binascii
import zlib
data = b"hello hello hello hello " * 50
print(binascii.hexlify(b"\x00\xffab"), binascii.unhexlify("48656c6c6f"), binascii.hexlify(b"abc", "-"), bytes.fromhex("de ad be ef").hex(":"))
print(binascii.crc32(b"hello"), zlib.crc32(b"hello"), zlib.crc32(b" world", zlib.crc32(b"hello")) == zlib.crc32(b"hello world"), zlib.adler32(b"hello"))
print(binascii.crc_hqx(b"hello", 0), binascii.b2a_base64(b"hi"), binascii.a2b_base64(b"aGk="))
for level in [0, 1, 6, 9]:
    c = zlib.compress(data, level)
    print(level, zlib.decompress(c) == data, len(c) < len(data) or level == 0)
co = zlib.compressobj(wbits=-15)
raw = co.compress(data) + co.flush()
print(zlib.decompress(raw, wbits=-15) == data)
do = zlib.decompressobj()
stream = zlib.compress(data)
out = b"".join(do.decompress(stream[i:i + 10]) for i in range(0, len(stream), 10)) + do.flush()
print(out == data, do.eof, do.unused_data)
print(zlib.decompress(zlib.compress(b"")), zlib.decompress(zlib.compress(bytes(range(256)) * 4)) == bytes(range(256)) * 4)
try:
    zlib.decompress(b"not compressed")
except zlib.error as e:
    print("zlib.error:", e)
try:
    binascii.unhexlify("abc")
except binascii.Error as e:
    print("binascii.Error:", e)
