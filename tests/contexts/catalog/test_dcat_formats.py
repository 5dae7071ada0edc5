"""DCAT-AP by content negotiation: the same graph as JSON-LD, Turtle and RDF/XML, and every
property DCAT-AP makes mandatory on the catalogue, each dataset, distribution, data service and
agent, checked in each syntax."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import RDF, Graph, Namespace
from rdflib.compare import isomorphic

from yiwang.contexts.catalog.dcat_rdf import negotiate

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
MANDATORY = {  # DCAT-AP 3.0, section "mandatory properties" of each class
    DCAT.Catalog: (DCTERMS.title, DCTERMS.description, DCTERMS.publisher),
    DCAT.Dataset: (DCTERMS.title, DCTERMS.description),
    DCAT.Distribution: (DCAT.accessURL,),
    DCAT.DataService: (DCTERMS.title, DCAT.endpointURL),
    FOAF.Agent: (FOAF.name,),
}
SYNTAXES = [("application/ld+json", "json-ld"), ("text/turtle", "turtle"), ("application/rdf+xml", "xml")]


def _fetch(client: Any, accept: str | None) -> Any:
    headers = {"Accept": accept} if accept else {}
    return client.get("/api/v1/catalog/dcat", headers=headers)


@pytest.mark.parametrize(("media_type", "syntax"), SYNTAXES)
def test_every_syntax_carries_every_mandatory_property(client: Any, media_type: str, syntax: str) -> None:
    r = _fetch(client, media_type)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media_type) and r.headers["vary"] == "Accept"
    g = Graph().parse(data=r.text, format=syntax)
    datasets = list(g.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) >= 7
    for cls, properties in MANDATORY.items():
        things = list(g.subjects(RDF.type, cls))
        assert things, cls
        for thing in things:
            for prop in properties:
                assert list(g.objects(thing, prop)), (cls, thing, prop)
    for ds in datasets:
        assert list(g.objects(ds, DCAT.distribution)), ds


def test_the_three_syntaxes_are_one_graph(client: Any) -> None:
    graphs = [Graph().parse(data=_fetch(client, m).text, format=f) for m, f in SYNTAXES]
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])


def test_negotiation_follows_q_values_and_refuses_what_it_cannot_give(client: Any) -> None:
    assert negotiate(None) == "application/ld+json"
    assert negotiate("text/turtle;q=0.5, application/rdf+xml") == "application/rdf+xml"
    assert negotiate("application/rdf+xml;q=0.2, text/turtle;q=0.9") == "text/turtle"
    assert negotiate("text/html, */*;q=0.1") == "application/ld+json"
    assert negotiate("text/turtle;q=0") is None and negotiate("image/png") is None
    r = _fetch(client, "image/png")
    assert r.status_code == 406 and r.headers["content-type"].startswith("application/problem+json")
    assert "text/turtle" in r.json()["detail"]
