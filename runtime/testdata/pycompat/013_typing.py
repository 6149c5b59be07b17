# typing at runtime: TypedDict, Optional, Protocol, generics, get_type_hints.
from typing import TypedDict, Optional, Protocol, runtime_checkable, TypeVar, Generic, Union, Literal, Any, get_type_hints, get_origin, get_args, NamedTuple, Callable, NotRequired, cast, overload
class Movie(TypedDict):
    title: str
    year: int
    rating: NotRequired[float]
m: Movie = {"title": "Alien", "year": 1979}
print(m, Movie.__required_keys__ == frozenset({"title", "year"}), sorted(Movie.__optional_keys__))
def find(name: str, default: Optional[int] = None) -> int | None:
    return default
print(get_type_hints(find))
print(get_origin(list[int]), get_args(dict[str, list[int]]), get_args(Optional[int]), get_origin(Union[int, str]) is Union)
print(int | None, list[int], dict[str, Any], Literal["a", "b"], Callable[[int], str])
@runtime_checkable
class Closable(Protocol):
    def close(self) -> None: ...
class File:
    def close(self):
        print("closed")
print(isinstance(File(), Closable), isinstance(42, Closable))
T = TypeVar("T")
class Stack(Generic[T]):
    def __init__(self) -> None:
        self.items: list[T] = []
    def push(self, item: T) -> None:
        self.items.append(item)
    def pop(self) -> T:
        return self.items.pop()
s = Stack[int]()
s.push(1); s.push(2)
print(s.pop(), s.items, Stack[str].__origin__ is Stack)
def first[U](xs: list[U]) -> U:
    return xs[0]
print(first([3, 4]), first.__type_params__)
type Pair = tuple[int, int]
print(Pair.__value__, Pair.__name__)
class Emp(NamedTuple):
    name: str
    id: int = 3
print(Emp("a"), Emp.__annotations__)
print(cast(int, "not checked"), Any, Optional[str])
@overload
def dbl(x: int) -> int: ...
@overload
def dbl(x: str) -> str: ...
def dbl(x):
    return x * 2
print(dbl(2), dbl("ab"))
