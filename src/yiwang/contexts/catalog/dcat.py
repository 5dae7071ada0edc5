"""DCAT-AP (2.x / 3) JSON-LD export of the catalog, for European-style and national data portals.

One `dcat:Catalog` holding one `dcat:Dataset` per published data resource. Controlled
vocabularies are the EU Publications Office authority tables: frequency (实时 → CONT,
每日 → DAILY, 每月 → MONTHLY, 每年 → ANNUAL …), access-right (无条件共享 → PUBLIC,
有条件共享 → RESTRICTED, 不予共享 → NON_PUBLIC), file-type (JSON). Texts carry `zh-CN`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from yiwang.contexts.catalog.schemas import ResourceOut

EU = "http://publications.europa.eu/resource/authority"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
}
FREQUENCY = {
    "实时": "CONT", "连续": "CONT", "每日": "DAILY", "每天": "DAILY", "每周": "WEEKLY", "每月": "MONTHLY",
    "每季度": "QUARTERLY", "每半年": "BIANNUAL", "每年": "ANNUAL", "不定期": "IRREG",
}  # fmt: skip
ACCESS_RIGHTS = {"unconditional": "PUBLIC", "conditional": "RESTRICTED", "none": "NON_PUBLIC"}
CATALOG_TITLE = "一网政务信息资源目录"
CATALOG_DESCRIPTION = (
    "本级各部门政务信息资源（数据资源）的登记目录：提供部门、信息项、共享类型与依据、更新周期及共享接口。"
)
PUBLISHER = "数据资源管理局"


def _zh(text: str) -> dict[str, str]:
    return {"@value": text, "@language": "zh-CN"}


def _time(value: datetime) -> dict[str, str]:
    return {"@value": value.astimezone(UTC).isoformat().replace("+00:00", "Z"), "@type": "xsd:dateTime"}


def frequency_iri(update_frequency: str) -> str:
    return f"{EU}/frequency/{FREQUENCY.get(update_frequency.strip(), 'UNKNOWN')}"


def access_rights_iri(share_type: str) -> str:
    return f"{EU}/access-right/{ACCESS_RIGHTS.get(share_type, 'NON_PUBLIC')}"


def dataset(r: ResourceOut, base_url: str) -> dict[str, Any]:
    page = f"{base_url}/catalog/{quote(r.code)}"
    records = f"{base_url}/api/v1/exchange/resources/{quote(r.code)}/records"
    provider = f"{base_url}/api/3/action/organization_show?id={quote(r.provider.code.lower())}"
    out: dict[str, Any] = {
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:identifier": r.code,
        "dct:title": _zh(r.name),
        "dct:description": _zh(r.description or r.name),
        "dct:publisher": {"@id": provider, "@type": "foaf:Agent", "foaf:name": _zh(r.provider.name)},
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": _zh(r.provider.name)},
        "dcat:keyword": [_zh(t) for t in r.tags],
        "dcat:theme": {
            "@id": f"{base_url}/catalog?theme={quote(r.subject_category)}",
            "@type": "skos:Concept",
            "skos:prefLabel": _zh(r.subject_category),
        },
        "dct:accrualPeriodicity": {"@id": frequency_iri(r.update_frequency)},
        "dct:accessRights": {"@id": access_rights_iri(r.share_type)},
        "dct:issued": _time(r.created_at),
        "dct:modified": _time(r.updated_at),
        "dcat:landingPage": {"@id": page},
        "dcat:distribution": [
            {
                "@id": f"{page}#api",
                "@type": "dcat:Distribution",
                "dct:title": _zh(f"{r.name}数据共享接口"),
                "dct:description": _zh("按授权调用的数据共享接口（条件查询、游标分页，返回 JSON）。"),
                "dcat:accessURL": {"@id": records},
                "dct:format": {"@id": f"{EU}/file-type/JSON"},
                "dcat:mediaType": {"@id": "https://www.iana.org/assignments/media-types/application/json"},
                "dcat:accessService": {
                    "@id": f"{base_url}/api/v1/exchange",
                    "@type": "dcat:DataService",
                    "dct:title": _zh("一网数据共享交换接口"),
                    "dcat:endpointURL": {"@id": f"{base_url}/api/v1/exchange"},
                    "dcat:endpointDescription": {"@id": f"{base_url}/api/v1/openapi.json"},
                },
            }
        ],
    }
    if r.share_basis:
        out["dct:rights"] = {"@type": "dct:RightsStatement", "dct:description": _zh(r.share_basis)}
    return out


def catalog_jsonld(items: list[ResourceOut], base_url: str) -> dict[str, Any]:
    """The whole catalog as one DCAT-AP JSON-LD document (a dict ready for JSON)."""
    base_url = base_url.rstrip("/")
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{base_url}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _zh(CATALOG_TITLE),
        "dct:description": _zh(CATALOG_DESCRIPTION),
        "dct:publisher": {
            "@id": f"{base_url}/#publisher",
            "@type": "foaf:Agent",
            "foaf:name": _zh(PUBLISHER),
        },
        "dct:language": {"@id": f"{EU}/language/ZHO"},
        "foaf:homepage": {"@id": f"{base_url}/catalog"},
        "dcat:dataset": [dataset(r, base_url) for r in items],
    }
    if items:
        doc["dct:modified"] = _time(max(r.updated_at for r in items))
    return doc
