"""The DCAT-AP export in every RDF syntax portals harvest: JSON-LD as built by `dcat.py`, and
Turtle and RDF/XML serialised from the same graph by rdflib, chosen by content negotiation
(RFC 9110 §12.5.1: the Accept header's media ranges and q-values; JSON-LD when there is none)."""

from __future__ import annotations

import json
from typing import Any

from rdflib import Graph

from yiwang.contexts.catalog.dcat import CONTEXT

JSONLD, TURTLE, RDFXML = "application/ld+json", "text/turtle", "application/rdf+xml"
FORMATS = {JSONLD: "json-ld", TURTLE: "turtle", RDFXML: "xml"}  # media type -> rdflib format
ALIASES = {"application/json": JSONLD, "application/x-turtle": TURTLE, "application/xml": RDFXML,
           "text/xml": RDFXML}  # fmt: skip


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts none of them (406)."""
    if not accept or not accept.strip():
        return JSONLD
    offers: list[tuple[float, int, str]] = []
    for order, item in enumerate(accept.split(",")[:30]):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for p in params:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        media = media.lower()
        if q <= 0:
            continue
        if media in ("*/*", "application/*"):
            offers.append((q, -order, JSONLD))
        elif media == "text/*":
            offers.append((q, -order, TURTLE))
        elif media in FORMATS or media in ALIASES:
            offers.append((q, -order, ALIASES.get(media, media)))
    return max(offers)[2] if offers else None


def serialise(doc: dict[str, Any], media_type: str) -> str:
    if media_type == JSONLD:
        return json.dumps(doc, ensure_ascii=False)
    graph = Graph()
    for prefix, iri in CONTEXT.items():
        graph.bind(prefix, iri)
    graph.parse(data=json.dumps(doc, ensure_ascii=False), format="json-ld")
    return graph.serialize(format=FORMATS[media_type])
