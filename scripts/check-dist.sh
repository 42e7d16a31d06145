#!/usr/bin/env bash
# Fails when the committed bundle in dist/ is not what the sources build to.
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(mktemp -d)
cp -a dist/. "$before/"
npm run --silent build >/dev/null
if ! diff -r -q "$before" dist >/dev/null; then
  diff -r -q "$before" dist | head -20
  echo "dist/ is stale: run 'npm run build' and commit dist/" >&2
  rm -rf "$before"
  exit 1
fi
rm -rf "$before"
echo "dist/ is current"
