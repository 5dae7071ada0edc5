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


templates.env.filters["local_time"] = local_time
templates.env.filters["yuan"] = yuan
templates.env.globals["ROLE_NAMES"] = ROLE_NAMES
templates.env.globals["nav_for"] = nav.nav_for
templates.env.globals["cards_for"] = nav.cards_for
templates.env.globals["action_label"] = labels.action_label
templates.env.globals["object_label"] = labels.object_label
templates.env.globals["actor_label"] = labels.actor_label
templates.env.globals["seen_fields"] = labels.seen_fields
