# enum: Enum, IntEnum, StrEnum, Flag, auto, unique.
from enum import Enum, IntEnum, StrEnum, Flag, IntFlag, auto, unique
class Color(Enum):
    RED = 1
    GREEN = 2
    BLUE = 3
print(Color.RED, repr(Color.GREEN), Color(3), Color["RED"], Color.RED.name, Color.RED.value)
print(list(Color), len(Color), Color.RED in Color, Color.RED == 1, Color.RED is Color(1))
try:
    Color(7)
except ValueError as e:
    print("ValueError:", e)
class Status(IntEnum):
    OK = 200
    NOT_FOUND = 404
print(Status.OK == 200, Status.NOT_FOUND + 1, sorted([Status.NOT_FOUND, Status.OK]), f"{Status.OK}", str(Status.OK))
class Mode(StrEnum):
    READ = auto()
    WRITE = auto()
print(Mode.READ, Mode.READ == "read", Mode.WRITE.upper(), list(Mode))
class Perm(Flag):
    R = auto()
    W = auto()
    X = auto()
rw = Perm.R | Perm.W
print(rw, Perm.R in rw, Perm.X in rw, rw & Perm.W, ~Perm.R, Perm(0), list(rw), Perm.R.value, Perm.X.value)
class P(IntFlag):
    A = 1
    B = 2
print(P.A | P.B, int(P.A | P.B), P(3), P.A | 4)
class Ordinal(Enum):
    FIRST = auto()
    SECOND = auto()
    def describe(self):
        return f"{self.name.lower()}={self.value}"
    @classmethod
    def parse(cls, s):
        return cls[s.upper()]
print(Ordinal.SECOND.describe(), Ordinal.parse("first"))
try:
    @unique
    class Dup(Enum):
        A = 1
        B = 1
except ValueError as e:
    print("ValueError:", e)
class Alias(Enum):
    A = 1
    B = 1
print(Alias.B, list(Alias), Alias.__members__.keys())
Animal = Enum("Animal", "ANT BEE CAT")
print(Animal.BEE, Animal.BEE.value, {c: c.value for c in Color})
