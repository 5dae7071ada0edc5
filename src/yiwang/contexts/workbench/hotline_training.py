"""Training and cross-validation of the hotline category model (`hotline_classifier.py`).

Two recipes, both reproducible (fixed seeds, deterministic solvers):
- `baseline`: rjieba word TF-IDF + logistic regression, the plain reference of the issue;
- `full`: rjieba word TF-IDF and character 1-3-gram TF-IDF side by side, scored by the
  average of a logistic regression and a linear SVM (each scaled to unit spread), then one
  temperature fitted on held-out scores so that the confidences are calibrated.
Every fitted piece is linear over the same features, so the result is one weight matrix.
scikit-learn is needed here only; predicting needs numpy and rjieba.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from yiwang.contexts.workbench.hotline_classifier import char_ngrams, normalise, word_tokens

SEED = 17
# The labelled messages live in the shared data folder beside the repository (../shared/data/).
DEFAULT_DATA = (
    Path(__file__).resolve().parents[4].parent / "shared" / "data" / "hotline_messages_labelled_train.jsonl"
)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    label: str


@dataclass(frozen=True)
class Recipe:
    name: str
    blocks: tuple[dict[str, Any], ...]  # {"kind", "low", "high", "min_df", "max_features"}
    models: tuple[tuple[str, float, float], ...]  # (kind "lr"/"svm", C, weight)


RECIPES = {
    "baseline": Recipe(
        "baseline",
        ({"kind": "word", "low": 1, "high": 1, "min_df": 1, "max_features": None},),
        (("lr", 10.0, 1.0),),
    ),
    "full": Recipe(
        "full",
        (
            {"kind": "word", "low": 1, "high": 1, "min_df": 2, "max_features": None},
            {"kind": "char", "low": 1, "high": 3, "min_df": 3, "max_features": 120_000},
        ),
        (("lr", 20.0, 1.0), ("svm", 0.5, 1.0)),
    ),
}


def read_jsonl(path: Path) -> list[Message]:
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                out.append(Message(row.get("subject") or "", row.get("body") or "", row["label"]))
    return out


def _analyser(spec: dict[str, Any]) -> Callable[[str], list[str]]:
    if spec["kind"] == "word":
        return word_tokens
    low, high = spec["low"], spec["high"]
    return lambda text: char_ngrams(text, low, high)


@dataclass
class Fitted:
    recipe: Recipe
    classes: list[str]
    vocabularies: list[list[str]]
    idfs: list[np.ndarray]
    weights: np.ndarray
    intercept: np.ndarray
    vectorisers: list[Any]
    temperature: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


def _vectorisers(recipe: Recipe) -> list[Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return [
        TfidfVectorizer(
            analyzer=_analyser(spec),
            sublinear_tf=True,
            min_df=spec["min_df"],
            max_features=spec["max_features"],
            dtype=np.float64,
        )
        for spec in recipe.blocks
    ]


def _linear(kind: str, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if kind == "lr":
        return LogisticRegression(C=c, max_iter=2000, random_state=SEED)
    return LinearSVC(C=c, random_state=SEED, max_iter=5000)


def _fit_linear(recipe: Recipe, x: Any, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted average of the recipe's linear models, each scaled so its training scores have
    unit standard deviation (LR's and SVM's margins live on different scales)."""
    weights = np.zeros((x.shape[1], n_classes))
    intercept = np.zeros(n_classes)
    total = sum(w for _, _, w in recipe.models)
    for kind, c, w in recipe.models:
        est = _linear(kind, c).fit(x, y)
        coef, b = np.asarray(est.coef_, dtype=np.float64), np.asarray(est.intercept_, dtype=np.float64)
        spread = float(np.std(x @ coef.T + b)) or 1.0
        weights += (w / total / spread) * coef.T
        intercept += (w / total / spread) * b
    return weights, intercept


