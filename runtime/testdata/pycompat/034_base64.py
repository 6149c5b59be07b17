# base64 and friends.
import base64
data = "Zoë's data: 😀 + /?".encode()
print(base64.b64encode(data), base64.b64decode(base64.b64encode(data)).decode())
print(base64.urlsafe_b64encode(b"\xfb\xff\xfe"), base64.b64encode(b"\xfb\xff\xfe"), base64.urlsafe_b64decode("-_-_"))
print(base64.b32encode(b"hello"), base64.b32decode("NBSWY3DP"), base64.b16encode(b"\x00\xffhi"), base64.b16decode("00FF"))
print(base64.b85encode(b"hello world"), base64.a85encode(b"hello world"), base64.b85decode(base64.b85encode(b"xyz")))
print(base64.b64encode(b""), base64.b64encode(b"a"), base64.b64encode(b"ab"), base64.b64encode(b"abc"), base64.standard_b64decode("YWI="))
print(base64.encodebytes(b"x" * 60), base64.b64decode("YW Jj\n"), base64.b64decode(b"YWJj", validate=True))
try:
    base64.b64decode("abc")
except Exception as e:
    print(type(e).__name__, e)
try:
    base64.b64decode("ab$c", validate=True)
except Exception as e:
    print(type(e).__name__, e)
token = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
print(token, base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
