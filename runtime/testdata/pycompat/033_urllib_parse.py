# urllib.parse.
from urllib.parse import urlparse, urlsplit, urlunparse, parse_qs, parse_qsl, urlencode, quote, quote_plus, unquote, unquote_plus, urljoin, urldefrag
u = urlparse("https://user:pw@Example.com:8443/a/b;p?q=1&q=2&x=%20y#frag")
print(u)
print(u.scheme, u.netloc, u.hostname, u.port, u.username, u.password, u.path, u.params, u.query, u.fragment)
print(parse_qs(u.query), parse_qsl(u.query), parse_qs("a=&b=1", keep_blank_values=True), parse_qs("a=1;b=2"))
print(urlencode({"q": "hello world", "lang": "en&fr", "n": 3}), urlencode({"k": ["a", "b"]}, doseq=True), urlencode([("x", "é")]))
print(quote("a b/c?d=é"), quote("a b/c", safe=""), quote_plus("a b+c"), unquote("%C3%A9%20x"), unquote_plus("a+b%2B"))
print(urljoin("https://h.com/a/b/c", "../d"), urljoin("https://h.com/a/b/", "d?x=1"), urljoin("https://h.com/a", "//other.org/p"), urljoin("https://h.com/a/", "/root"))
print(urlunparse(("https", "h.com", "/p", "", "a=1", "f")), urlsplit("http://[::1]:80/x").hostname, urldefrag("http://h/p#sec"))
print(u._replace(query="", fragment="").geturl(), urlparse("mailto:ada@example.com"), urlparse("//h/p").netloc, urlparse("relative/path"))
try:
    urlparse("http://h:notaport/").port
except ValueError as e:
    print("ValueError:", e)
