# Classes: properties, __slots__, class and static methods, inheritance, super.
class Temperature:
    unit = "C"
    count = 0
    def __init__(self, celsius=0.0):
        self.celsius = celsius
        Temperature.count += 1
    @property
    def celsius(self):
        return self._c
    @celsius.setter
    def celsius(self, v):
        if v < -273.15:
            raise ValueError("below absolute zero")
        self._c = v
    @property
    def fahrenheit(self):
        return self._c * 9 / 5 + 32
    @classmethod
    def from_f(cls, f):
        return cls((f - 32) * 5 / 9)
    @staticmethod
    def valid(c):
        return c >= -273.15
t = Temperature(100)
print(t.fahrenheit, Temperature.from_f(212).celsius, Temperature.valid(-300), Temperature.count)
try:
    t.celsius = -500
except ValueError as e:
    print("ValueError:", e)
try:
    t.fahrenheit = 1
except AttributeError as e:
    print("AttributeError:", e)
class Slotted:
    __slots__ = ("x", "y")
    def __init__(self, x, y):
        self.x, self.y = x, y
s = Slotted(1, 2)
try:
    s.z = 3
except AttributeError as e:
    print("AttributeError:", e)
print(hasattr(s, "__dict__"), Slotted.__slots__)
class Animal:
    def __init__(self, name):
        self.name = name
    def speak(self):
        return f"{self.name} makes a sound"
    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"
class Dog(Animal):
    def speak(self):
        return super().speak().replace("a sound", "woof")
class Puppy(Dog):
    def speak(self):
        return super().speak() + "!"
print(Puppy("rex").speak(), [c.__name__ for c in Puppy.__mro__], isinstance(Puppy("a"), Animal), repr(Dog("d")))
class A:
    def who(self): return "A"
class B(A):
    def who(self): return "B" + super().who()
class C(A):
    def who(self): return "C" + super().who()
class D(B, C):
    def who(self): return "D" + super().who()
print(D().who(), [k.__name__ for k in D.mro()])
class Registry:
    plugins = {}
    def __init_subclass__(cls, key=None, **kw):
        super().__init_subclass__(**kw)
        Registry.plugins[key or cls.__name__] = cls
class Csv(Registry, key="csv"): pass
class Json(Registry): pass
print(sorted(Registry.plugins))
o = type("Dyn", (object,), {"x": 1, "get": lambda self: self.x * 2})()
print(o.get(), type(o).__name__, getattr(o, "missing", "default"), vars(Temperature(5)))
class Meta(type):
    def __new__(mcls, name, bases, ns):
        ns["tagged"] = name.lower()
        return super().__new__(mcls, name, bases, ns)
class Tagged(metaclass=Meta): pass
print(Tagged.tagged, type(Tagged).__name__)
