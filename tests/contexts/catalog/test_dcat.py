"""The DCAT-AP export read back as RDF with rdflib: the triples a portal harvester relies on."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from yiwang.contexts.catalog.dcat import access_rights_iri, frequency_iri

# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # plain namespaces: rdflib's closed ones warn
DCTERMS = Namespace("http://purl.org/dc/terms/")  # when pytest inspects module attributes
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
EU = "http://publications.europa.eu/resource/authority"
ACCESS = Namespace(f"{EU}/access-right/")
FREQ = Namespace(f"{EU}/frequency/")


def _graph(client: Any) -> Graph:
    r = client.get("/api/v1/catalog/dcat.jsonld")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    return Graph().parse(data=r.text, format="json-ld")


def _zh(g: Graph, subject: Any, predicate: Any) -> str:
    values = list(g.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    value = values[0]
    assert isinstance(value, Literal) and (value.language or "").lower() == "zh-cn", value
    return str(value)


def test_the_catalog_has_seven_datasets_each_titled_distributed_and_with_access_rights(client: Any) -> None:
    g = _graph(client)
    (catalog,) = list(g.subjects(RDF.type, DCAT.Catalog))
    assert _zh(g, catalog, DCTERMS.title) == "一网政务信息资源目录"
    assert _zh(g, catalog, DCTERMS.description)
    assert (next(g.objects(catalog, DCTERMS.publisher)), RDF.type, FOAF.Agent) in g
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 7
    assert set(g.objects(catalog, DCAT.dataset)) == datasets
    allowed = {ACCESS.PUBLIC, ACCESS.RESTRICTED, ACCESS.NON_PUBLIC}
    for ds in datasets:
        assert _zh(g, ds, DCTERMS.title)
        assert _zh(g, ds, DCTERMS.description)
        assert len(list(g.objects(ds, DCTERMS.identifier))) == 1
        (rights,) = list(g.objects(ds, DCTERMS.accessRights))
        assert rights in allowed
        (publisher,) = list(g.objects(ds, DCTERMS.publisher))
        assert (publisher, RDF.type, FOAF.Agent) in g and _zh(g, publisher, FOAF.name)
        assert list(g.objects(ds, DCAT.keyword)) and list(g.objects(ds, DCAT.theme))
        (dist,) = list(g.objects(ds, DCAT.distribution))
        assert (dist, RDF.type, DCAT.Distribution) in g
        (access_url,) = list(g.objects(dist, DCAT.accessURL))
        assert isinstance(access_url, URIRef) and str(access_url).endswith("/records")
        assert list(g.objects(dist, DCTERMS["format"])) and _zh(g, dist, DCTERMS.title)


def test_codes_frequencies_and_access_rights_map_to_eu_vocabularies(client: Any) -> None:
    g = _graph(client)
    by_code = {
        str(code): ds
        for ds, code in g.subject_objects(DCTERMS.identifier)
        if (ds, RDF.type, DCAT.Dataset) in g
    }
    marriage = by_code["330100-MZ-0001"]
    assert _zh(g, marriage, DCTERMS.title) == "婚姻登记信息"
    assert set(g.objects(marriage, DCTERMS.accrualPeriodicity)) == {FREQ.DAILY}
    assert set(g.objects(marriage, DCTERMS.accessRights)) == {ACCESS.RESTRICTED}
    assert set(g.objects(by_code["330100-GA-0001"], DCTERMS.accrualPeriodicity)) == {FREQ.CONT}
    assert set(g.objects(by_code["330100-RS-0001"], DCTERMS.accrualPeriodicity)) == {FREQ.MONTHLY}
    assert set(g.objects(by_code["330100-SW-0001"], DCTERMS.accrualPeriodicity)) == {FREQ.ANNUAL}
    assert set(g.objects(by_code["330100-SJ-0001"], DCTERMS.accessRights)) == {ACCESS.PUBLIC}
    assert set(g.objects(by_code["330100-BDC-0001"], DCTERMS.accessRights)) == {ACCESS.NON_PUBLIC}
    keywords = {str(k) for k in g.objects(marriage, DCAT.keyword)}
    assert keywords == {"婚姻", "结婚证", "民政"}


def test_mapping_helpers() -> None:
    assert frequency_iri("每日") == f"{EU}/frequency/DAILY"
    assert frequency_iri("随时看心情") == f"{EU}/frequency/UNKNOWN"
    assert access_rights_iri("none") == f"{EU}/access-right/NON_PUBLIC"
