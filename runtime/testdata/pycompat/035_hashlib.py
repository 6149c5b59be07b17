# hashlib digests.
import hashlib
msg = b"The quick brown fox jumps over the lazy dog"
for name in ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b", "blake2s"]:
    print(name, hashlib.new(name, msg).hexdigest())
print(hashlib.sha256(b"").hexdigest(), hashlib.md5("é".encode()).hexdigest())
h = hashlib.sha256()
for chunk in [b"The quick ", b"brown fox ", b"jumps over the lazy dog"]:
    h.update(chunk)
print(h.hexdigest() == hashlib.sha256(msg).hexdigest(), h.digest_size, h.block_size, h.name, len(h.digest()))
c = h.copy()
c.update(b"!")
print(c.hexdigest() != h.hexdigest())
print(hashlib.blake2b(msg, digest_size=16).hexdigest(), hashlib.blake2b(msg, key=b"secret", digest_size=20).hexdigest(), hashlib.blake2s(b"x", person=b"me").hexdigest())
print(hashlib.shake_128(msg).hexdigest(16), hashlib.shake_256(b"").hexdigest(8))
print(hashlib.sha1(b"abc").hexdigest(), hashlib.md5(b"abc").hexdigest(), hashlib.sha512(b"abc").hexdigest()[:32])
print(sorted(a for a in hashlib.algorithms_guaranteed))
print(hashlib.file_digest.__name__, hashlib.sha256(b"x" * 1000000).hexdigest())
