"""Words of citizens' messages and how alike two messages are: the pure text rules behind
duplicate detection (same place and topic), similar past cases and hot topics (热点). Text is
cut with rjieba once, when a message is written; comparing is set arithmetic on the words."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import rjieba

STOP = frozenset(
    "我们 你们 他们 自己 什么 怎么 为什么 如何 是否 可以 能否 已经 没有 不是 还是 就是 这个 那个 这些 那些 一个 "
    "一直 目前 现在 问题 情况 希望 请求 要求 反映 咨询 关于 相关 有关 部门 政府 领导 您好 你好 谢谢 感谢 请问 "
    "严重 非常 市民 群众 居民 我们的 进行 处理 解决 尽快 落实 存在 出现 导致 造成 以及 并且 而且 但是 因为 所以 "
    "如果 虽然 还有 多次 每天 很多 一些 时候 这样 那样 对于 通过 作为 同时 之后 之前 以后 以前 至今 今年 去年 "
    "A市 市民们 投诉 建议 举报 为何 何时 能不能 有没有 不能 不了 不到 不要 不会 需要 应该 是不是 的话 我家 本人".split()
)
_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z]{3,}")


def words(text: str) -> list[str]:
    """The content words of a text, for search (cut_for_search: 西湖区 also yields 西湖)."""
    return [w for w in rjieba.cut_for_search(text or "") if _WORD.fullmatch(w) and w not in STOP]


def terms(*texts: str) -> str:
    """What is stored with a message: its distinct words, space-separated."""
    return " ".join(dict.fromkeys(w for t in texts for w in words(t)))


_HAN = re.compile(r"[\u4e00-\u9fff]+")


def shingles(*texts: str) -> frozenset[str]:
    """Pairs of adjacent Chinese characters: robust to how a short subject is cut into words
    (路灯不亮 and 路灯坏了不亮 share 路灯 and 不亮 whatever the segmenter makes of them)."""
    return frozenset(
        run[i : i + 2] for t in texts for run in _HAN.findall(t or "") for i in range(len(run) - 1)
    )


def term_set(stored: str) -> frozenset[str]:
    return frozenset(stored.split())


def cosine(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def place_words(location: str) -> frozenset[str]:
    return frozenset(words(location))


def same_place(region_a: str, location_a: str, region_b: str, location_b: str) -> bool:
    """The same district, and where both name a place, a word of it in common."""
    if region_a != region_b:
        return False
    pa, pb = place_words(location_a), place_words(location_b)
    return not pa or not pb or bool(pa & pb)


@dataclass(frozen=True)
class Scored:
    key: int
    score: float


def ranked(query: frozenset[str], candidates: Iterable[tuple[int, frozenset[str]]], *, idf: dict[str, float] | None = None,
           threshold: float = 0.0, limit: int = 5) -> list[Scored]:  # fmt: skip
    """Candidates by cosine of their word sets (weighted by idf when given), best first."""
    out = []
    for key, words_ in candidates:
        if idf is None:
            score = cosine(query, words_)
        else:
            shared = sum(idf.get(w, 1.0) ** 2 for w in query & words_)
            na = math.sqrt(sum(idf.get(w, 1.0) ** 2 for w in query)) or 1.0
            nb = math.sqrt(sum(idf.get(w, 1.0) ** 2 for w in words_)) or 1.0
            score = shared / (na * nb)
        if score > threshold:
            out.append(Scored(key, round(score, 3)))
    out.sort(key=lambda s: (-s.score, s.key))
    return out[:limit]


def idf_of(documents: Sequence[frozenset[str]]) -> dict[str, float]:
    n = len(documents)
    df: Counter[str] = Counter(w for d in documents for w in d)
    return {w: math.log((n + 1) / (k + 0.5)) for w, k in df.items()}


@dataclass
class Cluster:
    """A hot topic: messages of one district about one thing."""

    region_code: str
    members: list[int] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def words(self) -> frozenset[str]:
        return frozenset(self.counts)

    def label(self, n: int = 3) -> list[str]:
        """The most frequent words, a word inside one already chosen left out (乱收 of 乱收费)."""
        out: list[str] = []
        for w, _ in sorted(self.counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0])):
            if len(out) < n and not any(w in chosen or chosen in w for chosen in out):
                out.append(w)
        return out


def clusters(messages: Iterable[tuple[int, str, frozenset[str]]], threshold: float = 0.15,
             stop: frozenset[str] = frozenset()) -> list[Cluster]:  # fmt: skip
    """One pass, leader-follower: each message (id, district, topic words) joins the most alike
    cluster of its district (cosine to the cluster's words at least `threshold`), or starts one.
    Clusters of a district whose most frequent word is the same are then merged. Ranked by
    size, the larger first."""
    by_region: dict[str, list[Cluster]] = {}
    for key, region, ws in messages:
        ws = ws - stop
        if not ws:
            continue
        best, best_score = None, threshold
        for c in by_region.setdefault(region, []):
            frequent = frozenset(w for w, k in c.counts.items() if k * 3 >= len(c.members)) or c.words()
            score = cosine(ws, frequent)
            if score >= best_score:
                best, best_score = c, score
        if best is None:
            best = Cluster(region)
            by_region[region].append(best)
        best.members.append(key)
        best.counts.update(ws)
    merged: dict[tuple[str, str], Cluster] = {}  # then clusters of a district led by the same word are one
    for cs in by_region.values():
        for c in sorted(cs, key=lambda c: -len(c.members)):
            into = merged.setdefault((c.region_code, c.label(1)[0]), Cluster(c.region_code))
            into.members += c.members
            into.counts.update(c.counts)
    out = list(merged.values())
    out.sort(key=lambda c: (-len(c.members), min(c.members)))
    return out
