#!/usr/bin/env bash
# Creates .venv with the training recipe's pinned packages (template-repo/model/requirements.txt)
# from PyPI. Idempotent: skipped while .venv's stamp matches the requirements' hash.
set -euo pipefail
cd "$(dirname "$0")/.."

req=template-repo/model/requirements.txt
stamp=.venv/.peakcast-requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "setup-python: needs Python >= 3.10")'
echo "setup-python: creating .venv from $req" >&2
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -r "$req" >&2
echo "$want" > "$stamp"
