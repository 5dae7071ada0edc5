"""The 12345 hotline's category suggestion (分类建议): first-level classes of the complaint
taxonomy (`complaint_taxonomy.csv`), best first, from a message's subject and body.

The model is linear over TF-IDF features (rjieba words and character n-grams); it is trained by
`yiwang hotline train` (`hotline_training.py`, scikit-learn) and shipped as a small numpy archive
next to this file, `hotline_classifier.npz`. Predicting needs only numpy and rjieba: the archive
holds the vocabularies, the idf weights and one weight matrix, loaded on the first call (thread-safe)
and read only afterwards. Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ARTIFACT = Path(__file__).with_name("hotline_classifier.npz")
MAX_CHARS = 4000  # a longer message is cut: the first few thousand characters decide its topic

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def normalise(subject: str, body: str) -> str:
    """One text for both analysers: NFKC (full-width to half-width), lower case, digits as one
    symbol, runs of blanks as one space. The subject is a summary, so it comes first."""
    text = f"{subject or ''}。{body or ''}"[:MAX_CHARS]
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


def word_tokens(text: str) -> list[str]:
    """rjieba words, blanks and single punctuation marks dropped."""
    import rjieba

    return [w for w in rjieba.cut(text) if w.strip() and not (len(w) == 1 and not w.isalnum())]


def char_ngrams(text: str, low: int = 1, high: int = 3) -> list[str]:
    """Character n-grams of the text with blanks removed (Chinese has none between words)."""
    chars = text.replace(" ", "")
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(chars[i : i + n] for i in range(len(chars) - n + 1))
    return grams


@dataclass(frozen=True)
class _Block:
    """One TF-IDF vectoriser: term → column, idf per column, sublinear tf, l2 norm per block."""

    index: dict[str, int]
    idf: np.ndarray
    offset: int
    kind: str  # "word" or "char"
    low: int
    high: int

    def terms(self, text: str) -> list[str]:
        return word_tokens(text) if self.kind == "word" else char_ngrams(text, self.low, self.high)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        index = self.index
        for term in self.terms(text):
            col = index.get(term)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        if not counts:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts))
        values = tf * self.idf[cols]
        values /= np.linalg.norm(values)
        return cols + self.offset, values


class Model:
    """A loaded artifact: `scores` gives the linear scores, `suggest` the calibrated ranking."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            self.classes: list[str] = [str(c) for c in data["classes"]]
            self.weights = data["weights"].astype(np.float32)  # (features, classes)
            self.intercept = data["intercept"].astype(np.float64)
            self.temperature = float(meta["temperature"])
            self.blocks: list[_Block] = []
            offset = 0
            for i, spec in enumerate(meta["blocks"]):
                vocab = [str(t) for t in data[f"vocab{i}"]]
                idf = data[f"idf{i}"].astype(np.float64)
                self.blocks.append(
                    _Block(
                        {t: j for j, t in enumerate(vocab)},
                        idf,
                        offset,
                        spec["kind"],
                        spec["low"],
                        spec["high"],
                    )
                )
                offset += len(vocab)
        self.meta = meta
        if offset != self.weights.shape[0] or len(self.classes) != self.weights.shape[1]:
            raise ValueError(f"分类模型文件不完整：{path}")

    def scores(self, subject: str, body: str) -> np.ndarray:
        text = normalise(subject, body)
        total = self.intercept.copy()
        for block in self.blocks:
            cols, values = block.features(text)
            if len(cols):
                total += values @ self.weights[cols]
        return total

    def suggest(self, subject: str, body: str) -> list[tuple[str, float]]:
        z = self.scores(subject, body) * self.temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        order = np.argsort(-p, kind="stable")
        return [(self.classes[i], float(p[i])) for i in order]


_lock = threading.Lock()
_model: Model | None = None


def model() -> Model:
    """The shipped model, loaded once on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model(ARTIFACT)
    return _model


def reload(path: Path | None = None) -> Model:
    """Load a (newly trained) artifact in place of the current one."""
    global _model
    loaded = Model(path or ARTIFACT)
    with _lock:
        _model = loaded
    return loaded


def suggest(subject: str, body: str) -> list[tuple[str, float]]:
    """First-level categories for a hotline message, best first, confidences summing to 1."""
    return model().suggest(subject, body)
