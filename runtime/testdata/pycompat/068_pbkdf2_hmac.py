# hashlib.pbkdf2_hmac and scrypt-free key derivation a tool might use.
import hashlib
print(hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1000).hex())
print(hashlib.pbkdf2_hmac("sha1", b"password", b"salt", 2, dklen=20).hex())
