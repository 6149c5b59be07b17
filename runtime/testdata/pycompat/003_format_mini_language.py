# The format mini-language through f-strings and str.format.
x = 1234567.891
print(f"{x:,.2f}", f"{x:_.1f}", f"{x:.3e}", f"{x:g}", f"{x:.10g}")
print(f"[{'left':<10}]", f"[{'right':>10}]", f"[{'mid':^10}]", f"[{'fill':*^11}]")
print(f"[{42:>10}]", f"[{42:<6d}]", f"[{42:06d}]", f"[{-42:+d}]", f"[{42:+d}]", f"[{42: d}]")
print(f"{255:x} {255:X} {255:#x} {255:o} {255:#o} {255:b} {255:#010b} {255:08_b}")
print(f"{0.25:%} {0.125:.1%} {1/3:.4f} {2/3:.0f} {2.5:.0f} {3.5:.0f}")
print(f"{1e16:,.0f}", f"{12345678901234567890:,}", f"{-1234.5:,.2f}")
print(f"{'abc'!r} {'abc'!s} {'é'!a}")
name, width = "total", 12
print(f"{name:>{width}}|", f"{3.14159:.{3}f}")
value = 7
print(f"{value=}", f"{value * 2 = }", f"{name=!r:>10}")
print("{0} {1} {0}".format("a", "b"), "{name} is {age}".format(name="Ada", age=36))
print("{:>8.3f}|{:<8}|{:^8}".format(3.14159, "ab", "cd"))
print("{0[0]} {1[key]} {2.real}".format([9], {"key": "v"}, 3 + 4j))
print(format(1234.5, ",.1f"), format(0.000012345, ".2e"), format(123, "c" if False else "d"))
print(f"{float('inf'):f} {float('-inf'):.2f} {float('nan'):f} {-0.0:.1f} {1e300*10:e}")
print(f"{3:{'>'}{5}}", f"{{literal braces}}", f"{'nested ' + f'{1+1}'}")
from datetime import date
print(f"{date(2024, 3, 9):%Y/%m/%d} {date(2024, 3, 9):%d %b %Y}")
print(f"{12.0:g} {12.5:g} {1e-5:g} {123456789.0:g} {0.1+0.2}")
print(f"{True} {None} {[1, 'a']} {(1,)} {{'k': 1}}")
print(f"{1234:,d}".replace(",", "."), f"{1_000_000:_}", f"{0xFFFF:,x}" if False else f"{0xFFFF:_x}")
