"""More of CKAN's read actions, shaped as `ckan/logic/action/get.py` answers them: status_show,
license_list, tag_list, group_list, resource_show, and the facets of package_search.

There are no CKAN groups in yiwang (departments are organisations): group_list is empty.
Licences: an unconditionally open resource is `other-open`, every other `other-closed`, the two
ids of CKAN's default licence register."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from yiwang.contexts.catalog.ckan_params import boolean, invalid, natural, not_found, text
from yiwang.contexts.catalog.repository import ResourceQuery

if TYPE_CHECKING:
    from yiwang.contexts.catalog.ckan import Ctx

CKAN_API_LEVEL = "2.10.0"  # the CKAN version whose Action API this one answers like
ALL = 10**6
FACET_LIMIT_DEFAULT = 50  # CKAN's search.facets.limit
FACET_FIELDS = ("organization", "tags", "res_format", "license_id", "groups")
LICENSES = [
    {"id": "other-open", "title": "其他（开放）", "url": "", "status": "active", "maintainer": "",
     "family": "", "od_conformance": "not reviewed", "osd_conformance": "not reviewed",
     "domain_content": True, "domain_data": False, "domain_software": False,
     "is_okd_compliant": True, "is_osi_compliant": False},
    {"id": "other-closed", "title": "其他（非开放）", "url": "", "status": "active", "maintainer": "",
     "family": "", "od_conformance": "not reviewed", "osd_conformance": "not reviewed",
     "domain_content": False, "domain_data": False, "domain_software": False,
     "is_okd_compliant": False, "is_osi_compliant": False},
]  # fmt: skip


def status_show(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """The site's configuration: title, description, address, CKAN API level, locale."""
    return {
        "site_title": "一网 yiwang 数据目录",
        "site_description": "政务信息资源目录（CKAN Action API 兼容，只读）",
        "site_url": ctx.base,
        "ckan_version": CKAN_API_LEVEL,
        "error_emails_to": None,
        "locale_default": "zh_Hans_CN",
        "extensions": ["yiwang_catalog", "dcat"],
    }


def license_list(ctx: Ctx, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The licences datasets can carry."""
    return [dict(lic) for lic in LICENSES]


def _all_packages(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.packages(ResourceQuery(), 0, ALL)[1]


def tag_list(ctx: Ctx, data: dict[str, Any]) -> list[Any]:
    """The site's free tags, by name. Params: query (part of the name), vocabulary_id (there are
    no vocabularies: not found), all_fields (dicts instead of names)."""
    if text(data, "vocabulary_id"):
        raise not_found()
    query = text(data, "query").lower()
    names = sorted({t["name"] for p in _all_packages(ctx) for t in p["tags"]})
    names = [n for n in names if query in n.lower()] if query else names
    if boolean(data, "all_fields", False):
        return [{"id": n, "name": n, "vocabulary_id": None} for n in names]
    return names


def group_list(ctx: Ctx, data: dict[str, Any]) -> list[Any]:
    """Groups: none (departments are organisations). Params as organization_list."""
    boolean(data, "all_fields", False)
    natural(data, "limit", None)
    natural(data, "offset", 0)
    return []


def resource_show(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """One resource (a dataset's data-sharing interface). Params: id."""
    rid = text(data, "id", required=True).lower()
    code = rid.removesuffix("-records")
    if code == rid:
        raise not_found()
    _total, found = ctx.packages(ResourceQuery(codes=(code,)), 0, 1)
    for resource in found[0]["resources"] if found else []:
        if resource["id"] == rid:
            return dict(resource)
    raise not_found()


def _facet_values(package: dict[str, Any], fieldname: str) -> list[tuple[str, str]]:
    if fieldname == "organization":
        org = package.get("organization")
        return [(org["name"], org["title"])] if org else []
    if fieldname == "tags":
        return [(t["name"], t["display_name"]) for t in package["tags"]]
    if fieldname == "res_format":
        return [(r["format"], r["format"]) for r in package["resources"]]
    if fieldname == "license_id":
        return [(package["license_id"], package["license_title"])]
    return []


def facet_fields(data: dict[str, Any]) -> list[str]:
    raw = data.get("facet.field")
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise invalid("facet.field", '必须是 JSON 列表，如 ["organization","tags"]') from None
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise invalid("facet.field", "必须是字段名的列表")
    return list(dict.fromkeys(f[:60] for f in raw))


def facets(ctx: Ctx, query: ResourceQuery, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`facets` ({field: {value: count}}) and `search_facets` ({field: {title, items}}) over every
    match of the query, most frequent first, as CKAN reads them from Solr. Params: facet.field
    (a JSON list), facet.limit (default 50, -1 for all), facet.mincount (default 1)."""
    fields = facet_fields(data)
    if not fields:
        return {}, {}
    limit_raw = data.get("facet.limit")
    limit = None if str(limit_raw).strip() == "-1" else natural(data, "facet.limit", FACET_LIMIT_DEFAULT)
    mincount = natural(data, "facet.mincount", 1) or 0
    packages = ctx.packages(query, 0, ALL)[1]
    plain: dict[str, Any] = {}
    shaped: dict[str, Any] = {}
    for fieldname in fields:
        counts: Counter[str] = Counter()
        titles: dict[str, str] = {}
        for package in packages:
            for name, title in set(_facet_values(package, fieldname)):
                counts[name] += 1
                titles[name] = title
        ranked = sorted((kv for kv in counts.items() if kv[1] >= mincount), key=lambda kv: (-kv[1], kv[0]))
        ranked = ranked if limit is None else ranked[:limit]
        plain[fieldname] = dict(ranked)
        shaped[fieldname] = {
            "title": fieldname,
            "items": [{"count": n, "display_name": titles[name], "name": name} for name, n in ranked],
        }
    return plain, shaped
