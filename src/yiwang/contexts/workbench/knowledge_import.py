"""Reading articles from files (Markdown, plain text, JSONL) and saving them in batches: the
batch's passages embedded in one model call, then each article saved (a new version only when
its content changed)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiwang.contexts.workbench import knowledge_actions as actions
from yiwang.contexts.workbench import knowledge_embed as embed
from yiwang.contexts.workbench import knowledge_repository as repo
from yiwang.contexts.workbench.knowledge_models import KINDS
from yiwang.contexts.workbench.knowledge_schemas import ArticleIn
from yiwang.core import authz
from yiwang.core.actor import Actor
from yiwang.core.errors import FieldError, ValidationFailed, from_pydantic

KIND_BY_NAME = {v: k for k, v in KINDS.items()}
_META = re.compile(r"^(类别|标签|部门|生效日期|失效日期)[:：]\s*(.*)$")


def _article(raw: dict[str, object], where: str) -> ArticleIn:
    try:
        return ArticleIn.model_validate(raw)
    except ValidationError as exc:
        err = from_pydantic(exc.errors(), drop_prefix=())
        raise ValidationFailed(f"{where}：{err.errors[0].field} {err.errors[0].detail}", err.errors) from None


def _from_jsonl(path: Path) -> Iterator[ArticleIn]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise ValidationFailed(
                    f"第 {n} 行不是合法的 JSON", [FieldError("FILE", f"第 {n} 行不是合法的 JSON")]
                ) from None
            if "reply" in row:  # a hotline message with its official reply: a hotline answer
                row = {"external_id": f"hotline-{row.get('id') or n}", "kind": "answer",
                       "title": str(row.get("subject") or "")[:200], "body": row.get("reply"),
                       "tags": ["12345答复"]}  # fmt: skip
            yield _article(row, f"第 {n} 行")


def _sections(text: str, stem: str) -> Iterator[dict[str, object]]:
    parts = re.split(r"^# +(.+)$", text, flags=re.MULTILINE)
    for n, (title, body) in enumerate(zip(parts[1::2], parts[2::2], strict=True), start=1):
        raw: dict[str, object] = {"external_id": f"{stem}-{n}", "title": title.strip(), "kind": "policy"}
        lines = body.strip().splitlines()
        while lines and (m := _META.match(lines[0].strip())):
            key, value = m.groups()
            if key == "类别":
                raw["kind"] = KIND_BY_NAME.get(value.strip(), value.strip())
            elif key == "标签":
                raw["tags"] = value.split()
            elif key == "部门":
                raw["department"] = value.strip()
            else:
                raw["valid_from" if key == "生效日期" else "valid_until"] = value.strip()
            lines.pop(0)
        raw["body"] = "\n".join(lines).strip()
        yield raw


def read(path: Path) -> list[ArticleIn]:
    """The articles of a file: JSONL one per line (the fields of the API, or a hotline message
    with its `reply`); Markdown one per `# ` heading (optional 类别/标签/部门/生效日期/失效日期
    lines under it); plain text one per file, its first line the title."""
    if not path.is_file():
        raise ValidationFailed("文件不存在", [FieldError("FILE", f"找不到文件 {path}")])
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return list(_from_jsonl(path))
    text = path.read_text(encoding="utf-8")
    stem = re.sub(r"\s+", "-", path.stem)[:60]
    if suffix in (".md", ".markdown"):
        return [_article(raw, f"第 {n} 节") for n, raw in enumerate(_sections(text, stem), start=1)]
    if suffix == ".txt":
        first, _, rest = text.strip().partition("\n")
        return [
            _article(
                {"external_id": stem, "title": first.strip()[:200], "body": rest.strip() or first}, path.name
            )
        ]
    raise ValidationFailed("不支持的文件类型", [FieldError("FILE", "只能导入 .md、.txt 或 .jsonl 文件")])


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def article_import(session: Session, actor: Actor, batch: list[ArticleIn], vectors: dict[str, bytes] | None = None,
                   counts: Counts | None = None) -> Counts:  # fmt: skip
    """Save one batch of imported articles; `vectors` by external id when the caller has them
    (the demo's, computed once), the others embedded together."""
    authz.check(actor, "workbench.article_import", None)
    counts = counts or Counts()
    vectors = dict(vectors or {})
    need = []
    for data in batch:
        old = repo.by_external(session, data.external_id)
        if data.external_id not in vectors and (
            old is None or (old.title, old.body) != (data.title, data.body)
        ):
            need.append(data)
    for data, v in zip(
        need, embed.passages([embed.passage_text(d.title, d.body) for d in need]), strict=True
    ):
        vectors[data.external_id] = v
    for data in batch:
        before = repo.by_external(session, data.external_id)
        version = before.version if before else 0
        out = actions.article_save(session, actor, data, vectors.get(data.external_id))
        if out.created:
            counts.created += 1
        elif out.version != version:
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts
