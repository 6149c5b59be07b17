# int and float semantics tool authors rely on.
print(pow(3, -1, 11), pow(2, 10, 1000), pow(7, 0, 1), pow(38, -1, 97), pow(2, 100))
try:
    pow(2, -1, 4)
except ValueError as e:
    print("ValueError:", e)
print(isinstance(True, int), True + True, True * 3, sum([True, False, True]), int(True), bool(0), bool(""), bool([0]), issubclass(bool, int))
print(2 ** 200, (2 ** 200).bit_length(), 10 ** 50 // 7, -(10 ** 50) // 7, (10 ** 50) % 7, 3 ** 100 % 10 ** 9)
print(int("ff", 16), int("0x1F", 0), int("0b101", 0), int("  42\n"), int("1_000"), int("-7"), int(3.99), int(-3.99), int("z", 36))
print(hex(255), oct(8), bin(5), hex(-255), (255).to_bytes(2, "big"), int.from_bytes(b"\x01\x00", "little"), (-1).to_bytes(2, "big", signed=True))
print(float("3.14"), float("-inf"), float(" 1e-3 "), float("1_000.5"), 0.1 + 0.2, 1 / 3, 2 / 3, 1e16, 1e-7, 123456789.123456789, 1.0, 100.0, 1e22, 1e23)
print(repr(0.1), str(1.5e300 * 1e10), 0.1 * 3, 1.1 * 1.1, 9007199254740993.0, float(2 ** 53 + 1), 3.0 == 3, 7 / 7, (0.5).hex(), float.fromhex("0x1.8p1"))
print(round(0.5), round(1.5), round(2.5), round(-1.5), round(1.25, 1), round(1.35, 1), round(123.456, -1), round(5, 2))
print(divmod(17, 5), divmod(-17, 5), 17 % -5, -17 // 5, 2 ** -1, 10 / 4, 10 // 4, 7.0 // 2, abs(-3), abs(-2.5), (3 + 4j).conjugate(), abs(3 + 4j))
print((1234).__format__(","), f"{2**64:,}", str(10**20), len(str(2 ** 10000)), sum(int(c) for c in str(2 ** 1000)))
print(int("9" * 4300) % 97, 1 < 2 < 3, 1 < 3 < 2, max(1, 2.5), min(-0.0, 0.0), 0.0 == -0.0, (-0.0).__repr__(), float("nan") != float("nan"))
print(complex(1, 2) * complex(3, -1), complex("1+2j"), (1j) ** 2, int.bit_count(255), (10).bit_length(), (-5).__abs__(), 5 .real, (5).imag)
print(sum(range(1, 101)), sum([0.1] * 3), sum([[1], [2]], []), max([3, 1, 2], key=lambda v: -v), min("bca"), sorted([3, 1.5, 2]))
print(float(10 ** 308), 10 ** 400 > 1e308, 2 ** 63 - 1, -(2 ** 63), 2 ** 64 + 1, int(1e20), int(float(2 ** 63)))
try:
    float(10 ** 400)
except OverflowError as e:
    print("OverflowError:", e)
try:
    int("12abc")
except ValueError as e:
    print("ValueError:", e)
