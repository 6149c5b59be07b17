# argparse over explicit argument lists.
import argparse
import io
import contextlib
p = argparse.ArgumentParser(prog="tool", description="Process numbers.")
p.add_argument("nums", type=int, nargs="+", help="numbers")
p.add_argument("--op", choices=["sum", "max"], default="sum")
p.add_argument("-v", "--verbose", action="count", default=0)
p.add_argument("--tag", action="append", default=[])
p.add_argument("--dry-run", action="store_true")
a = p.parse_args(["3", "1", "4", "--op", "max", "-vv", "--tag", "x", "--tag", "y", "--dry-run"])
print(a, {"sum": sum, "max": max}[a.op](a.nums))
print(p.parse_args(["5"]))
print(p.format_usage(), end="")
err = io.StringIO()
with contextlib.redirect_stderr(err):
    try:
        p.parse_args(["--op", "min", "1"])
    except SystemExit as e:
        print("exit", e.code)
print(err.getvalue().strip().splitlines()[-1])
known, rest = p.parse_known_args(["1", "--unknown", "z"])
print(known.nums, rest)