def _features(vectorisers: Sequence[Any], texts: list[str], fit: bool) -> Any:
    from scipy.sparse import hstack

    parts = [v.fit_transform(texts) if fit else v.transform(texts) for v in vectorisers]
    return hstack(parts).tocsr()


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log loss of softmax(T * scores) on held-out scores."""
    best_t, best_loss = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.05), np.log(50.0), 120)):
        z = scores * t
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -float(logp[np.arange(len(y)), y].mean())
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t


def fit(messages: Sequence[Message], recipe: Recipe, calibrate: bool = True) -> Fitted:
    """Fit the recipe on all messages; the temperature comes from an inner 3-fold split."""
    texts = [normalise(m.subject, m.body) for m in messages]
    classes = sorted({m.label for m in messages})
    y = np.array([classes.index(m.label) for m in messages])
    vectorisers = _vectorisers(recipe)
    x = _features(vectorisers, texts, fit=True)
    weights, intercept = _fit_linear(recipe, x, y, len(classes))
    fitted = Fitted(
        recipe,
        classes,
        [list(v.get_feature_names_out()) for v in vectorisers],
        [np.asarray(v.idf_) for v in vectorisers],
        weights,
        intercept,
        vectorisers,
    )
    if calibrate:
        held = _held_out_scores(messages, recipe, folds=3)
        fitted.temperature = _fit_temperature(held, y)
    return fitted


def scores_of(fitted: Fitted, messages: Sequence[Message]) -> np.ndarray:
    """Linear scores of messages through the fitted scikit-learn vectorisers."""
    texts = [normalise(m.subject, m.body) for m in messages]
    return np.asarray(_features(fitted.vectorisers, texts, fit=False) @ fitted.weights) + fitted.intercept


def _folds(y: np.ndarray, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y))


def _held_out_scores(messages: Sequence[Message], recipe: Recipe, folds: int) -> np.ndarray:
    classes = sorted({m.label for m in messages})
    y = np.array([classes.index(m.label) for m in messages])
    out = np.zeros((len(messages), len(classes)))
    for train, test in _folds(y, folds):
        part = fit([messages[i] for i in train], recipe, calibrate=False)
        if part.classes != classes:
            raise ValueError("a fold lacks a class")
        out[test] = scores_of(part, [messages[i] for i in test])
    return out


def cross_validate(messages: Sequence[Message], recipe: Recipe, folds: int = 5) -> dict[str, Any]:
    """Stratified k-fold: every fold's features and models fitted on its training part only."""
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    classes = sorted({m.label for m in messages})
    y = np.array([classes.index(m.label) for m in messages])
    started = time.perf_counter()
    scores = _held_out_scores(messages, recipe, folds)
    predicted = scores.argmax(axis=1)
    per_fold = []
    for _, test in _folds(y, folds):
        per_fold.append(
            {
                "accuracy": float(accuracy_score(y[test], predicted[test])),
                "macro_f1": float(f1_score(y[test], predicted[test], average="macro")),
            }
        )
    return {
        "recipe": recipe.name,
        "accuracy": float(np.median([f["accuracy"] for f in per_fold])),
        "macro_f1": float(np.median([f["macro_f1"] for f in per_fold])),
        "pooled_accuracy": float(accuracy_score(y, predicted)),
        "pooled_macro_f1": float(f1_score(y, predicted, average="macro")),
        "folds": per_fold,
        "report": classification_report(y, predicted, target_names=classes, digits=3, output_dict=True),
        "report_text": classification_report(y, predicted, target_names=classes, digits=3),
        "seconds": time.perf_counter() - started,
    }


def save(fitted: Fitted, path: Path) -> None:
    """The artifact `hotline_classifier.Model` reads: vocabularies, idf, weights (float16 is
    plenty for a ranking; the sums are taken in float32), intercept, classes, temperature."""
    meta = {
        "recipe": fitted.recipe.name,
        "temperature": fitted.temperature,
        "blocks": [{"kind": s["kind"], "low": s["low"], "high": s["high"]} for s in fitted.recipe.blocks],
        **fitted.extra,
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.array(json.dumps(meta, ensure_ascii=False)),
        "classes": np.array(fitted.classes),
        "weights": fitted.weights.astype(np.float16),
        "intercept": fitted.intercept.astype(np.float64),
    }
    for i, (vocab, idf) in enumerate(zip(fitted.vocabularies, fitted.idfs, strict=True)):
        arrays[f"vocab{i}"] = np.array(vocab)
        arrays[f"idf{i}"] = idf.astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)
