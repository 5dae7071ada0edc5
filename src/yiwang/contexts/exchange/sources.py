"""Source tables the shared resources are served from (the providers' data, 源数据).

Built from the catalog specs: one table per resource, a column per field. Identity
numbers are stored as AES-GCM ciphertext (`<field>_enc`) plus a blind index (`<field>_idx`),
like everywhere else; every row names its region and the person or enterprise it is about.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    LargeBinary,
    String,
    Table,
)

from yiwang.contexts.catalog import RESOURCES, FieldSpec, ResourceSpec
from yiwang.core.db import Base, UTCDateTime


def columns_for(f: FieldSpec, key: bool) -> list[Column]:
    if f.data_type == "id_number":
        return [Column(f"{f.name}_enc", LargeBinary), Column(f"{f.name}_idx", String(64), index=key)]
    if f.data_type == "date":
        return [Column(f.name, Date)]
    if f.data_type in ("integer", "money"):
        return [Column(f.name, BigInteger)]
    length = 18 if f.data_type == "credit_code" else 12 if f.name == "region_code" else 200
    return [Column(f.name, String(length), index=key or f.name == "region_code")]


def _table(spec: ResourceSpec) -> Table:
    cols: list[Column] = [Column("id", Integer, primary_key=True)]
    for f in spec.fields:
        cols += columns_for(f, f.name == spec.key_field)
    cols += [
        Column("subject_person_id", Integer, index=True),
        Column("subject_enterprise_id", Integer, index=True),
        Column("updated_at", UTCDateTime()),
    ]
    return Table(spec.source_table, Base.metadata, *cols)


SOURCE_TABLES: dict[str, Table] = {spec.source_table: _table(spec) for spec in RESOURCES}


def key_column(table: Table, key_field: str, data_type: str) -> Column:
    return table.c[f"{key_field}_idx"] if data_type == "id_number" else table.c[key_field]
