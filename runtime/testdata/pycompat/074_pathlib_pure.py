# Path manipulation without touching a file system.
from pathlib import PurePosixPath, PureWindowsPath
import posixpath
p = PurePosixPath("/data/reports/2024/q1.summary.csv")
print(p.name, p.stem, p.suffix, p.suffixes, p.parent, p.parts, p.anchor, p.with_suffix(".json"), p.with_name("x.txt"), p.with_stem("q2"))
print(p.relative_to("/data"), p.is_absolute(), p.match("*.csv"), PurePosixPath("a") / "b" / "c.txt", list(p.parents)[:2], p.is_relative_to("/data"))
print(PurePosixPath("a/./b/../c"), posixpath.normpath("a/./b/../c"), posixpath.join("a", "b", "/c"), posixpath.splitext("x.tar.gz"), posixpath.basename("/a/b/"), posixpath.dirname("/a/b"))
w = PureWindowsPath(r"C:\Users\Ada\file.TXT")
print(w.drive, w.name, w.suffix, w.parent, w.as_posix(), PureWindowsPath("c:/A") == PureWindowsPath("C:\\a"))
print(PurePosixPath("/a/b").joinpath("c", "d"), str(PurePosixPath("rel")), PurePosixPath("x.py").full_match("*.py"))
