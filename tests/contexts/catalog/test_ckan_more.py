"""More of CKAN's Action API through the unmodified ckanapi client: status, licences, tags,
groups, resources, facets; and a whole-catalogue harvest done the way ckanext-harvest's CKAN
harvester gathers (GET package_search, `sort=id asc`, pages of `rows` until an empty one,
`fq=metadata_modified:[<since>Z TO *]` for the incremental run, duplicates weeded out)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import ckanapi
import httpx2 as httpx
import pytest
from sqlalchemy import text

from tests.contexts.catalog.conftest import DEMO_CODES
from yiwang.core.db import transaction

NAMES = sorted(c.lower() for c in DEMO_CODES)


def test_status_show_describes_the_site(ckan: Any, live_server: str) -> None:
    status = ckan.action.status_show()
    assert set(status) == {"site_title", "site_description", "site_url", "ckan_version", "error_emails_to",
                           "locale_default", "extensions"}  # fmt: skip
    assert status["site_url"] == live_server and status["ckan_version"].startswith("2.")
    assert isinstance(status["extensions"], list)


def test_license_list_names_every_licence_a_dataset_carries(ckan: Any) -> None:
    licences = {lic["id"]: lic for lic in ckan.action.license_list()}
    assert {"other-open", "other-closed"} <= set(licences)
    for lic in licences.values():
        assert {"id", "title", "url", "status", "od_conformance", "osd_conformance"} <= set(lic)
    used = {p["license_id"] for p in ckan.action.package_search(rows=100)["results"]}
    assert used <= set(licences)


def test_tag_list_gives_every_tag_once_and_filters(ckan: Any) -> None:
    tags = ckan.action.tag_list()
    assert tags == sorted(set(tags)) and "婚姻" in tags and "营业执照" in tags
    assert ckan.action.tag_list(query="营业") == [t for t in tags if "营业" in t]
    assert {"id": "婚姻", "name": "婚姻", "vocabulary_id": None} in ckan.action.tag_list(all_fields=True)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.tag_list(vocabulary_id="no-such-vocabulary")


def test_group_list_is_empty_because_departments_are_organisations(ckan: Any) -> None:
    assert ckan.action.group_list() == [] and ckan.action.group_list(all_fields=True) == []


def test_resource_show_gives_the_resource_of_a_dataset(ckan: Any) -> None:
    pkg = ckan.action.package_show(id="330100-mz-0001")
    res = ckan.action.resource_show(id=pkg["resources"][0]["id"])
    assert res == pkg["resources"][0]
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="330100-mz-0001")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.resource_show()


def test_package_search_counts_facets_like_solr(ckan: Any) -> None:
    found = ckan.action.package_search(
        **{"facet.field": json.dumps(["organization", "tags", "res_format", "license_id"]), "rows": 0}
    )
    assert found["results"] == [] and found["count"] == len(NAMES)
    assert sum(found["facets"]["organization"].values()) == len(NAMES)
    assert found["facets"]["organization"]["330100-civil_affairs"] == 1
    assert found["facets"]["res_format"] == {"API": len(NAMES)}
    assert found["facets"]["tags"]["婚姻"] == 1
    items = found["search_facets"]["organization"]["items"]
    assert found["search_facets"]["organization"]["title"] == "organization"
    assert [i["count"] for i in items] == sorted((i["count"] for i in items), reverse=True)
    civil = next(i for i in items if i["name"] == "330100-civil_affairs")
    assert civil["display_name"].endswith("民政局")
    narrowed = ckan.action.package_search(
        fq="organization:330100-civil_affairs", **{"facet.field": '["tags"]', "facet.limit": 2}
    )
    assert narrowed["count"] == 1 and len(narrowed["facets"]["tags"]) == 2
    assert narrowed["facets"].keys() == {"tags"}
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(**{"facet.field": "organization"})  # CKAN wants a JSON list


def test_res_format_and_tags_filters(ckan: Any) -> None:
    assert ckan.action.package_search(fq='res_format:"API"', rows=0)["count"] == len(NAMES)
    assert ckan.action.package_search(fq="res_format:CSV", rows=0)["count"] == 0
    assert ckan.action.package_search(fq="tags:婚姻", rows=0)["count"] == 1


def _gather(base: str, fq_terms: list[str], rows: int) -> list[dict[str, Any]]:
    """ckanext-harvest's CKANHarvester._search_for_datasets, step for step."""
    params = {"rows": str(rows), "start": "0", "sort": "id asc"}
    if fq_terms:
        params["fq"] = " ".join(fq_terms)
    pkg_dicts: list[dict[str, Any]] = []
    pkg_ids: set[str] = set()
    previous = None
    while True:
        content = httpx.get(f"{base}/api/3/action/package_search?{urlencode(params)}", timeout=30).text
        assert content != previous, "the paging does not seem to work"
        previous = content
        page = json.loads(content).get("result", {}).get("results", [])
        ids = {p["id"] for p in page}
        pkg_dicts += [p for p in page if p["id"] not in pkg_ids]
        pkg_ids |= ids
        if not page:
            return pkg_dicts
        params["start"] = str(int(params["start"]) + int(params["rows"]))


def test_a_harvester_gathers_the_whole_catalogue_then_only_what_changed(live_server: str) -> None:
    everything = _gather(live_server, [], rows=3)
    assert sorted(p["name"] for p in everything) == NAMES  # every dataset, each once, over three pages
    assert all(p["resources"] and p["organization"] for p in everything)

    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    with transaction() as s:  # the provider updates one resource's metadata
        s.execute(text("UPDATE data_resource SET updated_at = :now WHERE code = '330100-MZ-0001'"),
                  {"now": datetime.now(UTC)})  # fmt: skip
    fq = f"metadata_modified:[{since.isoformat()}Z TO *]"
    changed = _gather(live_server, [fq], rows=3)
    assert [p["name"] for p in changed] == ["330100-mz-0001"]
    # the harvester's own margin (an hour before its last run) only ever gathers more
    margin = f"metadata_modified:[{(since - timedelta(hours=1)).isoformat()}Z TO *]"
    assert "330100-mz-0001" in {p["name"] for p in _gather(live_server, [margin], rows=100)}
    by_org = _gather(live_server, ["organization:330100-civil_affairs", fq], rows=1)
    assert [p["name"] for p in by_org] == ["330100-mz-0001"]
