"""Chinese search over the guides: item text is cut with rjieba once, when it is written
(`tokens`), and a query is cut the same way (`query_terms`); every term must occur."""

from __future__ import annotations

import re

import rjieba

DOMAIN_WORDS = (
    "一件事", "出生一件事", "开办企业", "出生医学证明", "户口登记", "社保卡", "社会保障卡", "营业执照", "一业一证",
    "结婚登记", "异地就医", "跨省通办", "全城通办", "不动产", "居住证", "低保", "失业金", "施工许可", "建筑垃圾",
    "食品经营许可", "刻章", "便利店",
)  # fmt: skip
for _w in DOMAIN_WORDS:
    rjieba.add_word(_w, None, None)

_WORD = re.compile(r"[\w\u4e00-\u9fff]")


def tokens(*texts: str) -> str:
    out: list[str] = []
    for text in texts:
        out += [t for t in rjieba.cut_for_search(text) if _WORD.search(t)]
        out.append(text.replace(" ", ""))  # the whole phrase, for exact names
    return " ".join(dict.fromkeys(out))


def query_terms(q: str) -> list[str]:
    q = q.strip()[:100]
    terms = [t for t in rjieba.cut(q) if _WORD.search(t)]
    return list(dict.fromkeys(terms))[:10]
