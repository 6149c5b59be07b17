#!/bin/sh
# Fetches QuickJS-NG from its registry and checks every engine file against
# the digests recorded in ENGINES.md. The CPython engine is built here from
# Debian sources (`make cpython`, plugins/engines/cpython/build.sh), not
# fetched; this only checks it. Run from the repository root:
#   sh plugins/engines/fetch.sh
set -eu
dir=$(cd "$(dirname "$0")" && pwd)

qjsdir=$(go mod download -json github.com/fastschema/qjs@v0.0.6 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp "$qjsdir/qjs.wasm" "$dir/quickjs-ng.wasm"
chmod 0644 "$dir/quickjs-ng.wasm"

cd "$dir"
sha256sum -c <<SUMS
88fcbeead33cca3ec8394feb0fb3eec8047ec9ac5062aba7a63799cee11989b7  quickjs-ng.wasm
ced079c9784be4e87ac45620e227bfc48f6d8af5782931ccc3a0eeeeb43838d6  cpython.wasm
444b2bed05e0978b62e937486e9e4d0cd41c2c189594937d59b1698184916915  python-stdlib.zip
SUMS
