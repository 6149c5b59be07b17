# Uncaught: json.JSONDecodeError (its module path is part of the message).
import json
print(json.loads('{"ok": 1}'))
json.loads('{"a": 1 "b": 2}')
