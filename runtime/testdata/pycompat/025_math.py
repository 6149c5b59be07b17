# math.
import math
# Functions from the C library (sin, log, erf...) are rounded: their last bit may differ between libms.
r = lambda v: round(v, 12)
print(math.isqrt(10**20 + 12345), math.isqrt(99), math.comb(52, 5), math.perm(10, 3), math.factorial(25))
print(math.prod([1, 2, 3, 4, 5]), math.prod([], start=7), math.prod(range(1, 21)))
print(sum([0.1] * 10), math.fsum([0.1] * 10), math.fsum([1e100, 1.0, -1e100]))
print(math.floor(-2.5), math.ceil(-2.5), math.trunc(-2.7), round(2.5), round(3.5), round(-0.5), round(2.675, 2), round(1234, -2))
print(math.inf, -math.inf, math.nan, math.isinf(math.inf), math.isnan(float("nan")), math.isfinite(1e308), math.inf > 1e308, math.nan == math.nan)
print(math.gcd(12, 18, 30), math.lcm(4, 6, 10), math.sqrt(2), r(math.cbrt(27)), math.hypot(3, 4), math.dist((0, 0), (1, 1)))
print(math.pi, math.e, math.tau, math.degrees(math.pi), math.radians(180), r(math.sin(math.pi / 6)), math.cos(0), r(math.atan2(1, 1)))
print(r(math.log(100, 10)), math.log10(1000), math.log2(1024), r(math.log(math.e)), r(math.exp(1)), r(math.log1p(1e-10)), r(math.expm1(1e-10)))
print(math.isclose(0.1 + 0.2, 0.3), 0.1 + 0.2 == 0.3, math.isclose(1.0, 1.001, rel_tol=1e-2), math.copysign(3, -0.0), math.fabs(-4))
print(math.modf(3.75), math.frexp(8.0), math.ldexp(0.5, 4), math.fmod(-7, 3), -7 % 3, divmod(-7, 3), divmod(7.5, 2))
print(math.nextafter(1.0, 2.0), math.ulp(1.0), math.sumprod([1, 2, 3], [4, 5, 6]), r(math.gamma(5)), r(math.lgamma(10)), r(math.erf(0.5)))
print(float("1e309"), 1e308 * 10, -1e308 * 10, 2 ** 0.5, complex(round(((-8) ** (1 / 3)).real, 12), round(((-8) ** (1 / 3)).imag, 12)), 10 ** -2, 7 // 2, -7 // 2, 7 % -2)
for bad in [lambda: math.sqrt(-1), lambda: math.log(0), lambda: math.factorial(-1), lambda: 1 / 0, lambda: math.exp(1000)]:
    try:
        bad()
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        print(type(e).__name__ + ":", e)
