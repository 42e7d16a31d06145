#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent (each part is skipped when already current):
#   npm packages (incl. Node 24 from the `node` package), JMeter 5.6.3 from Maven Central, actionlint,
#   and with --python the venv of the training recipe (template-repo/model/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.peakcast-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing npm packages from package-lock.json" >&2
  # onnxruntime-node's postinstall would download CUDA extras; the CPU binaries ship in the package.
  # `npm install --no-save` installs the locked versions and never rewrites the lock. Not `npm ci`:
  # with the registry this project builds against, the lock has no entries for other platforms'
  # optional binaries (@rollup/rollup-android-*, …) and `npm ci` refuses it as "out of sync".
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --no-audit --no-fund >&2
  echo "$want" > "$stamp"
fi

bash scripts/install-jmeter.sh >&2

# actionlint checks every workflow we ship (test/workflows); built from the Go module proxy.
if [ ! -x .cache/bin/actionlint ]; then
  echo "setup: building actionlint" >&2
  GOBIN="$PWD/.cache/bin" go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 >&2
fi

# The test-only parts: the training recipe's venv (TS/Python parity) and a real Prometheus server.
if [ "${1:-}" = "--python" ]; then
  bash scripts/setup-python.sh >&2
  bash scripts/install-prometheus.sh >&2
fi
