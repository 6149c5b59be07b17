# string.Template and the string module.
import string
from string import Template
t = Template("Hello $name, you owe $$${amount} to ${company}Inc.")
print(t.substitute(name="Ada", amount="10.50", company="Acme"))
print(t.safe_substitute(name="Bob"), t.get_identifiers(), t.is_valid())
try:
    t.substitute(name="x")
except KeyError as e:
    print("KeyError:", e)
try:
    Template("bad $ sign").substitute()
except ValueError as e:
    print("ValueError:", e)
class Pct(Template):
    delimiter = "%"
print(Pct("%who likes %what").substitute({"who": "Ada", "what": "math"}))
print(string.ascii_letters, string.digits, string.hexdigits, string.punctuation, repr(string.whitespace))
print(string.capwords("hello   wORLD  again"), string.capwords("a-b c-d", "-"), string.ascii_uppercase[:5], string.octdigits)
f = string.Formatter()
print(f.format("{0}-{x}", 1, x=2), list(f.parse("a{b}c{d!r:>3}")))
