# gzip in memory (round trips only: the compressed bytes depend on the zlib version).
import gzip
import io
text = ("line %d: the quick brown fox\n" * 200).encode()
blob = gzip.compress(text, mtime=0)
print(blob[:2].hex(), blob[2], gzip.decompress(blob) == text, len(gzip.decompress(blob)))
buf = io.BytesIO()
with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
    f.write(b"first\n")
    f.write(b"second\n")
buf.seek(0)
with gzip.GzipFile(fileobj=buf, mode="rb") as f:
    print(f.read().decode().splitlines())
buf.seek(0)
with gzip.open(buf, "rt", encoding="utf-8") as f:
    print([line.rstrip() for line in f])
two = gzip.compress(b"ab", mtime=0) + gzip.compress(b"cd", mtime=0)
print(gzip.decompress(two))
try:
    gzip.decompress(b"\x1f\x8bjunk")
except Exception as e:
    print(type(e).__name__)
try:
    gzip.decompress(b"plain text")
except gzip.BadGzipFile as e:
    print("BadGzipFile:", e)
