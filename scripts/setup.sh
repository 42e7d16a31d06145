#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent (each part is skipped when already current):
#   npm packages (incl. Node 24 from the `node` package), JMeter 5.6.3 from Maven Central, actionlint,
#   and with --python the venv of the training recipe (template-repo/model/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.peakcast-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  # onnxruntime-node's postinstall would download CUDA extras; the CPU binaries ship in the package.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >&2
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
