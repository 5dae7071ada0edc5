"""City pages of the web shell: the district and grid map, the city overview, the audit log and
the enterprise account's own enterprise; plus the JSON of the figures under /api/v1/stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from yiwang.contexts.identity import actions, actions_audit, actions_stats, data_uses
from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.actions_stats import LEVEL_NAMES, SIZE_NAMES, MapView, Overview
from yiwang.contexts.identity.pages import USES_SHOWN, render
from yiwang.contexts.identity.policies import AUDIT_READERS, PERSON_READERS, STATS_READERS
from yiwang.contexts.identity.web import Caller, LoggedIn
from yiwang.core.errors import NotFound
from yiwang.core.web import nav
from yiwang.core.web.deps import DB

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/stats", tags=["identity"])
AreaCode = Annotated[str | None, Query(pattern=r"^\d{6}(\d{3})?$", description="行政区划代码（区县或街道）")]

nav.add_nav("地图", "/map", PERSON_READERS, order=40)
nav.add_nav("城市概览", "/overview", STATS_READERS, order=50)
nav.add_nav("审计日志", "/audit", AUDIT_READERS, order=60)
nav.add_nav("企业信息", "/enterprise", {"enterprise"}, order=80)

nav.add_card(
    "enterprise",
    "企业信息",
    "查看本企业的登记信息：统一社会信用代码、法定代表人、行业、注册资本。",
    "/enterprise",
    20,
)
for _role in ("window_clerk", "dept_staff"):
    nav.add_card(_role, "区划地图", "辖区街道与网格分布，按登记人口着色。", "/map", 40)
nav.add_card("grid_worker", "我的网格", "本街道网格分布，高亮显示您负责的网格。", "/map", 10)
for _role in ("data_officer", "leader", "admin"):
    nav.add_card(
        _role, "城市概览", "人口、企业、部门、网格与审计记录总量，分区与企业规模统计图。", "/overview", 10
    )
for _role in ("data_officer", "leader"):
    nav.add_card(_role, "区划与网格地图", "各区县按登记人口着色，点击逐级查看街道与网格。", "/map", 15)
for _role in ("data_officer", "admin"):
    nav.add_card(
        _role, "审计日志", "最近的数据访问与业务操作记录，一键校验哈希链与签名检查点。", "/audit", 12
    )


def _chart(title: str, labels: list[str], values: list[int], unit: str) -> dict[str, object]:
    return {"title": title, "labels": labels, "values": values, "unit": unit}


@router.get("/map")
def map_page(request: Request, db: DB, actor: LoggedIn, within: AreaCode = None) -> Response:
    view = actions_stats.area_map(db, actor, within)
    areas = [a.model_dump() for a in view.areas]
    return render(request, "map.html", actor, view=view, areas=areas, level_names=LEVEL_NAMES)


@router.get("/overview")
def overview_page(request: Request, db: DB, actor: LoggedIn, within: AreaCode = None) -> Response:
    ov = actions_stats.overview(db, actor, within)
    names = [a.name for a in ov.areas]
    charts = [
        _chart("各区登记人口" if ov.area_level == "district" else "各街道登记人口",
               names, [a.persons or 0 for a in ov.areas], "人"),
        _chart("各区登记企业" if ov.area_level == "district" else "各街道登记企业",
               names, [a.enterprises or 0 for a in ov.areas], "户"),
        _chart("企业规模构成", [SIZE_NAMES[k] for k in ov.enterprises_by_size],
               list(ov.enterprises_by_size.values()), "户"),
    ]  # fmt: skip
    return render(request, "overview.html", actor, ov=ov, charts=charts)


@router.get("/audit")
def audit_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    rows = actions_audit.audit_list(db, actor, 50)
    return render(request, "audit.html", actor, rows=rows)


@router.post("/audit/verify")
def audit_verify(request: Request, db: DB, actor: LoggedIn) -> Response:
    report, sealed = actions_audit.audit_verify(db, actor)
    return render(request, "audit_verify.html", actor, report=report, sealed=sealed)


@router.get("/enterprise")
def my_enterprise(request: Request, db: DB, actor: LoggedIn) -> Response:
    if actor.enterprise_id is None:
        raise NotFound("当前账号未关联企业")
    ent = actions.enterprise_read(db, actor, actor.enterprise_id)
    region = repo.region(db, ent.region_code)
    uses = actions.data_access_list(db, actor, enterprise_id=actor.enterprise_id, limit=USES_SHOWN)
    return render(request, "enterprise.html", actor, e=ent, region_name=region.name if region else "",
                  size_names=SIZE_NAMES, uses=data_uses.grouped(uses), USE_NAMES=data_uses.USE_NAMES)  # fmt: skip


@api_router.get("/overview", response_model=Overview, summary="城市概览统计（仅计数）")
def overview_api(db: DB, actor: Caller, within: AreaCode = None) -> Overview:
    return actions_stats.overview(db, actor, within)


@api_router.get("/map", response_model=MapView, summary="区划地图：下级区域及其人口、企业数")
def map_api(db: DB, actor: Caller, within: AreaCode = None) -> MapView:
    return actions_stats.area_map(db, actor, within)
