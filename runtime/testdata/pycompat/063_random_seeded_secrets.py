# random with a fixed seed (same sequence across builds of one version); secrets only by length.
import random
import secrets
import string
random.seed(42)
print(random.random(), random.randint(1, 100), random.choice("abcdef"), random.uniform(1, 2), random.randrange(0, 100, 5))
items = list(range(10))
random.shuffle(items)
print(items, random.sample(range(100), 5), random.choices(["a", "b", "c"], weights=[5, 1, 1], k=8), random.getrandbits(64))
print(round(random.gauss(0, 1), 12), round(random.expovariate(1.5), 12), random.triangular(0, 10, 3) > 0, random.binomialvariate(10, 0.5))
rng = random.Random("seed-string")
print(rng.random(), rng.randint(0, 10 ** 12), rng.choice(["x", "y", "z"]), random.Random(7).sample("abcdefg", 3))
state = rng.getstate()
a = rng.random()
rng.setstate(state)
print(a == rng.random())
print(len(secrets.token_hex(16)), len(secrets.token_bytes(8)), len(secrets.token_urlsafe(32)) >= 32, 0 <= secrets.randbelow(10) < 10)
pw = "".join(secrets.choice(string.ascii_letters) for _ in range(12))
print(len(pw), pw.isalpha(), secrets.compare_digest("a", "a"))
