"""Builds the standard library archive of Enact's CPython engine.

Run by build.sh with the native CPython of the same version (the bytecode's
magic number must match the engine's). The archive holds:

  lib/python3.13/**.pyc   every module of Lib/ compiled to legacy-layout
                          .pyc files (no sources, no __pycache__), recorded
                          as living under /usr/local/lib/python3.13
  share/zoneinfo/**       the tz database of Debian's tzdata package

and is mounted read-only at /usr/local inside the sandbox. Tests, GUI
toolkits, the REPL, packaging and documentation tools are left out.
Entries are sorted and carry a fixed time, so the same inputs give the same
bytes.
"""

import argparse
import importlib.util
import io
import os
import py_compile
import subprocess
import sys
import tarfile
import tempfile
import zipfile

# Top-level names of Lib/ left out of the archive.
EXCLUDE = {
    "test", "idlelib", "tkinter", "turtledemo", "turtle.py", "ensurepip", "pydoc_data",
    "venv", "__phello__", "site-packages", "_pyrepl", "lib2to3", "distutils", "unittest/test",
}

STDLIB = "lib/python3.13"
MOUNT = "/usr/local/"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def add(zf, name, data):
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def compiled(path, rel):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "m.pyc")
        py_compile.compile(path, cfile=out, dfile=MOUNT + STDLIB + "/" + rel, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        with open(out, "rb") as f:
            return f.read()


def stdlib_entries(lib, sysconfigdata):
    entries = {}
    for root, dirs, files in os.walk(lib):
        relroot = os.path.relpath(root, lib)
        relroot = "" if relroot == "." else relroot.replace(os.sep, "/")
        dirs[:] = sorted(d for d in dirs if (relroot + "/" + d).lstrip("/") not in EXCLUDE
                         and d != "__pycache__" and not d.startswith("config-"))
        for name in sorted(files):
            rel = (relroot + "/" + name).lstrip("/")
            if rel in EXCLUDE or not name.endswith(".py"):
                continue
            entries[STDLIB + "/" + rel[:-3] + ".pyc"] = compiled(os.path.join(root, name), rel)
    for name in sorted(os.listdir(sysconfigdata)):
        if name.startswith("_sysconfigdata") and name.endswith(".py"):
            entries[STDLIB + "/" + name[:-3] + ".pyc"] = compiled(os.path.join(sysconfigdata, name), name)
    return entries


def tz_entries(deb):
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    entries = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tf:
        members = {m.name.lstrip("./"): m for m in tf.getmembers()}
        prefix = "usr/share/zoneinfo/"
        for name, m in sorted(members.items()):
            if not name.startswith(prefix) or m.isdir():
                continue
            rel = name[len(prefix):]
            if rel.split("/")[0] in ("right", "posix"):
                continue
            # Resolve symbolic and hard links inside the package.
            seen = 0
            while (m.issym() or m.islnk()) and seen < 16:
                target = m.linkname.lstrip("./") if m.islnk() else os.path.normpath(os.path.join(os.path.dirname(m.name.lstrip("./")), m.linkname))
                m = members.get(target)
                seen += 1
                if m is None:
                    break
            if m is None or not m.isfile():
                continue
            entries["share/zoneinfo/" + rel] = tf.extractfile(m).read()
    return entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--sysconfigdata", required=True)
    ap.add_argument("--tzdeb", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if sys.version_info[:2] != (3, 13):
        sys.exit("stdlib.py must run on CPython 3.13, the engine's version")
    entries = stdlib_entries(a.lib, a.sysconfigdata)
    entries.update(tz_entries(a.tzdeb))
    tmp = a.out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(entries):
            add(zf, name, entries[name])
    os.replace(tmp, a.out)
    print(f"stdlib.py: {len(entries)} files, {os.path.getsize(a.out)} bytes")


if __name__ == "__main__":
    main()
