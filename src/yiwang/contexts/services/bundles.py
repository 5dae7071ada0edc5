"""一件事 bundles and 一业一证 as data, and the pure computation of what bundling saves.

A bundle lists its items in dependency order; a step waits for the steps it depends on, and an
e-license an earlier step issues is the later step's material (so it is neither uploaded nor
fetched). A 一业一证 bundle's permits are decided in parallel by their departments and together
yield one industry comprehensive license."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.contexts.services.items import code


@dataclass(frozen=True)
class BundleSpec:
    code: str
    name: str
    description: str
    steps: tuple[tuple[str, tuple[str, ...]], ...]  # (item code, the item codes it waits for)
    subject: str = "person"
    industry_license: str = ""  # 一业一证: the one license standing for the permits


BIRTH = code("20", "health", 1)
HUKOU = code("07", "public_security", 1)
BUSINESS = code("01", "market_regulation", 1)
BUNDLES: tuple[BundleSpec, ...] = (
    BundleSpec("birth", "出生一件事", "新生儿出生医学证明、户口登记、医保参保、社保卡申领、预防接种证，一次申请、一表填报。",
               ((BIRTH, ()), (HUKOU, (BIRTH,)), (code("20", "medical_insurance", 1), (HUKOU,)),
                (code("20", "human_resources", 1), (HUKOU,)), (code("20", "health", 2), (BIRTH,)))),
    BundleSpec("business", "开办企业一件事", "营业执照、公章刻制、涉税事项、社保登记、银行开户预约，一次申请、一表填报。",
               ((BUSINESS, ()), (code("20", "public_security", 2), (BUSINESS,)), (code("20", "taxation", 1), (BUSINESS,)),
                (code("20", "human_resources", 2), (BUSINESS,)), (code("20", "government_service", 1), (BUSINESS,)))),
    BundleSpec("convenience_store", "便利店一业一证", "食品经营、酒类零售、烟草零售许可一次申请、一次审查，核发一张行业综合许可证。",
               ((code("01", "market_regulation", 2), ()), (code("01", "market_regulation", 3), ()),
                (code("01", "market_regulation", 4), ())), subject="enterprise", industry_license="便利店行业综合许可证"),
)  # fmt: skip


def bundle(bundle_code: str) -> BundleSpec | None:
    return next((b for b in BUNDLES if b.code == bundle_code), None)


@dataclass(frozen=True)
class Saving:
    items: tuple[int, int]  # (one by one, bundled)
    materials: tuple[int, int]
    visits: tuple[int, int]
    days: tuple[int, int]


def _longest(steps: dict[str, tuple[str, ...]], days: dict[str, int]) -> int:
    done: dict[str, int] = {}
    for item, after in steps.items():  # in dependency order
        done[item] = days[item] + max((done[a] for a in after), default=0)
    return max(done.values(), default=0)


def saving(spec: BundleSpec, items: dict[str, Any]) -> Saving:
    """From the items' own data: one by one, every item asks for all its materials, takes its
    visits and waits its promised days after the one before; bundled, it is one application, each
    material to bring once (shared data and e-licenses issued by an earlier step not at all), the
    most visits any step needs, and the longest chain of promised days through the dependencies."""
    steps = dict(spec.steps)
    rows = [items[c] for c in steps]
    produced = set(steps)
    one_by_one_materials = sum(len(i.materials) for i in rows)
    bring = {m["name"] for i in rows for m in i.materials
             if m["source"] == "upload" or (m["source"] == "elicense" and m["ref"] not in produced)}  # fmt: skip
    return Saving(
        items=(len(rows), 1),
        materials=(one_by_one_materials, len(bring)),
        visits=(
            sum(max(i.visits_required, 0) for i in rows),
            max((i.visits_required for i in rows), default=0),
        ),
        days=(sum(i.promised_days for i in rows), _longest(steps, {i.code: i.promised_days for i in rows})),
    )


def combined_fields(items: list[Any]) -> dict[str, dict[str, Any]]:
    """One form for the bundle: each field asked once (the first item's wording)."""
    out: dict[str, dict[str, Any]] = {}
    for i in items:
        for name, p in i.form_schema.get("properties", {}).items():
            out.setdefault(name, p)
    return out
