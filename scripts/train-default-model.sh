#!/usr/bin/env bash
# Regenerates models/default (the model shipped with the action) from license-clean real data:
#   trained on: vsaveris application-server cluster, hourly requests (MIT), 2015-03-26 → 2019-04-01
#               (timestamps are Central European wall-clock time: Europe/Berlin)
#   never seen: vsaveris 2019-04-01 → 2020-04-03 (hold-out year) and NAB realKnownCause/nyc_taxi (MIT)
# train.py calibrates the served forecast (shrinkage towards the seasonal mean, conformal band) on
# the newest 20 % of that training window. Then scores the model against the 4-week seasonal mean
# on the unseen data (backtest.json).
#   scripts/train-default-model.sh           retrain into models/default
#   scripts/train-default-model.sh --check   retrain into a temp dir and compare with models/default
# Training is single-threaded with a fixed seed: the same data gives byte-identical ONNX files.
set -euo pipefail
cd "$(dirname "$0")/.."

data=../shared/data
vsaveris=$data/app-server-traffic-vsaveris/traffic_stats_HOURLY_CHs.csv
hold_out_from=2019-04-01T00:00:00Z
work=.cache/train-default
out=models/default
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

bash scripts/setup-python.sh
mkdir -p "$work"
npx tsx scripts/build-training-matrix.ts --data "$vsaveris" --timezone Europe/Berlin \
  --before "$hold_out_from" --out "$work/vsaveris.csv"

cat > "$work/info.json" <<JSON
{
  "trainedOn": [
    {
      "dataset": "app-server-traffic-vsaveris/traffic_stats_HOURLY_CHs.csv",
      "source": "https://github.com/vsaveris/application-server-traffic-forecasting @ fe461f80deb4",
      "license": "MIT",
      "window": "2015-03-26 → $hold_out_from (timestamps read as Europe/Berlin)"
    }
  ],
  "heldOut": [
    {
      "dataset": "app-server-traffic-vsaveris/traffic_stats_HOURLY_CHs.csv",
      "license": "MIT",
      "window": "$hold_out_from → 2020-04-03"
    },
    {
      "dataset": "nab/realKnownCause/nyc_taxi.csv",
      "source": "https://github.com/numenta/NAB @ ea702d75cc22",
      "license": "MIT",
      "window": "2014-07-01 → 2015-01-31 (all of it)"
    }
  ]
}
JSON

.venv/bin/python template-repo/model/train.py --matrix "$work/vsaveris.csv" --info "$work/info.json" --out "$out"

if [ "${1:-}" = "--check" ]; then
  for f in p10.onnx p50.onnx p90.onnx model.json; do
    cmp "$out/$f" "models/default/$f" || { echo "train-default-model: $f differs from models/default" >&2; exit 1; }
  done
  echo "train-default-model: retrained model is byte-identical to models/default" >&2
else
  npx tsx scripts/evaluate-default-model.ts --model "$out" --json "$out/backtest.json"
fi
