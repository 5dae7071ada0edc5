"""Who is acting: a person's account, a staff member, an API client, or the system itself."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
client_ip_var: ContextVar[str] = ContextVar("client_ip", default="")

ROLE_NAMES = {
    "citizen": "市民",
    "enterprise": "企业",
    "window_clerk": "综合窗口",
    "dept_staff": "部门工作人员",
    "grid_worker": "网格员",
    "data_officer": "数据管理员",
    "leader": "领导",
    "admin": "系统管理员",
}
STAFF_ROLES = frozenset(ROLE_NAMES) - {"citizen", "enterprise"}


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "client" | "system" | "anonymous"
    id: int | None = None
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    region_code: str | None = None  # administrative scope of a staff member or client
    department_id: int | None = None
    department_code: str | None = None
    person_id: int | None = None  # the person this account belongs to
    enterprise_id: int | None = None  # the enterprise an enterprise account acts for
    grid_code: str | None = None
    client_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    on_behalf_of: str | None = None  # end user named by a calling system (X-User)
    disabled: bool = False

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.client_id or self.id or 'system'}"

    def has(self, role: str) -> bool:
        return role in self.roles

    def acting_for(self, on_behalf_of: str | None) -> Actor:
        """This actor naming the end user it acts for (a calling system's X-User). A copy of
        the fields, not `dataclasses.replace`, which re-runs the constructor: every API call
        makes one."""
        if on_behalf_of == self.on_behalf_of:
            return self
        clone = object.__new__(Actor)
        clone.__dict__.update(self.__dict__, on_behalf_of=on_behalf_of)
        return clone


ANONYMOUS = Actor(kind="anonymous")
SYSTEM = Actor(kind="system", name="系统", roles=frozenset({"system"}))
