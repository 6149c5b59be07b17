#!/bin/sh
# Regenerates the expected outputs of the JavaScript compatibility suite
# (TestJavaScriptCompatibility) by running each program under node, as the
# body of an async function (as the sandbox runs a task), standard output
# and error together. Run from this directory: ./generate.sh
set -e
# A program that fails under node keeps what it printed.
node --version > NODE_VERSION
for f in *.js; do
  { printf '(async () => {\n'; cat "$f"; printf '\n})().catch((e) => { console.log("uncaught", e); });\n'; } > /tmp/enact-jscompat.js
  node /tmp/enact-jscompat.js > "${f%.js}.want" 2>&1 || true
done
rm -f /tmp/enact-jscompat.js
