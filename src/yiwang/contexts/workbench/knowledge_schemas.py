"""Pydantic shapes of the knowledge API: an article in (upsert by external_id), ranked hits out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20, pattern=r"^\S+$")]
Kind = Literal["policy", "guide", "answer"]


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str = Field(
        min_length=1, max_length=100, pattern=r"^\S+$", description="外部编号（唯一，再次提交即更新）"
    )
    title: str = Field(min_length=1, max_length=200, description="标题")
    body: str = Field(min_length=1, max_length=200_000, description="正文（纯文本或 Markdown）")
    tags: list[Tag] = Field(default_factory=list, max_length=20, description="标签")
    kind: Kind = Field("policy", description="类别：policy 政策文件、guide 办事指南、answer 热线答复")
    department: str | None = Field(None, min_length=1, max_length=40, description="所属部门代码")
    valid_from: date | None = Field(None, description="生效日期")
    valid_until: date | None = Field(None, description="失效日期")
    note: str = Field("", max_length=200, description="修改说明")

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, v: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if v is not None and start is not None and v < start:
            raise ValueError("失效日期不能早于生效日期")
        return v


class ArticleOut(BaseModel):
    id: int
    external_id: str
    kind: Kind
    title: str
    body: str
    tags: list[str]
    department: str | None
    valid_from: date | None
    valid_until: date | None
    version: int
    updated_at: datetime
    created: bool = Field(False, description="本次提交是否新建")


class HitOut(BaseModel):
    id: int
    external_id: str
    kind: Kind
    title: str
    score: float = Field(description="相关度（越大越相关）")
    snippet: str = Field(description="摘要，命中的词以 <mark> 标出（已做 HTML 转义）")
