"""Pydantic shapes of the catalog context."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ShareType = Literal["unconditional", "conditional", "none"]
SHARE_TYPE_ZH = {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"}
OPEN_TYPE_ZH = {"unconditional": "无条件开放", "conditional": "有条件开放", "none": "不予开放"}
SENSITIVITY_ZH = {1: "公开", 2: "内部", 3: "敏感", 4: "高度敏感"}


class FieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=60)
    data_type: Literal["string", "date", "integer", "money", "id_number", "credit_code", "code"]
    sensitivity: int = Field(ge=1, le=4)
    personal: bool = False
    description: str = Field("", max_length=500)


class ResourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(pattern=r"^[0-9A-Z][0-9A-Z-]{3,39}$")
    name: str = Field(min_length=2, max_length=100)
    description: str = Field("", max_length=2000)
    subject_category: str = Field(min_length=1, max_length=60)
    update_frequency: str = Field(min_length=1, max_length=20)
    provider_department_code: str = Field(min_length=1, max_length=40)
    share_type: ShareType
    share_basis: str = Field("", max_length=500)
    open_type: ShareType = "none"
    source_table: str = Field(pattern=r"^src_[a-z0-9_]{1,56}$")
    key_field: str
    subject: Literal["person", "enterprise"]
    tags: list[str] = Field(default_factory=list, max_length=20)
    fields: list[FieldIn] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _rules(self) -> ResourceIn:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("信息项名称重复")
        if self.key_field not in names:
            raise ValueError("主键信息项必须是资源的信息项之一")
        if self.share_type in ("none", "conditional") and not self.share_basis:
            raise ValueError("不予共享或有条件共享的资源必须注明依据")
        return self


class FieldOut(BaseModel):
    name: str
    label: str
    data_type: str
    sensitivity: int
    personal: bool
    description: str


class ProviderOut(BaseModel):
    id: int
    code: str
    name: str


class ResourceOut(BaseModel):
    id: int
    code: str
    name: str
    description: str
    subject_category: str
    update_frequency: str
    format: str
    provider: ProviderOut
    region_code: str
    share_type: ShareType
    share_type_zh: str
    share_basis: str
    open_type: str
    key_field: str
    subject: str
    tags: list[str]
    fields: list[FieldOut]
    created_at: datetime
    updated_at: datetime
