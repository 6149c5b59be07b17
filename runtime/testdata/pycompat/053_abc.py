# abc: abstract base classes, collections.abc.
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence, Iterable, Sized, Callable, MutableMapping, Hashable
class Shape(ABC):
    @abstractmethod
    def area(self): ...
    @property
    @abstractmethod
    def name(self): ...
    def describe(self):
        return f"{self.name} with area {self.area():.2f}"
try:
    Shape()
except TypeError as e:
    print("TypeError:", e)
class Square(Shape):
    def __init__(self, s): self.s = s
    def area(self): return self.s ** 2
    @property
    def name(self): return "square"
print(Square(3).describe(), isinstance(Square(1), Shape))
class Half(Shape):
    def area(self): return 0
try:
    Half()
except TypeError as e:
    print("TypeError:", e)
class Duck:
    def __len__(self): return 0
    def __iter__(self): return iter([])
print(isinstance(Duck(), Sized), isinstance(Duck(), Iterable), isinstance({}, Mapping), isinstance([], Sequence), isinstance("s", Sequence), isinstance(len, Callable), isinstance([], Hashable))
class Config(MutableMapping):
    def __init__(self): self._d = {}
    def __getitem__(self, k): return self._d[k.lower()]
    def __setitem__(self, k, v): self._d[k.lower()] = v
    def __delitem__(self, k): del self._d[k.lower()]
    def __iter__(self): return iter(self._d)
    def __len__(self): return len(self._d)
c = Config()
c["Host"] = "h"
c.update(PORT=80)
print(dict(c), c.get("HOST"), "port" in c, c.setdefault("x", 1), len(c), c.pop("x"), list(c.items()))
class Registered(ABC): pass
Registered.register(int)
print(isinstance(5, Registered), issubclass(bool, Registered), issubclass(str, Registered))
