"""Pure rules about an item's materials: what must be brought before sharing and after, and what
an applicant is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SOURCE_ZH = {"upload": "申请人提交", "shared": "共享数据核验", "elicense": "电子证照"}


@dataclass(frozen=True)
class MaterialNeed:
    name: str
    source: str
    ref: str
    note: str
    waived: bool  # after sharing: the platform holds it

    @property
    def source_zh(self) -> str:
        return SOURCE_ZH.get(self.source, self.source)


def needs(materials: list[dict[str, Any]], licenses_held: frozenset[str] = frozenset()) -> list[MaterialNeed]:
    """Each material and whether it is waived: a shared resource proves it, or the applicant holds
    the e-license that stands for it (any e-license of that kind when `licenses_held` is None)."""
    out = []
    for m in materials:
        waived = m["source"] == "shared" or (m["source"] == "elicense" and m["ref"] in licenses_held)
        out.append(MaterialNeed(m["name"], m["source"], m.get("ref", ""), m.get("note", ""), waived))
    return out


def bring_before_after(materials: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Materials the applicant had to bring before sharing, and after it (e-licenses count as held)."""
    before = [m["name"] for m in materials]
    after = [m["name"] for m in materials if m["source"] == "upload"]
    return before, after
