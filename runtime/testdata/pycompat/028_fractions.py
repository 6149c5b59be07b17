# fractions.
from fractions import Fraction
from decimal import Decimal
a, b = Fraction(1, 3), Fraction(2, 7)
print(a + b, a - b, a * b, a / b, a ** 2, -a, abs(-a), a ** -1, Fraction(4, 2) ** Fraction(1, 2))
print(Fraction("3/4"), Fraction("1.25"), Fraction(0.5), Fraction(0.1), Fraction(Decimal("0.1")), Fraction(" -7/14 "), Fraction("1e-3"))
print(Fraction(0.1).limit_denominator(100), Fraction(3.14159265).limit_denominator(1000), Fraction(10, -4))
print(a.numerator, a.denominator, float(a), int(Fraction(7, 2)), round(Fraction(7, 2)), round(Fraction(5, 2)), round(Fraction(22, 7), 3))
print(a < b, a == Fraction(2, 6), a == 1 / 3, Fraction(1, 2) == 0.5, sorted([Fraction(1, 2), Fraction(1, 3), 0.4]))
print(sum(Fraction(1, n) for n in range(1, 11)), Fraction(1, 3).as_integer_ratio(), (0.75).as_integer_ratio(), Fraction(5, 1).is_integer())
print(f"{Fraction(1, 3):.5f}", f"{Fraction(22, 7):.3e}", f"{Fraction(-1, 8)}", str(Fraction(6, 1)), repr(Fraction(1, 2)), Fraction(7, 3) // 1, Fraction(7, 3) % 1)
try:
    Fraction(1, 0)
except ZeroDivisionError as e:
    print("ZeroDivisionError:", e)
try:
    Fraction("one half")
except ValueError as e:
    print("ValueError:", e)
