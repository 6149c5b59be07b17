#!/bin/sh
# Fetches the interpreter engines from their registries and checks them
# against the digests recorded in ENGINES.md. Run from the repository root:
#   sh plugins/engines/fetch.sh
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent @micropython/micropython-webassembly-pyscript@1.27.0 >/dev/null && tar xzf micropython-micropython-webassembly-pyscript-1.27.0.tgz)
cp "$tmp/package/micropython.wasm" "$dir/micropython.wasm"

qjsdir=$(go mod download -json github.com/fastschema/qjs@v0.0.6 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp "$qjsdir/qjs.wasm" "$dir/quickjs-ng.wasm"
chmod 0644 "$dir"/*.wasm

cd "$dir"
sha256sum -c <<SUMS
06338c955b03c5700aa0069015d3e392d76836ef8e2ce25bedbe59b88ccd373c  micropython.wasm
88fcbeead33cca3ec8394feb0fb3eec8047ec9ac5062aba7a63799cee11989b7  quickjs-ng.wasm
SUMS
