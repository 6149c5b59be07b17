#!/bin/sh
# Builds Enact's CPython engine for wasm32-wasi from Debian source packages:
#   plugins/engines/cpython.wasm       the interpreter, a WASI reactor (enact_python.c)
#   plugins/engines/python-stdlib.zip  the standard library (.pyc only) and the tz database
# Run from the repository root: `make cpython` (about 15 minutes on 2 cores).
#
# Inputs, each checked against the sha256 below:
#   python3.13_3.13.5.orig.tar.xz   Debian source package python3.13 3.13.5-2+deb13u5 (trixie)
#   zlib_1.3.dfsg+really1.3.1.orig.tar.gz   Debian source package zlib 1:1.3.dfsg+really1.3.1-1+deb13u1 (trixie)
#   tzdata_2026f-0+deb12u1_all.deb  Debian package tzdata (bookworm-updates)
# They are taken from $ENACT_CPYTHON_SOURCES when there, else fetched with apt
# (which needs deb-src entries, trixie's among them: see BUILD.md).
# Toolchain (Debian): clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 wasi-libc build-essential.
set -eu

PY_VERSION=3.13.5
PY_DEB=3.13.5-2+deb13u5
PY_TARBALL=python3.13_3.13.5.orig.tar.xz
PY_SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
ZLIB_DEB=1:1.3.dfsg+really1.3.1-1+deb13u1
ZLIB_TARBALL=zlib_1.3.dfsg+really1.3.1.orig.tar.gz
ZLIB_SHA256=60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb
TZ_DEB=2026f-0+deb12u1
TZ_PACKAGE=tzdata_2026f-0+deb12u1_all.deb
TZ_SHA256=3254eb870c8a949518214805aee5e4276af7699988ea8b9a3a583cd0f1eab31c

repo=$(cd "$(dirname "$0")/../../.." && pwd)
here=$repo/plugins/engines/cpython
out=${ENACT_CPYTHON_OUT:-$repo/plugins/engines}
# A fixed build directory: paths end up in nothing that is shipped, but a
# fixed place keeps two builds as alike as possible.
work=${ENACT_CPYTHON_WORK:-/tmp/enact-cpython-build}
src=${ENACT_CPYTHON_SOURCES:-$work/sources}
jobs=${JOBS:-$(nproc)}
export SOURCE_DATE_EPOCH=1749513600 # 2025-06-10, the release date of CPython 3.13.5
export LC_ALL=C TZ=UTC

mkdir -p "$src"
fetch() { # fetch FILE SHA256 COMMAND...
  f=$1 sum=$2; shift 2
  if [ ! -f "$src/$f" ]; then (cd "$src" && "$@"); fi
  if [ -n "$sum" ]; then echo "$sum  $src/$f" | sha256sum -c - >/dev/null || { echo "build.sh: $f does not have sha256 $sum" >&2; exit 1; }; fi
}
fetch "$PY_TARBALL" "$PY_SHA256" apt-get source --download-only "python3.13=$PY_DEB"
fetch "$ZLIB_TARBALL" "$ZLIB_SHA256" sh -c "apt-get source --download-only 'zlib=$ZLIB_DEB' || test -f '$ZLIB_TARBALL'"
fetch "$TZ_PACKAGE" "$TZ_SHA256" apt-get download "tzdata=$TZ_DEB"

rm -rf "$work/build"
mkdir -p "$work/build"
cd "$work/build"
tar xf "$src/$PY_TARBALL"
tar xzf "$src/$ZLIB_TARBALL"
pysrc=$work/build/Python-$PY_VERSION
zsrc=$(ls -d "$work"/build/zlib-*)

# A sysroot holding only wasi-libc: --sysroot=/usr would let glibc's headers in.
sysroot=$work/build/sysroot
mkdir -p "$sysroot/include" "$sysroot/lib"
ln -s /usr/include/wasm32-wasi "$sysroot/include/wasm32-wasi"
ln -s /usr/lib/wasm32-wasi "$sysroot/lib/wasm32-wasi"
prefixmap="-ffile-prefix-map=$work/build=/build"
CC_WASI="clang-19 --target=wasm32-wasi --sysroot=$sysroot"

