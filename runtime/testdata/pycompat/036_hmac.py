# hmac.
import hmac
import hashlib
key, msg = b"secret-key", b"payload=1&ts=1700000000"
mac = hmac.new(key, msg, hashlib.sha256)
print(mac.hexdigest(), mac.name, mac.digest_size)
print(hmac.new(key, msg, "sha1").hexdigest(), hmac.new(key, msg, digestmod="md5").hexdigest())
print(hmac.digest(key, msg, "sha256") == mac.digest(), hmac.new(b"", b"", hashlib.sha256).hexdigest())
m = hmac.new(key, digestmod=hashlib.sha512)
m.update(b"payload=1&")
m.update(b"ts=1700000000")
print(m.hexdigest() == hmac.new(key, msg, hashlib.sha512).hexdigest())
expected = mac.hexdigest()
print(hmac.compare_digest(expected, mac.hexdigest()), hmac.compare_digest(b"abc", b"abd"), hmac.compare_digest("a", "ab"))
print(hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", hashlib.sha256).hexdigest())
try:
    hmac.new(key, msg)
except TypeError as e:
    print("TypeError:", e)
