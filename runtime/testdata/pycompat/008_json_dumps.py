# json.dumps options.
import json
from datetime import date
data = {"name": "Zoë", "tags": ["a", "b"], "n": 1.5, "ok": True, "none": None, "nested": {"z": 1, "a": [1, {"b": 2}]}}
print(json.dumps(data))
print(json.dumps(data, indent=2, sort_keys=True))
print(json.dumps(data, ensure_ascii=False))
print(json.dumps(data, separators=(",", ":")))
print(json.dumps([1, [2, [3]]], indent=4))
print(json.dumps({"a": 1}, indent="\t"))
print(json.dumps({3: "int key", 1.5: "float key", True: "bool", None: "none"}))
print(json.dumps("emoji 😀 \u2028 \x00 \"quoted\" \\ /"))
print(json.dumps(float("inf")), json.dumps(float("nan")), json.dumps(-0.0), json.dumps(1e100), json.dumps(0.1))
try:
    json.dumps(float("nan"), allow_nan=False)
except ValueError as e:
    print("ValueError:", e)
try:
    json.dumps({"s": {1, 2}})
except TypeError as e:
    print("TypeError:", e)
print(json.dumps({"when": date(2024, 1, 2), "items": {3, 1, 2}}, default=lambda o: o.isoformat() if isinstance(o, date) else sorted(o)))
class Enc(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, complex):
            return [o.real, o.imag]
        return super().default(o)
print(json.dumps({"c": 1 + 2j}, cls=Enc), json.dumps((1, 2)), json.dumps([]), json.dumps({}, indent=2))
print(json.dumps({"b": 1, "a": {"d": 1, "c": 2}}, sort_keys=True, indent=1, separators=(",", ": ")))
print(json.dumps(10**30), json.dumps(12345678901234567890.0), json.dumps("<tag>&"))
