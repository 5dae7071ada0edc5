"""Schemathesis hooks: strategies for the formats the OpenAPI document declares and JSON Schema
cannot compute (check digits). Load with `SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks`."""

from __future__ import annotations

from datetime import date

import schemathesis
from hypothesis import strategies as st

from yiwang.core import codes

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@st.composite
def _ric(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["330102", "330106", "330108", "110101", "440305"]))
    born = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)))
    seq = draw(st.integers(0, 999))
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + codes.ric_check_digit(body)


@st.composite
def _uscc(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["91", "92", "11", "52"])) + draw(st.sampled_from(["330102", "330106"]))
    body = head + "".join(draw(st.lists(st.sampled_from(_USCC_ALPHABET), min_size=9, max_size=9)))
    return body + codes.uscc_check_char(body)


schemathesis.openapi.format("cn-ric", _ric())
schemathesis.openapi.format("cn-uscc", _uscc())
