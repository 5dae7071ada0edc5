"""The hotline category model (`yiwang.contexts.workbench.hotline_classifier`) against the plain
rjieba TF-IDF + logistic regression baseline, in the same run on the same folds.

1. Quality: stratified 5-fold cross-validation (seed 17) of both recipes on the labelled
   messages, every fold's vocabulary, idf and models fitted on its training part only (the
   shipped model's own temperature comes from an inner split of its training part). Accuracy
   and macro-F1 per fold, their medians, and a per-class report of the pooled held-out answers.
2. Speed: both recipes fitted on all messages and saved as the shipped artifact is; then
   `Model.suggest` on every message, one call at a time on one thread, --rounds alternating
   rounds (baseline, model, baseline, ...); predictions per second, medians, and the ratio.

    .venv/bin/python bench/hotline_classifier_bench.py                   # ~15 min on 2 busy cores
    .venv/bin/python bench/hotline_classifier_bench.py --rounds 5 --data ../shared/data/hotline_messages_labelled_train.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import RESULTS
from yiwang.contexts.workbench import hotline_classifier as hc
from yiwang.contexts.workbench import hotline_training as ht


def _speed(model: hc.Model, messages: list[ht.Message]) -> float:
    started = time.perf_counter()
    for m in messages:
        model.suggest(m.subject, m.body)
    return len(messages) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ht.DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    messages = ht.read_jsonl(args.data)
    out: dict[str, object] = {"data": str(args.data), "messages": len(messages)}

    quality = {}
    for name in ("baseline", "full"):
        result = ht.cross_validate(messages, ht.RECIPES[name], folds=args.folds)
        quality[name] = result
        folds = ", ".join(f"{f['accuracy']:.4f}/{f['macro_f1']:.4f}" for f in result["folds"])
        print(
            f"{name:9s} accuracy {result['accuracy']:.4f}  macro-F1 {result['macro_f1']:.4f}  (median of "
            f"{args.folds} folds; pooled {result['pooled_accuracy']:.4f}/{result['pooled_macro_f1']:.4f}; "
            f"folds acc/F1 {folds}; {result['seconds']:.0f} s)",
            flush=True,
        )
    for name in ("baseline", "full"):
        print(f"\nper class, {name} (pooled held-out answers of the {args.folds} folds):")
        print(quality[name]["report_text"], flush=True)

    models = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("baseline", "full"):
            path = Path(tmp) / f"{name}.npz"
            ht.save(ht.fit(messages, ht.RECIPES[name]), path)
            models[name] = hc.Model(path)
            out[f"{name}_artifact_bytes"] = path.stat().st_size
    speeds: dict[str, list[float]] = {"baseline": [], "full": []}
    for _ in range(args.rounds):
        for name in ("baseline", "full"):
            speeds[name].append(_speed(models[name], messages))
    ratios = [f / b for f, b in zip(speeds["full"], speeds["baseline"], strict=True)]
    median = {k: statistics.median(v) for k, v in speeds.items()}
    print(
        f"\npredictions/s, one thread, median of {args.rounds} alternating rounds over {len(messages)} messages: "
        f"baseline {median['baseline']:.0f} ({min(speeds['baseline']):.0f}-{max(speeds['baseline']):.0f}), "
        f"model {median['full']:.0f} ({min(speeds['full']):.0f}-{max(speeds['full']):.0f}); "
        f"ratio {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}); "
        f"mean latency of the model {1000 / median['full']:.2f} ms"
    )
    out["quality"] = {k: {kk: vv for kk, vv in v.items() if kk != "report_text"} for k, v in quality.items()}
    out["speeds"] = speeds
    RESULTS.mkdir(parents=True, exist_ok=True)
    raw = RESULTS / f"hotline-classifier-{time.strftime('%Y%m%d-%H%M%S')}.json"
    raw.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"raw: {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
