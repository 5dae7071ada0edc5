"""Pydantic shapes at the edge of the identity context."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from yiwang.core import codes


def _ric(v: str) -> str:
    err = codes.ric_error(v)
    if err:
        raise ValueError(err)
    return codes.compact(v)


def _uscc(v: str) -> str:
    err = codes.uscc_error(v)
    if err:
        raise ValueError(err)
    return codes.compact(v)


def _phone(v: str) -> str:
    err = codes.phone_error(v)
    if err:
        raise ValueError(err)
    return codes.compact(v).removeprefix("+86")


# The rules the validators enforce, declared for clients (the check digit by `format`, which
# JSON Schema cannot compute; spaces and hyphens typed by people are also accepted).
RIC_SCHEMA = {"pattern": codes.RIC_PATTERN, "format": "cn-ric",
              "description": "18 位居民身份证号码（GB 11643），末位为 ISO 7064 MOD 11-2 校验码"}  # fmt: skip
USCC_SCHEMA = {"pattern": codes.USCC_PATTERN, "format": "cn-uscc",
               "description": "18 位统一社会信用代码（GB 32100），末位为 MOD 31 校验码"}  # fmt: skip
PHONE_SCHEMA = {"pattern": r"^(\+86)?1[3-9][0-9]{9}$", "description": "11 位手机号码，可带 +86"}
IdNumber = Annotated[
    str, Field(min_length=1, max_length=30, json_schema_extra=RIC_SCHEMA), AfterValidator(_ric)
]
CreditCode = Annotated[
    str, Field(min_length=1, max_length=30, json_schema_extra=USCC_SCHEMA), AfterValidator(_uscc)
]
Phone = Annotated[
    str, Field(min_length=1, max_length=20, json_schema_extra=PHONE_SCHEMA), AfterValidator(_phone)
]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonIn(Strict):
    id_number: IdNumber
    name: str = Field(min_length=1, max_length=50)
    phone: Phone | None = None
    address: str = Field("", max_length=200)
    region_code: RegionCode


class PersonPatch(Strict):
    phone: Phone | None = None
    address: str | None = Field(None, max_length=200)


class PersonOut(BaseModel):
    id: int
    id_number: str
    name: str
    gender: Literal["M", "F"]
    birth_date: str = Field(description="YYYY-MM-DD; only the year (YYYY-**-**) when masked")
    phone: str | None
    address: str
    region_code: str
    household_no: str | None
    relation: str | None
    masked: bool = Field(description="true when id_number and phone are masked for this reader")


class EnterpriseIn(Strict):
    credit_code: CreditCode
    name: str = Field(min_length=2, max_length=100)
    legal_rep_id_number: IdNumber
    address: str = Field("", max_length=200)
    industry_code: str = Field(pattern=r"^[A-T]\d{0,4}$")
    registered_capital_fen: int = Field(ge=0, le=10**15)
    established_on: date
    size_class: Literal["micro", "small", "medium", "large"]
    region_code: RegionCode


class EnterpriseOut(BaseModel):
    id: int
    credit_code: str
    name: str
    legal_rep_person_id: int | None
    legal_rep_name: str | None
    address: str
    industry_code: str
    industry_name: str
    registered_capital_fen: int
    established_on: date
    size_class: str
    region_code: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class RegionOut(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None


class DepartmentOut(BaseModel):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    region_code: str


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    scope: str


class DataAccessOut(BaseModel):
    at: str
    by: str
    on_behalf_of: str | None
    action: str
    action_label: str
    data: str
    case_id: str | None
    purpose: str | None
    fields: list[str]
    labels: list[str]
    use: str = Field(description="list（名单浏览）| read（查看明细）| verify（只核验）| change（登记或更新）")
    use_label: str
    masked: list[str] = Field(description="以脱敏形式看到的信息项")
    clear_labels: list[str] = Field(description="以明文看到的信息项名称")
    masked_labels: list[str] = Field(description="以脱敏形式看到的信息项名称")
    outcome: str


class MeOut(BaseModel):
    kind: str
    name: str
    roles: list[str]
    region_code: str | None
    department_code: str | None
    person_id: int | None
    enterprise_id: int | None
