# re: named groups, sub with a function, fullmatch, flags, lookaround.
import re
m = re.search(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})", "due 2024-02-29 noon")
print(m.group("year"), m["month"], m.group(0), m.groups(), m.groupdict(), m.start(), m.end(), m.span("day"))
print(re.sub(r"(?P<first>\w+) (?P<last>\w+)", r"\g<last>, \g<first>", "Ada Lovelace"))
print(re.sub(r"(\d+)", lambda mo: str(int(mo.group(1)) * 2), "3 apples and 12 pears"))
print(re.sub(r"\b(\w)(\w*)\b", lambda mo: mo.group(1).upper() + mo.group(2), "make every word big"))
print(re.fullmatch(r"\d{3}-\d{4}", "555-1234") is not None, re.fullmatch(r"\d{3}-\d{4}", "555-12345") is None)
print(bool(re.fullmatch(r"[a-z0-9_]{3,16}", "user_01")), bool(re.fullmatch(r"[a-z0-9_]{3,16}", "Us")))
print(re.findall(r"\w+(?=!)", "wow! nice. great!"), re.findall(r"(?<=\$)\d+", "cost $30 or $45, not 50"))
print(re.findall(r"\b(?!un)\w+able\b", "unable capable unstable readable"), re.findall(r"(?<!-)\b\d+", "5 -3 12 -7"))
pw = re.compile(r"^(?=.*[A-Z])(?=.*\d)(?=.*[^\w\s]).{8,}$")
print([bool(pw.match(p)) for p in ["weak", "Str0ng!pass", "NoDigits!!", "n0upper#xx"]])
verbose = re.compile(r"""
    (?P<key>[a-z]+)   # the key
    \s*:\s*           # a colon
    (?P<val>[^,]+)    # the value
""", re.VERBOSE | re.IGNORECASE)
print([mo.groupdict() for mo in verbose.finditer("Name: Ada, Lang : Python,x:1")])
print(re.findall(r"a.c", "a\nc abc", re.DOTALL), re.findall(r"a.c", "a\nc abc"))
print(re.sub(r"(?m)^", "> ", "line1\nline2"), re.compile(r"x", re.I).flags & re.I != 0)
print(re.match(r"(a)(b)?", "a").groups(), re.match(r"(a)(b)?", "a").groups(default="-"))
print(re.sub(r"(a)|(b)", lambda mo: "A" if mo.group(1) else "B", "abcab"), re.sub("x*", "-", "abc"))
print(re.search(r"(\w+) \1", "hello hello world").group(1), re.findall(r"(.)\1", "aabbcdd"))
print(re.split(r"(?<=[.!?]) +", "One. Two! Three? Four"))
print(re.findall(r"[\u00C0-\u017F]+", "café naïve résumé plain"), re.findall(r"\w+", "Zoë 北京 x1"))
try:
    re.compile(r"(unclosed")
except re.error as e:
    print("re.error:", e)
