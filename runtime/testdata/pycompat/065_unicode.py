# Unicode: normalisation, encodings, categories, code points.
import unicodedata
s = "Zoë café naïve 😀 北京"
print(len(s), len(s.encode()), len(s.encode("utf-16-le")), s.encode("utf-8")[:8], s.encode("ascii", "replace"), s.encode("ascii", "ignore"), s.encode("ascii", "xmlcharrefreplace")[-20:])
print(s.encode("ascii", "backslashreplace"), "é".encode("latin-1"), b"caf\xe9".decode("latin-1"), b"\xff\xfeA\x00".decode("utf-16"), "x".encode("utf-32-be"))
print(b"bad \xff byte".decode("utf-8", "replace"), b"bad \xff byte".decode("utf-8", "surrogateescape").encode("utf-8", "surrogateescape"), b"\xc3\xa9".decode())
try:
    b"\xff".decode("utf-8")
except UnicodeDecodeError as e:
    print("UnicodeDecodeError:", e)
try:
    "é".encode("ascii")
except UnicodeEncodeError as e:
    print("UnicodeEncodeError:", e)
composed, decomposed = "é", "e\u0301"
print(composed == decomposed, unicodedata.normalize("NFC", decomposed) == composed, len(unicodedata.normalize("NFD", composed)), unicodedata.normalize("NFKC", "ﬁ①Ⅻ"))
print(unicodedata.name("é"), unicodedata.name("😀"), unicodedata.lookup("SNOWMAN"), unicodedata.category("A"), unicodedata.category("9"), unicodedata.category(" "), unicodedata.numeric("½"), unicodedata.decimal("٣"))
print(unicodedata.unidata_version, unicodedata.east_asian_width("北"), unicodedata.combining("\u0301"), unicodedata.mirrored("("), unicodedata.bidirectional("א"))
def strip_accents(t):
    return "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
print(strip_accents("Crème Brûlée à la café"), ord("€"), chr(8364), hex(ord("😀")), "\N{GREEK SMALL LETTER ALPHA}", "\u00e9" == "é", "\U0001F600")
print("ǅungla".title(), "ΣΊΣΥΦΟΣ".lower(), "İ".lower(), len("İ".lower()), "ß".casefold(), "ﬀ".upper(), "straße".upper())
print(sorted(["b", "a", "B", "é", "e"]), "١٢٣".isdigit(), int("١٢٣"), float("٣.٥"), "Ⅻ".isnumeric(), "ⅻ".upper())
print(repr("\x00\x1f\x7f\u200b\u2028"), "a\u0300".isalpha(), "\t".isprintable(), "é".isprintable(), str.isascii("abc"), "é".isascii())
