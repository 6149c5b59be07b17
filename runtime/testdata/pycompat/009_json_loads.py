# json.loads edge cases.
import json
from decimal import Decimal
from collections import OrderedDict
print(json.loads('{"a": [1, 2.5, "x", true, false, null]}'))
print(json.loads('"\\u00e9\\ud83d\\ude00"'), json.loads('  42  '), json.loads('-0'), json.loads('1E3'), json.loads('-1.5e-3'))
print(json.loads('{"a": 1, "a": 2}'), json.loads('[]'), json.loads('{}'))
print(json.loads("NaN"), json.loads("Infinity"), json.loads("-Infinity"))
print(json.loads("1.1", parse_float=Decimal), json.loads('{"b": 1, "a": 2}', object_pairs_hook=OrderedDict))
print(json.loads("123456789012345678901234567890"), type(json.loads("1.0")).__name__, type(json.loads("1")).__name__)
print(json.loads('{"x": 1}', object_hook=lambda d: {k.upper(): v for k, v in d.items()}))
print(json.loads(b'{"bytes": "ok"}'), json.loads('"tab\\tnew\\nline"'))
for bad in ['{"a": 1,}', "[1, 2", "{'a': 1}", "", "tru", '"unterminated', '{"a" 1}', "[1] x"]:
    try:
        json.loads(bad)
    except json.JSONDecodeError as e:
        print(repr(bad), "->", e.msg, e.lineno, e.colno, e.pos)
dec = json.JSONDecoder()
print(dec.raw_decode('{"a": 1} trailing'))
doc = '''{
  "users": [
    {"id": 1, "name": "Ada", "roles": ["admin"]},
    {"id": 2, "name": "Bob", "roles": []}
  ]
}'''
users = json.loads(doc)["users"]
print([u["name"] for u in users if u["roles"]], sum(u["id"] for u in users))
print(json.loads(json.dumps({"k": [1.0, 2.25, 1e-7]})))
