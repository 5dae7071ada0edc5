"""The city-management catalogue, in the structure of CJ/T 214 (数字化城市管理信息系统 部件和事件):
two branches, 部件 (components: things of the city) and 事件 (incidents: what happens), each of
major classes with minor classes. A code is branch (1 部件, 2 事件), major (2 digits), minor (2
digits): 10101 上水井盖, 20505 机动车乱停放. With each class, the department kind that acts on it
unless a dispatch rule says otherwise, and the handling time in working hours (normal, urgent)."""

from __future__ import annotations

from dataclasses import dataclass

BRANCHES = {"1": ("component", "部件"), "2": ("incident", "事件")}


@dataclass(frozen=True)
class Category:
    code: str
    major_name: str
    name: str
    department_kind: str
    sla_hours: float
    urgent_sla_hours: float

    @property
    def branch(self) -> str:
        return BRANCHES[self.code[0]][0]

    @property
    def major_code(self) -> str:
        return self.code[1:3]


_UM, _TR, _HS = "urban_management", "transport", "housing"
# fmt: off
_MAJORS: dict[str, tuple[str, tuple[tuple[str, str, float, float], ...]]] = {
    "101": ("公用设施", (("上水井盖", _HS, 16, 2), ("污水井盖", _HS, 16, 2), ("雨水井盖", _HS, 16, 2),
                     ("路灯", _UM, 16, 4), ("消防栓", _HS, 16, 2), ("公共厕所", _UM, 24, 8))),
    "102": ("道路交通", (("停车场", _TR, 24, 8), ("交通信号灯", _TR, 8, 1), ("交通标志牌", _TR, 24, 8),
                     ("护栏", _TR, 24, 4), ("公交站亭", _TR, 24, 8), ("道路", _HS, 24, 4))),
    "103": ("市容环境", (("公共垃圾桶", _UM, 8, 2), ("垃圾房", _UM, 16, 4), ("广告牌匾", _UM, 24, 8))),
    "104": ("园林绿化", (("古树名木", _UM, 24, 4), ("行道树", _UM, 24, 4), ("绿地", _UM, 40, 8))),
    "105": ("房屋土地", (("宣传栏", _UM, 40, 8), ("房屋", _HS, 40, 8), ("工地", _HS, 24, 4))),
    "201": ("市容环境", (("私搭乱建", _UM, 40, 8), ("暴露垃圾", _UM, 4, 1), ("积存垃圾渣土", _UM, 8, 2),
                     ("道路不洁", _UM, 4, 1), ("水域不洁", _UM, 16, 4))),
    "202": ("宣传广告", (("非法小广告", _UM, 8, 2), ("违章张贴悬挂广告", _UM, 16, 4), ("占道广告牌", _UM, 24, 8))),
    "203": ("施工管理", (("施工扰民", _HS, 8, 1), ("施工占道", _HS, 16, 2), ("道路遗撒", _UM, 4, 1))),
    "204": ("突发事件", (("路面塌陷", _HS, 4, 1), ("自来水管破裂", _HS, 4, 1), ("燃气管道破裂", _HS, 2, 0.5),
                     ("下水道堵塞或破损", _HS, 8, 2), ("道路积水", _UM, 4, 1), ("道路积雪结冰", _UM, 4, 1))),
    "205": ("街面秩序", (("无照经营游商", _UM, 8, 2), ("店外经营", _UM, 8, 2), ("占道废品收购", _UM, 8, 2),
                     ("露天烧烤", _UM, 4, 1), ("机动车乱停放", _TR, 2, 0.5), ("非机动车乱停放", _UM, 8, 2))),
}
# fmt: on

CATEGORIES: tuple[Category, ...] = tuple(
    Category(f"{major}{i:02d}", major_name, name, kind, sla, urgent)
    for major, (major_name, rows) in _MAJORS.items()
    for i, (name, kind, sla, urgent) in enumerate(rows, start=1)
)
BY_CODE = {c.code: c for c in CATEGORIES}

ILLEGAL_PARKING = "20505"  # 机动车乱停放
WATERLOGGING = "20405"  # 道路积水
