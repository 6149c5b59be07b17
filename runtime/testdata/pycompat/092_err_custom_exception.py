# Uncaught: an exception class defined in the program (its name is printed without a module prefix).
class ConfigError(Exception):
    pass
def check(cfg):
    for key in ("name", "version"):
        if key not in cfg:
            raise ConfigError(f"missing field {key!r}")
check({"name": "x", "version": 1})
print("first config ok")
check({"version": 2})
