# decimal: contexts, quantize, rounding modes.
from decimal import Decimal, getcontext, localcontext, ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN, ROUND_CEILING, InvalidOperation, DivisionByZero, Context
print(Decimal("0.1") + Decimal("0.2"), Decimal("0.1") + Decimal("0.2") == Decimal("0.3"), Decimal(0.1))
print(Decimal("1.10") * 3, Decimal("10") / Decimal("3"), Decimal("1") / Decimal("7"), Decimal(2).sqrt())
price = Decimal("19.995")
for mode in [ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN, ROUND_CEILING]:
    print(mode, price.quantize(Decimal("0.01"), rounding=mode), Decimal("2.5").quantize(Decimal("1"), rounding=mode), Decimal("-2.5").quantize(Decimal("1"), rounding=mode))
with localcontext() as ctx:
    ctx.prec = 50
    print(Decimal(1) / Decimal(7), Decimal(2).sqrt())
print(getcontext().prec, getcontext().rounding)
ctx = Context(prec=5, rounding=ROUND_HALF_UP)
print(ctx.divide(Decimal(1), Decimal(3)), ctx.create_decimal("3.14159265"), ctx.power(Decimal(2), 10))
print(Decimal("1.2345E+3"), Decimal("1234.5").normalize(), Decimal("100").normalize(), Decimal("1.500").normalize(), Decimal("-0"), Decimal("NaN"), Decimal("-Infinity"))
print(Decimal("3.14159").as_tuple(), Decimal("12.30").to_eng_string(), Decimal("123E+6").to_eng_string(), Decimal("7.25").to_integral_value(), int(Decimal("7.9")), float(Decimal("0.5")))
print(sum([Decimal("0.10")] * 3), round(Decimal("2.675"), 2), round(Decimal("2.5")), f"{Decimal('1234567.891'):,.2f}", f"{Decimal('0.5'):.0%}")
print(Decimal("1.1").compare(Decimal("1.10")), Decimal("1.1") == Decimal("1.10"), sorted([Decimal("1.1"), Decimal("0.9"), Decimal("1.05")]), max(Decimal("1"), Decimal("1.0")))
print(Decimal(10) ** -3, Decimal("2") ** Decimal("0.5"), Decimal("100").ln() if False else Decimal("100").log10(), Decimal(1).exp())
print(divmod(Decimal("7.5"), Decimal("2")), Decimal("-7") % Decimal("3"), Decimal("-7") // Decimal("3"))
for bad in [lambda: Decimal("abc"), lambda: Decimal(1) / Decimal(0), lambda: Decimal("inf") - Decimal("inf")]:
    try:
        bad()
    except (InvalidOperation, DivisionByZero) as e:
        print(type(e).__name__, e.args[0] if e.args else "")
total = sum(Decimal(p) * q for p, q in [("9.99", 3), ("0.015", 7), ("100", 1)])
tax = (total * Decimal("0.0825")).quantize(Decimal("0.01"), ROUND_HALF_UP)
print(total, tax, total + tax)
