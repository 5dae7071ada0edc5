"""Jinja2 environment of the web shell: zh-CN, Asia/Shanghai times, context template folders."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from yiwang.core import labels
from yiwang.core.actor import ROLE_NAMES
from yiwang.core.web import nav

SHANGHAI = ZoneInfo("Asia/Shanghai")
_BASE = Path(__file__).parent / "templates"
_folders: list[Path] = [_BASE]

templates = Jinja2Templates(directory=str(_BASE))


def add_template_folder(folder: Path) -> None:
    if folder not in _folders:
        _folders.append(folder)
        templates.env.loader = ChoiceLoader([FileSystemLoader(str(f)) for f in _folders])


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(SHANGHAI).strftime(fmt) if value else ""


def yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen / 100:,.2f} 元"


def duration(seconds: float | None) -> str:
    """A stretch of time as people say it: 不足 1 分钟, 35 分钟, 4.5 小时, 3 天 2 小时."""
    s = max(float(seconds or 0), 0.0)
    if s < 60:
        return "不足 1 分钟"
    if s < 3600:
        return f"{int(s // 60)} 分钟"
    if s < 86400:
        return f"{s / 3600:.1f} 小时".replace(".0 ", " ")
    days, rest = divmod(int(s), 86400)
    return f"{days} 天" + (f" {rest // 3600} 小时" if rest >= 3600 else "")


def working_days_left(due_at: datetime | None) -> int | None:
    """Working days after today up to the due day (0: due today), None when already past."""
    from yiwang.core.db import utcnow
    from yiwang.core.workdays import working_days_between

    now = utcnow()
    return None if due_at is None or due_at < now else working_days_between(now, due_at)


templates.env.filters["local_time"] = local_time
templates.env.globals["days_left"] = working_days_left
templates.env.globals["duration"] = duration
templates.env.filters["yuan"] = yuan
templates.env.globals["ROLE_NAMES"] = ROLE_NAMES
templates.env.globals["nav_for"] = nav.nav_for
templates.env.globals["cards_for"] = nav.cards_for
templates.env.globals["action_label"] = labels.action_label
templates.env.globals["object_label"] = labels.object_label
templates.env.globals["actor_label"] = labels.actor_label
templates.env.globals["seen_fields"] = labels.seen_fields
