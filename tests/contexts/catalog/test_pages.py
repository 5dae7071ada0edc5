"""The catalog pages: browsing, searching, filtering, paging, one resource, and escaping."""

from __future__ import annotations

import re
from typing import Any

import pytest

NAMES = [
    "户籍人口信息",
    "婚姻登记信息",
    "社保参保信息",
    "出生医学证明",
    "企业登记信息",
    "纳税信用等级",
    "不动产登记信息",
]


def _rows(html: str) -> list[str]:
    return re.findall(r'class="cat-name" href="/catalog/[^"]+">([^<]+)</a>', html)


def test_pages_need_a_login(client: Any) -> None:
    r = client.get("/catalog", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/catalog")
    assert client.get("/catalog/330100-MZ-0001", follow_redirects=False).status_code == 303


def test_the_catalog_lists_the_seven_demo_resources(as_user: Any) -> None:
    r = as_user("officer").get("/catalog")
    assert r.status_code == 200
    assert sorted(_rows(r.text)) == sorted(NAMES)
    assert "共 7 个信息资源" in r.text
    for badge in ("无条件共享", "有条件共享", "不予共享"):
        assert badge in r.text
    assert "市民政局" in r.text and "每日" in r.text


def test_search_finds_marriage_registration(as_user: Any) -> None:
    c = as_user("staff")
    assert _rows(c.get("/catalog", params={"q": "婚姻"}).text) == ["婚姻登记信息"]
    assert _rows(c.get("/catalog", params={"q": "配偶姓名"}).text) == ["婚姻登记信息"]  # a field label
    empty = c.get("/catalog", params={"q": "没有这种资源"})
    assert _rows(empty.text) == [] and "没有符合条件的信息资源" in empty.text


def test_filters_by_share_type_and_provider(as_user: Any) -> None:
    c = as_user("clerk")
    assert sorted(_rows(c.get("/catalog", params={"share": "unconditional"}).text)) == [
        "企业登记信息",
        "纳税信用等级",
    ]
    assert _rows(c.get("/catalog", params={"share": "none"}).text) == ["不动产登记信息"]
    assert _rows(c.get("/catalog", params={"provider": "330100-civil_affairs"}).text) == ["婚姻登记信息"]
    assert (
        _rows(c.get("/catalog", params={"provider": "330100-civil_affairs", "share": "unconditional"}).text)
        == []
    )
    assert _rows(c.get("/catalog", params={"provider": "nope"}).text) == []
    assert len(_rows(c.get("/catalog", params={"share": "bogus"}).text)) == 7  # unknown share type: no filter
    themed = c.get("/catalog", params={"theme": "主题信息资源/婚姻"})
    assert _rows(themed.text) == ["婚姻登记信息"]


def test_paging_links_keep_the_filters(as_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from yiwang.contexts.catalog import pages

    monkeypatch.setattr(pages, "PAGE", 3)
    c = as_user("leader")
    first = c.get("/catalog", params={"share": "conditional"})  # 4 conditional resources
    assert len(_rows(first.text)) == 3 and "第 1 / 2 页" in first.text
    assert 'href="/catalog?share=conditional&amp;page=2" rel="next"' in first.text
    second = c.get("/catalog", params={"share": "conditional", "page": 2})
    assert len(_rows(second.text)) == 1 and 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert set(_rows(first.text)).isdisjoint(_rows(second.text))
    assert c.get("/catalog", params={"page": 0}).status_code == 422


def test_resource_page_shows_fields_sharing_and_loads_consumers_by_htmx(as_user: Any) -> None:
    r = as_user("officer").get("/catalog/330100-MZ-0001")
    assert r.status_code == 200
    html = r.text
    assert "<h1>婚姻登记信息" in html and "结婚、离婚登记结果" in html
    assert "有条件共享" in html and "《婚姻登记条例》" in html and "不予开放" in html
    for label in ("公民身份号码", "配偶身份号码", "登记机关", "婚姻状况"):
        assert label in html
    for level in ("公开", "敏感", "高度敏感"):
        assert f">{level}</span>" in html
    assert "<td>是</td>" in html and "<td>否</td>" in html
    assert "其中个人信息 7 项" in html
    assert 'hx-get="/exchange/resources/330100-MZ-0001/consumers"' in html and 'hx-trigger="load"' in html
    assert "谁在使用" in html and 'data-catalog-fallback="暂无使用方"' in html
    assert '<script src="/static/js/catalog-consumers.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline scripts are refused by the CSP"


def test_resource_page_codes_are_case_insensitive_and_unknown_ones_404(as_user: Any) -> None:
    c = as_user("staff")
    assert c.get("/catalog/330100-mz-0001").status_code == 200
    missing = c.get("/catalog/330100-XX-0404")
    assert missing.status_code == 404 and "不存在" in missing.text


def test_user_text_is_escaped(as_user: Any) -> None:
    evil = '"><script>alert(1)</script>'
    r = as_user("officer").get("/catalog", params={"q": evil})
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<script>alert" not in as_user("staff").get("/catalog", params={"theme": evil}).text


def test_nav_and_home_cards(as_user: Any) -> None:
    for username in ("officer", "staff", "clerk", "leader", "admin"):
        home = as_user(username).get("/").text
        assert 'href="/catalog"' in home and "数据目录" in home, username
    assert 'href="/catalog"' in as_user("grid").get("/").text  # the menu, for every staff role
    assert 'href="/catalog"' not in as_user("citizen").get("/").text


def test_the_consumers_script_is_served(client: Any) -> None:
    r = client.get("/static/js/catalog-consumers.js")
    assert r.status_code == 200 and "htmx:responseError" in r.text
