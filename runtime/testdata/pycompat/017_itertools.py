# itertools.
import itertools as it
import operator
data = sorted(["apple", "avocado", "banana", "blueberry", "cherry", "akee"], key=lambda w: w[0])
print([(k, list(g)) for k, g in it.groupby(data, key=lambda w: w[0])])
print([(k, len(list(g))) for k, g in it.groupby("aaabccdddd")])
print(list(it.chain([1, 2], "ab", (3,))), list(it.chain.from_iterable([[1], [2, 3], []])))
print(list(it.product("ab", [1, 2])), len(list(it.product(range(3), repeat=3))))
print(list(it.permutations("abc", 2)), list(it.combinations(range(4), 3)), list(it.combinations_with_replacement("ab", 2)))
print(list(it.accumulate([1, 2, 3, 4])), list(it.accumulate([3, 1, 4, 1, 5], max)), list(it.accumulate([1, 2, 3], operator.mul, initial=10)))
print(list(it.islice(it.count(10, 5), 4)), list(it.islice("abcdefg", 1, None, 2)), list(it.islice(it.cycle("xy"), 5)))
print(list(it.pairwise([1, 4, 9, 16])), [b - a for a, b in it.pairwise([1, 4, 9, 16])])
print(list(it.batched(range(7), 3)), list(it.batched("abcde", 2)))
print(list(it.repeat("z", 3)), list(it.starmap(pow, [(2, 3), (3, 2)])), list(it.zip_longest("ab", [1, 2, 3], fillvalue="-")))
print(list(it.takewhile(lambda x: x < 3, [1, 2, 5, 1])), list(it.dropwhile(lambda x: x < 3, [1, 2, 5, 1])), list(it.filterfalse(str.isdigit, "a1b2")))
print(list(it.compress("ABCDEF", [1, 0, 1, 0, 1, 1])), [list(t) for t in it.tee([1, 2], 2)])
totals = {k: sum(v for _, v in g) for k, g in it.groupby(sorted([("b", 2), ("a", 1), ("b", 3), ("a", 4)]), key=operator.itemgetter(0))}
print(totals)
