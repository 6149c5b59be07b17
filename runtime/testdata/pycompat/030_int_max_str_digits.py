# The limit on converting huge ints to and from decimal strings.
import sys
print(sys.get_int_max_str_digits())
try:
    int("1" * 5000)
except ValueError as e:
    print("ValueError:", e)
big = 10 ** 5000
try:
    str(big)
except ValueError as e:
    print("ValueError:", e)
print(len(hex(big)), int("1" * 4300) % 1000)
sys.set_int_max_str_digits(6000)
print(len(str(int("1" * 5000))), str(big)[:10])
sys.set_int_max_str_digits(0)
print(len(str(10 ** 7000)))
