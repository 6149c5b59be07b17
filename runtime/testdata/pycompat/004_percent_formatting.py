# printf-style formatting.
print("%s is %d years" % ("Ada", 36))
print("%5.2f|%-8s|%08.3f|%+d|%x|%X|%o|%e|%g" % (3.14159, "left", 3.14159, 5, 255, 255, 8, 12345.678, 0.00001234))
print("%(name)s has %(count)03d items" % {"name": "cart", "count": 7})
print("%c%c%c" % (72, 105, 33), "%%", "%r" % [1, "a"], "%a" % "é")
print("%.3s" % "abcdef", "%*d" % (6, 42), "%-*d|" % (6, 42), "%.*f" % (2, 2.71828))
print("%s" % (1, ) , "%s %s" % ("a", (1, 2)) if False else "%s" % ((1, 2),))
print(b"%s=%d" % (b"n", 5), b"%05.1f" % 3.14159)
print("%i %u" % (7, 8), "%#x %#o" % (255, 8))
try:
    print("%d" % "x")
except TypeError as e:
    print("TypeError:", e)
try:
    print("%s %s" % ("only one",))
except TypeError as e:
    print("TypeError:", e)
