"""The knowledge base's event type: an article saved (new, or a new version)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from yiwang.core import events


class ArticleSaved(BaseModel):
    """An article as it stands after the change."""

    article_id: int = Field(description="文章编号")
    external_id: str = Field(description="外部编号")
    kind: str = Field(description="类别代码：policy 政策文件、guide 办事指南、answer 热线答复")
    title: str = Field(description="标题")
    version: int = Field(description="版本号")
    department_id: int | None = Field(None, description="所属部门编号")


ARTICLE_SAVED = events.define(
    "yiwang.workbench.article.saved", "知识库文章已保存（新建或新版本）", ArticleSaved
)
