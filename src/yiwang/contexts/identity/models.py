"""Tables of the identity context: regions, departments, grids, persons, enterprises, accounts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime, utcnow


class Region(Base):
    """行政区划: GB/T 2260 code (6 digits) and its streets (9) and communities (12)."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    short_name: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)


class Grid(Base):
    __tablename__ = "grid"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    street_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)


class Person(Base):
    """自然人. Identity number and phone are AES-GCM ciphertext plus a blind index."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_idx: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_idx: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    household_no: Mapped[str | None] = mapped_column(String(24), index=True)
    relation: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Enterprise(Base):
    """法人. The unified social credit code is public information, stored in clear."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    legal_rep_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    industry_code: Mapped[str] = mapped_column(String(5))
    industry_name: Mapped[str] = mapped_column(String(60), default="")
    registered_capital_fen: Mapped[int] = mapped_column(BigInteger)
    established_on: Mapped[date] = mapped_column(Date)
    size_class: Mapped[str] = mapped_column(String(8))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class UserAccount(Base):
    """A login: a citizen, an enterprise's agent or a staff member (roles space-separated)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(50))
    roles: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    grid_code: Mapped[str | None] = mapped_column(String(16))
    # Where notifications reach the account holder (core.notify): validated on the way in
    # (codes.email_address, codes.mobile_number), stored normalised.
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginSession(Base):
    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str] = mapped_column(String(45), default="")


class ApiClient(Base):
    """A calling system: client id + argon2 secret hash, scopes, region scope, rate limit."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(500))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id"), index=True)
    scopes: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
