# Uncaught: KeyError on a missing setting.
settings = {"host": "localhost", "port": 8080}
print("host:", settings["host"])
timeout = settings["timeout"]
