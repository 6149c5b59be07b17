# tomllib.
import tomllib
doc = """
title = "Example"
version = 3
ratio = 0.75
enabled = true
tags = ["a", "b"]
when = 2024-03-01T10:00:00Z
day = 2024-03-01

[owner]
name = "Ada"

[[servers]]
host = "alpha"
ports = [8000, 8001]

[[servers]]
host = "beta"
ports = []

[nested.deeper]
key = 'literal \\n'
multi = \"\"\"
two
lines\"\"\"
"""
data = tomllib.loads(doc)
print(data)
print(data["servers"][1]["host"], data["nested"]["deeper"]["key"], repr(data["nested"]["deeper"]["multi"]), type(data["when"]).__name__)
try:
    tomllib.loads("a = ")
except tomllib.TOMLDecodeError as e:
    print("TOMLDecodeError:", e)
print(tomllib.loads("x = 1.5", parse_float=str))
