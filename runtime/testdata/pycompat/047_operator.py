# operator.
import operator as op
from functools import reduce
print(op.add(2, 3), op.mul("ab", 2), op.truediv(7, 2), op.floordiv(7, 2), op.mod(7, 3), op.pow(2, 8), op.neg(5), op.not_(0), op.truth([]))
print(op.itemgetter(1)([1, 2, 3]), op.itemgetter(0, 2)("abc"), op.itemgetter("k")({"k": "v"}), op.attrgetter("real")(3 + 4j), op.attrgetter("a.b")(type("X", (), {"a": type("Y", (), {"b": 7})})))
print(op.methodcaller("split", ",")("a,b"), op.methodcaller("replace", "a", "o")("banana"), op.contains([1, 2], 2), op.countOf([1, 2, 1], 1), op.indexOf("abc", "c"))
print(reduce(op.or_, [1, 2, 4]), reduce(op.and_, [7, 3]), op.xor(5, 3), op.lshift(1, 10), op.rshift(1024, 3), op.inv(5), op.index(7))
print(op.eq(1, 1.0), op.lt("a", "b"), op.is_(None, None), op.is_not(1, None), op.concat([1], [2]), op.length_hint(iter(range(5))))
d = {"x": 1}
op.setitem(d, "y", 2)
op.delitem(d, "x")
print(d, op.getitem(d, "y"), sorted([("b", 2), ("a", 2), ("c", 1)], key=op.itemgetter(1, 0)), op.call(max, 1, 5))
x = [1]
x = op.iadd(x, [2])
print(x, list(map(op.mul, [1, 2, 3], [4, 5, 6])), list(map(op.itemgetter(0), ["ab", "cd"])))