echo "== zlib for wasm32-wasi"
zprefix=$work/build/zlib-wasi
(cd "$zsrc" && CHOST=wasm32-wasi CC="$CC_WASI" CFLAGS="-O2 $prefixmap" AR=llvm-ar-19 RANLIB=llvm-ranlib-19 \
  ./configure --static --prefix="$zprefix" >/dev/null && make -j"$jobs" libz.a >/dev/null && make install >/dev/null)

echo "== CPython $PY_VERSION for the build machine"
mkdir -p native
(cd native && "$pysrc/configure" --prefix="$work/build/native-prefix" >../native-configure.log 2>&1 && make -j"$jobs" >../native-make.log 2>&1)
buildpy=$work/build/native/python

echo "== CPython $PY_VERSION for wasm32-wasi"
mkdir -p wasi
# clock_nanosleep: CPython would sleep to an absolute deadline, which WASI
# hosts (wazero among them) refuse; without it, time.sleep uses a relative
# wait. Both variables are needed: the first alone finds a stub in -lrt.
(cd wasi && CONFIG_SITE="$pysrc/Tools/wasm/config.site-wasm32-wasi" \
  CC="$CC_WASI" AR=llvm-ar-19 RANLIB=llvm-ranlib-19 \
  CFLAGS="$prefixmap" \
  PKG_CONFIG_PATH="$zprefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$zprefix/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR= \
  ZLIB_CFLAGS="-I$zprefix/include" ZLIB_LIBS="-L$zprefix/lib -lz" \
  ac_cv_func_clock_nanosleep=no ac_cv_lib_rt_clock_nanosleep=no \
  "$pysrc/configure" --host=wasm32-unknown-wasi --build="$("$pysrc/config.guess")" \
    --with-build-python="$buildpy" --prefix=/usr/local --with-tzpath=/usr/local/share/zoneinfo \
    --disable-test-modules --without-ensurepip >../wasi-configure.log 2>&1)
# SIZEOF_PTHREAD_T: wasi-libc has no pthread.h, which 3.13's configure needs to size it.
(cd wasi && make -j"$jobs" CFLAGS_NODIST="-DSIZEOF_PTHREAD_T=4" python.wasm pybuilddir.txt >../wasi-make.log 2>&1)

echo "== the reactor"
# The link line of python.wasm with enact_python.c in place of Programs/python.c.
cat > link.mk <<'MK'
enact-link-vars:
	@echo 'CFLAGS=$(PY_CORE_CFLAGS)'
	@echo 'LDFLAGS=$(PY_CORE_LDFLAGS) $(LINKFORSHARED)'
	@echo 'LIBS=$(BLDLIBRARY) $(LIBS) $(MODLIBS) $(SYSLIBS)'
MK
vars=$(cd wasi && make --no-print-directory -f Makefile -f ../link.mk enact-link-vars)
cflags=$(echo "$vars" | sed -n 's/^CFLAGS=//p')
ldflags=$(echo "$vars" | sed -n 's/^LDFLAGS=//p')
libs=$(echo "$vars" | sed -n 's/^LIBS=//p')
(cd wasi && eval "$CC_WASI $cflags -DSIZEOF_PTHREAD_T=4 -c '$here/enact_python.c' -o enact_python.o" &&
  eval "$CC_WASI -mexec-model=reactor $ldflags -Wl,--strip-debug -Wl,--export=malloc -Wl,--export=free -o enact-cpython.wasm enact_python.o $libs")
cp wasi/enact-cpython.wasm "$out/cpython.wasm"

echo "== the standard library archive"
"$buildpy" -I "$here/stdlib.py" --lib "$pysrc/Lib" --sysconfigdata "$(cat wasi/pybuilddir.txt | sed "s|^|$work/build/wasi/|")" \
  --tzdeb "$src/$TZ_PACKAGE" --out "$out/python-stdlib.zip"

cd "$out"
sha256sum cpython.wasm python-stdlib.zip
