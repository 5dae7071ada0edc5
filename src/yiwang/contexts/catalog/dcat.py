"""DCAT-AP JSON-LD export of the catalog. Being written."""

from typing import Any


def catalog_jsonld(items: list[Any], base_url: str) -> dict[str, Any]:
    return {}
