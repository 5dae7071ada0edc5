"""The 12345 hotline's demo data, idempotent: the three-level category tree, the routing rules,
an archive of past cases with their official replies, and recent messages of the demo city
(accepted through the same action as an operator's, waiting for dispatch), enough to show
hot topics. The data files are rebuilt by scripts/hotline_demo_data.py."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from yiwang.contexts.workbench import hotline_repository as repo
from yiwang.contexts.workbench import hotline_text as text
from yiwang.contexts.workbench.hotline_actions import order_create
from yiwang.contexts.workbench.hotline_models import HotlineCategory, HotlinePastCase, HotlineRoute
from yiwang.contexts.workbench.hotline_schemas import IntakeIn
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction, utcnow

DATA = Path(__file__).parent / "data"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROUTES = (  # category ("一级" or "一级/二级", "*" = any), region ("" = any), department kind
    ("城乡建设", "", "housing"), ("城乡建设/城市建设和市政管理", "", "urban_management"),
    ("城乡建设/安全生产", "", "urban_management"), ("环境保护", "", "urban_management"),
    ("交通运输", "", "transport"), ("教育文体", "", "education"), ("劳动和社会保障", "", "human_resources"),
    ("商贸旅游", "", "market_regulation"), ("卫生计生", "", "health"), ("民政", "", "civil_affairs"),
    ("政法", "", "public_security"), ("国土资源", "", "real_estate"), ("经济管理", "", "taxation"),
    ("城乡建设/住房保障与房地产", "330108", "real_estate"), ("*", "", "government_service"),
)  # fmt: skip
DISTRICT_NAMES = {"330102": "上城区", "330106": "西湖区", "330108": "滨江区"}


def _time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw.strip(), fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    return None


def _tree() -> list[tuple[str, str, str]]:
    with (DATA / "hotline_taxonomy.csv").open(encoding="utf-8") as f:
        return [(r["level1"], r["level2"], r["level3"]) for r in csv.DictReader(f)]


def _leaf(tree: list[tuple[str, str, str]], level1: str, words: str) -> tuple[str, str, str]:
    """The leaf of `level1` whose names share the most characters with the message."""
    leaves = [t for t in tree if t[0] == level1]
    return max(leaves, key=lambda t: sum(ch in words for ch in t[2] + t[1]))


def seed_hotline() -> dict[str, int]:
    counts: dict[str, int] = {}
    tree = _tree()
    with transaction() as s:
        have = repo.category_paths(s)
        new = [HotlineCategory(level1=a, level2=b, level3=c) for a, b, c in tree if (a, b, c) not in have]
        repo.add_all(s, new)
        counts["hotline categories"] = len(new)
        keys = repo.route_keys(s)
        routes = [
            HotlineRoute(category=c, region_code=r, department_kind=k)
            for c, r, k in ROUTES
            if (c, r) not in keys
        ]
        repo.add_all(s, routes)
        counts["hotline routing rules"] = len(routes)
    with transaction() as s:
        known = repo.past_case_sources(s)
        past = []
        for line in (DATA / "hotline_past_cases.jsonl").open(encoding="utf-8"):
            r = json.loads(line)
            if str(r["id"]) in known:
                continue
            past.append(HotlinePastCase(source_id=str(r["id"]), subject=r["subject"][:200], body=r["body"],
                                        reply=r["reply"], submitted_at=_time(r.get("submitted_at")),
                                        replied_at=_time(r.get("replied_at")), terms=text.terms(r["subject"], r["body"][:300])))  # fmt: skip
        repo.add_all(s, past)
        counts["hotline past cases"] = len(past)
    counts["hotline orders"] = _recent(tree)
    return counts


def _recent(tree: list[tuple[str, str, str]]) -> int:
    with transaction() as s:
        if repo.order_count(s):
            return 0
    rows: list[dict[str, Any]] = [
        json.loads(line) for line in (DATA / "hotline_recent.jsonl").open(encoding="utf-8")
    ]
    now = utcnow()
    with transaction() as s:
        for n, r in enumerate(rows):
            level1, level2, level3 = _leaf(tree, r["label"], r["subject"] + r["body"][:100])
            region = r["region_code"]
            order_create(s, SYSTEM, IntakeIn(
                channel=("phone", "web", "app")[n % 3], anonymous=n % 4 == 0, caller_name=None if n % 4 == 0 else "市民",
                contact=None if n % 4 == 0 else f"1380571{n:04d}", location=DISTRICT_NAMES.get(region, ""),
                region_code=region, subject=r["subject"][:200], body=r["body"][:5000],
                received_at=now - timedelta(hours=5 * n + 1), level1=level1, level2=level2, level3=level3,
            ))  # fmt: skip
    return len(rows)
