from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from yiwang.core import codes

VALID_RIC = "11010519491231002X"  # the GB 11643 example number
VALID_USCC = "91110000600037341L"


def test_the_standard_examples_are_valid() -> None:
    assert codes.ric_error(VALID_RIC) is None
    assert codes.uscc_error(VALID_USCC) is None


def test_people_type_spaces_and_hyphens_and_lower_x() -> None:
    assert codes.ric_error("110105 19491231 002x") is None
    assert codes.uscc_error("9111-0000-6000-3734-1L") is None


def test_a_wrong_check_digit_is_named_in_chinese() -> None:
    assert codes.ric_error("110105194912310021") == "身份证号码校验位错误"
    assert codes.uscc_error("91110000600037341M") == "统一社会信用代码校验位错误"


def test_impossible_birth_dates_are_refused() -> None:
    assert codes.ric_error("110105194902300021") == "身份证号码中的出生日期无效"


@given(
    st.sampled_from(["110105", "310101", "330106", "440305", "510104"]),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(0, 999),
)
def test_ric_check_digit_agrees_with_stdnum(region: str, born: date, seq: int) -> None:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    full = body + codes.ric_check_digit(body)
    assert ric.is_valid(full)
    assert codes.ric_error(full) is None
    wrong = body + ("0" if full[-1] != "0" else "1")
    assert not ric.is_valid(wrong)
    assert codes.ric_error(wrong) == "身份证号码校验位错误"


@given(st.from_regex(r"[1-9]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}", fullmatch=True))
def test_uscc_check_char_agrees_with_stdnum(body: str) -> None:
    full = body + codes.uscc_check_char(body)
    assert uscc.is_valid(full)
    assert codes.uscc_error(full) is None


def test_masking_keeps_only_what_a_clerk_may_see() -> None:
    assert codes.mask_ric(VALID_RIC) == "110105********002X"
    assert codes.mask_phone("13812345678") == "138****5678"
    assert codes.mask_name("张三丰") == "张**"


def test_region_scope_follows_gb2260_hierarchy() -> None:
    assert codes.region_covers("330000", "330106001001")
    assert codes.region_covers("330100", "330106")
    assert codes.region_covers("330106", "330106001")
    assert not codes.region_covers("330106", "330102001")
    assert not codes.region_covers("330100", "320100")


def test_identity_numbers_in_text_are_redacted() -> None:
    text = "/api/v1/exchange/resources/330100-MZ-0001/records/11010519491231002X?x=1"
    assert (
        codes.redact_identity_numbers(text)
        == "/api/v1/exchange/resources/330100-MZ-0001/records/110105********002X?x=1"
    )
    assert codes.redact_identity_numbers("order 1234567890") == "order 1234567890"


def test_header_text_decodes_percent_encoded_utf8_and_flags_control_characters() -> None:
    assert codes.header_text("%E7%AA%97%E5%8F%A3%E4%BA%BA%E5%91%98%20%E5%BC%A0%E4%B8%89") == (
        "窗口人员 张三",
        True,
    )
    assert codes.header_text("plain") == ("plain", True)
    assert codes.header_text("a%00b%0Ac%7F") == ("abc", False)  # NUL, newline, DEL dropped and flagged
    assert codes.header_text("a%00b%0Ac%7F") == ("abc", False)  # the cached answer is the same
