#!/usr/bin/env python3
"""Train the Peakcast peak forecaster: XGBoost P10/P50/P90 models exported to ONNX.

Features are never computed here: `peakcast features` writes the matrix (header f0..fN,y, plus
<matrix>.json describing it) with the same code the action serves with.

  train:   train.py --matrix A.csv [--matrix B.csv ...] [--holdout C.csv ...] [--info info.json] --out DIR
  predict: train.py --predict MATRIX.csv --model DIR --out PRED.csv   (xgboost's own predictions,
           for the TypeScript/ONNX parity test; needs the .ubj boosters `train --boosters` writes)
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnxmltools
import xgboost as xgb
from onnxmltools.convert.common.data_types import FloatTensorType

# Output name -> quantile trained. The band is trained wider than 10/90 % because training rows
# exclude anomalous hours while real weeks do not: 0.05/0.95 on clean rows gave about the nominal
# coverage on held-out weeks (see README.md).
QUANTILES = {"p10": 0.05, "p50": 0.5, "p90": 0.95}
SEED = 20240601
# One thread: histogram sums are added in one order, so the same matrix gives the same trees.
PARAMS = dict(
    n_estimators=500,
    max_depth=6,
    learning_rate=0.05,
    subsample=0.8,
    colsample_bytree=0.8,
    min_child_weight=20,
    tree_method="hist",
    n_jobs=1,
    random_state=SEED,
)
ONNX_OPSET = 15
# The newest share of the training rows (they are in origin order) is held back once to calibrate
# the served forecast: how far to trust the model over the seasonal mean, and how wide the band is.
VALIDATION_SHARE = 0.2
# Shrinkage candidates: P50 = seasonal mean + alpha * model correction (alpha 0 = the seasonal mean).
ALPHAS = [round(0.1 * i, 1) for i in range(11)]
# Hourly coverage the calibrated band aims at on validation rows. Wider than 10/90 % because those
# rows leave out anomalous hours (about 5 % of the training series), which real weeks contain.
P90_TARGET = 0.93
P10_TARGET = 0.07


def read_matrix(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    if header[-1] != "y" or any(h != f"f{i}" for i, h in enumerate(header[:-1])):
        sys.exit(f"{path}: header must be f0..fN,y (written by `peakcast features`), got {header[:3]}...")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    description_path = path + ".json"
    description = json.load(open(description_path)) if os.path.exists(description_path) else None
    return data[:, :-1].astype(np.float32), data[:, -1], description


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def model_digest(files, calibration):
    # same as modelDigest() in src/forecast/onnx.ts
    lines = "".join(f"{name} {files[name]}\n" for name in sorted(files))
    c = calibration
    lines += f"calibration {c['alpha']:.4f} {c['p10Scale']:.4f} {c['p90Scale']:.4f}\n"
    return hashlib.sha256(lines.encode()).hexdigest()


def regressor(quantile):
    if quantile == 0.5:
        # absolute error: the P50 is a median, so a spike that slipped past anomaly detection
        # pulls it less than a mean
        return xgb.XGBRegressor(objective="reg:absoluteerror", **PARAMS)
    return xgb.XGBRegressor(objective="reg:quantileerror", quantile_alpha=quantile, **PARAMS)


def evaluate(models, X, y):
    p = {q: m.predict(X) for q, m in models.items()}
    return {
        "maeRatio": round(float(np.mean(np.abs(p["p50"] - y))), 4),
        "p10Coverage": round(float(np.mean(y < np.minimum(p["p10"], p["p50"]))), 4),
        "p90Coverage": round(float(np.mean(y <= np.maximum(p["p90"], p["p50"]))), 4),
        "rows": int(len(y)),
    }


def fit_all(X, y):
    return {name: regressor(q).fit(X, y) for name, q in QUANTILES.items()}


def origin_groups(horizon):
    """Row indices per forecast origin: rows are written origin by origin, horizon 0..167 rising."""
    starts = np.flatnonzero(np.r_[True, horizon[1:] <= horizon[:-1]])
    return np.split(np.arange(len(horizon)), starts[1:])


def calibrate(models, X, y, names):
    """Fitted on validation rows the models did not train on.

    alpha: the week's peak is what the workload is sized from, so alpha minimises the validation
    error of each origin's predicted weekly peak (in level units; the level cancels in the ratio).
    One-standard-error rule: the smallest alpha within one standard error of the best, because the
    default model serves services unlike its training data, where the seasonal mean is the safer
    bet and validation on the training series cannot show that.
    Band: split-conformal scales of the quantile models' distances from their P50 that reach the
    target coverage around the shrunk P50."""
    p = {name: m.predict(X).astype(np.float64) for name, m in models.items()}
    anchor = X[:, names.index("seasonal_mean_4w")].astype(np.float64)
    actual = anchor + y
    groups = origin_groups(X[:, names.index("horizon")])

    def peak_errors(alpha):
        forecast = anchor + alpha * p["p50"]
        return np.array([abs(forecast[g].max() - actual[g].max()) / max(actual[g].max(), 1e-9) for g in groups])

    errors = {a: peak_errors(a) for a in ALPHAS}
    best = min(ALPHAS, key=lambda a: (float(errors[a].mean()), a))
    bound = errors[best].mean() + errors[best].std(ddof=1) / np.sqrt(len(groups))
    alpha = min(a for a in ALPHAS if errors[a].mean() <= bound)

    mid = alpha * p["p50"]
    up = np.maximum(p["p90"] - p["p50"], 1e-6)
    down = np.maximum(p["p50"] - p["p10"], 1e-6)
    # y <= mid + s * up on P90_TARGET of the rows: s is that quantile of (y - mid) / up
    p90_scale = max(0.0, float(np.quantile((y - mid) / up, P90_TARGET)))
    p10_scale = max(0.0, float(np.quantile((mid - y) / down, 1 - P10_TARGET)))
    return {
        "alpha": alpha,
        "p10Scale": round(p10_scale, 4),
        "p90Scale": round(p90_scale, 4),
        "validationOrigins": len(groups),
        "validationPeakError": {f"{a:.1f}": round(float(errors[a].mean()), 4) for a in ALPHAS},
    }


def train(args):
    parts = [read_matrix(p) for p in args.matrix]
    descriptions = [d for _, _, d in parts if d is not None]
    if len(descriptions) != len(parts):
        sys.exit("every matrix needs its <matrix>.json from `peakcast features`")
    versions = {(d["featureVersion"], tuple(d["featureNames"])) for d in descriptions}
    if len(versions) != 1:
        sys.exit(f"matrices come from different feature versions: {sorted(v[0] for v in versions)}")
    X = np.vstack([x for x, _, _ in parts])
    y = np.concatenate([t for _, t, _ in parts])
    width = X.shape[1]
    os.makedirs(args.out, exist_ok=True)

    # validation = the newest rows of the last matrix, from a whole origin on
    names = list(descriptions[0]["featureNames"])
    last = len(y) - len(parts[-1][1])
    cut = last + int(len(parts[-1][1]) * (1 - VALIDATION_SHARE))
    while cut < len(y) and X[cut, names.index("horizon")] > X[cut - 1, names.index("horizon")]:
        cut += 1
    calibration = calibrate(fit_all(X[:cut], y[:cut]), X[cut:], y[cut:], names)

    models, files = fit_all(X, y), {}
    for name, model in models.items():
        onx = onnxmltools.convert_xgboost(
            model, initial_types=[("input", FloatTensorType([None, width]))], target_opset=ONNX_OPSET
        )
        # the converter names the graph with a random UUID: a fixed name makes the bytes depend on the trees only
        onx.graph.name = f"peakcast_{name}"
        onx.doc_string = ""
        path = os.path.join(args.out, f"{name}.onnx")
        with open(path, "wb") as f:
            f.write(onx.SerializeToString(deterministic=True))
        files[f"{name}.onnx"] = sha256_file(path)
        if args.boosters:
            # xgboost's own format, for --predict (parity with onnxruntime); not needed to serve
            model.get_booster().save_model(os.path.join(args.out, f"{name}.ubj"))

    metrics = {"train": evaluate(models, X, y)}
    for path in args.holdout or []:
        hx, hy, _ = read_matrix(path)
        metrics[os.path.basename(path)] = evaluate(models, hx, hy)

    info = json.load(open(args.info)) if args.info else {}
    version, names = next(iter(versions))
    meta = {
        "id": f"xgb-peak@sha256:{model_digest(files, calibration)[:12]}",
        "featureVersion": version,
        "featureNames": list(names),
        "horizon": int(descriptions[0]["horizon"]),
        "files": files,
        "intervals": "P10/P90 from separate XGBoost reg:quantileerror models, scaled around the shrunk P50 by calibration.p10Scale/p90Scale",
        "calibration": calibration,
        "quantiles": {name: q for name, q in QUANTILES.items()},
        "target": "value / level - seasonal_mean_4w, level = mean of the 168 h before the origin (features.ts toTarget)",
        "trainingWindow": [
            {k: d[k] for k in ("source", "from", "to", "hours", "rows", "originsEvery", "anomalousHours")}
            for d in descriptions
        ],
        "trainedOn": info.get("trainedOn", []),
        "heldOut": info.get("heldOut", []),
        "training": {
            "xgboost": xgb.__version__,
            "onnxmltools": onnxmltools.__version__,
            "opset": ONNX_OPSET,
            "params": {k: v for k, v in sorted(PARAMS.items())},
        },
        "metrics": metrics,
    }
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"{meta['id']}: {len(y)} rows x {width} features -> {args.out}")


def predict(args):
    X, _, _ = read_matrix(args.predict)
    cols = {}
    for name in QUANTILES:
        booster = xgb.Booster()
        booster.load_model(os.path.join(args.model, f"{name}.ubj"))
        cols[name] = booster.predict(xgb.DMatrix(X))
    with open(args.out, "w") as f:
        f.write("p10,p50,p90\n")
        for i in range(X.shape[0]):
            f.write(",".join(f"{float(cols[n][i]):.9g}" for n in QUANTILES) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--matrix", action="append", help="training matrix CSV (repeatable)")
    ap.add_argument("--holdout", action="append", help="matrix CSV scored into model.json metrics (repeatable)")
    ap.add_argument("--info", help="JSON with trainedOn / heldOut descriptions copied into model.json")
    ap.add_argument("--boosters", action="store_true", help="also save xgboost's own <q>.ubj models (for --predict)")
    ap.add_argument("--predict", help="matrix CSV to predict with xgboost (parity check)")
    ap.add_argument("--model", help="model directory for --predict")
    ap.add_argument("--out", required=True, help="model directory (train) or prediction CSV (predict)")
    args = ap.parse_args()
    if args.predict:
        if not args.model:
            ap.error("--predict needs --model DIR")
        predict(args)
    elif args.matrix:
        train(args)
    else:
        ap.error("give --matrix (train) or --predict")


if __name__ == "__main__":
    main()
