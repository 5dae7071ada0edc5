"""Read-only figures for leaders and the map: counts per area, never rows. Each starts with authz.check."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as repo
from yiwang.core import audit_repository, authz
from yiwang.core.actor import Actor
from yiwang.core.codes import region_covers
from yiwang.core.errors import NotFound

SIZE_NAMES = {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"}
LEVEL_NAMES = {"province": "省", "city": "市", "district": "区县", "street": "街道", "grid": "网格"}
# the layer drawn inside a region of each level, and how many code digits name an area of it
_CHILD = {
    "province": ("district", 6),
    "city": ("district", 6),
    "district": ("street", 9),
    "street": ("grid", 0),
}


class AreaCount(BaseModel):
    code: str
    name: str
    persons: int | None = Field(None, description="登记自然人数（网格无此统计）")
    enterprises: int | None = Field(None, description="登记企业数（网格无此统计）")


class RegionRef(BaseModel):
    code: str
    name: str


class Overview(BaseModel):
    region_code: str | None = Field(description="统计范围的行政区划代码；空为全平台")
    region_name: str
    area_level: str = Field(description="分区层级：district 区县或 street 街道")
    persons: int
    enterprises: int
    departments: int
    grids: int
    audit_records: int
    areas: list[AreaCount]
    enterprises_by_size: dict[str, int] = Field(description="按规模（微型、小型、中型、大型）的企业数")


class MapView(BaseModel):
    region_code: str | None
    region_name: str
    level: str = Field(description="所看区划的层级")
    layer: str = Field(description="地图图层：district、street 或 grid")
    areas: list[AreaCount]
    trail: list[RegionRef] = Field(description="从本账号管辖区划到所看区划的路径")
    highlight: str | None = Field(None, description="高亮的网格名称（网格员本人的网格）")


def _scope(session: Session, code: str | None) -> tuple[str | None, str, str]:
    """(code, name, level) of the region to look at; None = the whole platform."""
    if code is None:
        return None, "全部区划", "province"
    region = repo.region(session, code)
    if region is None:
        raise NotFound("行政区划不存在")
    return region.code, region.name, region.level


def _areas(session: Session, code: str | None, level: str) -> tuple[str, list[AreaCount]]:
    layer, digits = _CHILD.get(level, ("grid", 0))
    if layer == "grid":
        return layer, [AreaCount(code=g.code, name=g.name) for g in repo.grids(session, code)]
    children = repo.regions(session, code if level != "province" else None, layer)
    if level == "province" and code:
        children = [r for r in children if region_covers(code, r.code)]
    persons = repo.count_persons_by_area(session, code, digits)
    enterprises = repo.count_enterprises_by_area(session, code, digits)
    return layer, [
        AreaCount(
            code=r.code, name=r.name, persons=persons.get(r.code, 0), enterprises=enterprises.get(r.code, 0)
        )
        for r in children
    ]


def overview(session: Session, actor: Actor, region_code: str | None = None) -> Overview:
    """Figures of the actor's region (or a region inside it): counts by GROUP BY only."""
    authz.check(actor, "identity.stats_read", region_code or actor.region_code)
    code, name, level = _scope(session, region_code or actor.region_code)
    if level in ("street", "community"):  # the smallest scope: one bar for the region itself
        persons = repo.count_persons_by_area(session, code, len(code or ""))
        enterprises = repo.count_enterprises_by_area(session, code, len(code or ""))
        layer = level
        areas = [AreaCount(code=code or "", name=name, persons=sum(persons.values()),
                           enterprises=sum(enterprises.values()))]  # fmt: skip
    else:
        layer, areas = _areas(session, code, level)
    sizes = repo.count_enterprises_by_size(session, code)
    return Overview(
        region_code=code,
        region_name=name,
        area_level=layer,
        persons=sum(repo.count_persons_by_area(session, code, 6).values()),
        enterprises=sum(sizes.values()),
        departments=repo.count_departments_within(session, code),
        grids=repo.count_grids_within(session, code),
        audit_records=audit_repository.count(session),
        areas=areas,
        enterprises_by_size={k: sizes.get(k, 0) for k in SIZE_NAMES},
    )


def area_map(session: Session, actor: Actor, region_code: str | None = None) -> MapView:
    """What the map of a region shows: its sub-areas with counts, and the way back up."""
    authz.check(actor, "identity.map_read", region_code or actor.region_code)
    code, name, level = _scope(session, region_code or actor.region_code)
    layer, areas = _areas(session, code, level)
    trail: list[RegionRef] = []
    at = repo.region(session, code) if code else None
    while at is not None and (actor.region_code is None or region_covers(actor.region_code, at.code)):
        trail.insert(0, RegionRef(code=at.code, name=at.name))
        at = repo.region(session, at.parent_code) if at.parent_code else None
    highlight = next((a.name for a in areas if layer == "grid" and a.code == actor.grid_code), None)
    return MapView(region_code=code, region_name=name, level=level, layer=layer, areas=areas, trail=trail,
                   highlight=highlight)  # fmt: skip
