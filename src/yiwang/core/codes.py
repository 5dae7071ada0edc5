"""National identifier standards: GB 11643 identity numbers, GB 32100 credit codes, masking.

Pure functions; the check digits are computed here so that the demo generator and the
validators agree, and python-stdnum cross-checks them in the tests.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from urllib.parse import unquote

_RIC_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_RIC_ZEROS = ord("0") * sum(_RIC_WEIGHTS)  # what the ASCII codes add over the digits' values
_RIC_CHECK = "10X98765432"
_RIC_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_SEPARATORS = re.compile(r"[\s\-]+")
_STARTED_YEAR = date.today().year


# What a valid number looks like (the check digit aside), for schemas that declare the rule.
RIC_PATTERN = r"^[0-9]{6}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$"
USCC_PATTERN = r"^[1-9ANY][1-9Y][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$"


def compact(value: str) -> str:
    """Strip spaces and hyphens and upper-case: how people type these numbers."""
    return _SEPARATORS.sub("", value).upper()


def ric_check_digit(body17: str) -> str:
    """Check character of an 18-digit resident identity number (GB 11643, ISO 7064 MOD 11-2)."""
    if len(body17) != 17 or not (body17.isascii() and body17.isdigit()):
        raise ValueError("the body of an identity number is 17 digits")
    total = sum(map(operator.mul, body17.encode(), _RIC_WEIGHTS)) - _RIC_ZEROS  # in C: hot in batches
    return _RIC_CHECK[total % 11]


def ric_error(value: str) -> str | None:
    """Why `value` is not a valid identity number, in Chinese, or None if it is valid."""
    v = compact(value)
    if not _RIC_SHAPE.fullmatch(v):
        return "身份证号码应为18位，前17位为数字，最后一位为数字或X"
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效"
    # only a birth in or after the year this process started can lie in the future (the
    # clock is read then alone: a batch validates up to 1,000 numbers)
    if born.year < 1900 or (born.year >= _STARTED_YEAR and born > date.today()):
        return "身份证号码中的出生日期无效"
    if ric_check_digit(v[:17]) != v[17]:
        return "身份证号码校验位错误"
    return None


def ric_birth_date(value: str) -> date:
    v = compact(value)
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def ric_gender(value: str) -> str:
    """'M' or 'F' from the sequence code's parity."""
    return "M" if int(compact(value)[16]) % 2 else "F"


def uscc_check_char(body17: str) -> str:
    """Check character of a unified social credit code (GB 32100, MOD 31)."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    """Why `value` is not a valid unified social credit code, in Chinese, or None."""
    v = compact(value)
    if len(v) != 18 or any(c not in _USCC_ALPHABET for c in v):
        return "统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）"
    if v[0] not in "123456789ANY" or v[1] not in "123456789Y":
        return "统一社会信用代码的登记管理部门码或机构类别码无效"
    if not re.fullmatch(r"[0-9]{6}", v[2:8]):
        return "统一社会信用代码中的登记管理机关行政区划码无效"
    if uscc_check_char(v[:17]) != v[17]:
        return "统一社会信用代码校验位错误"
    return None


_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def phone_error(value: str) -> str | None:
    v = compact(value).removeprefix("+86")
    if not _MOBILE.fullmatch(v):
        return "手机号码应为11位，以1开头"
    return None


def mobile_error(value: str) -> str | None:
    """Why `value` is not a mainland China mobile number (phonenumbers' CN metadata), or None."""
    import phonenumbers

    try:
        number = phonenumbers.parse(compact(value), "CN")
    except phonenumbers.NumberParseException:
        return "手机号码格式不正确"
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return "不是有效的中国大陆手机号码"
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        return "不是手机号码（固定电话不能接收短信）"
    return None


def mobile_number(value: str) -> str:
    """A valid mobile number as stored: its 11 digits. ValueError (Chinese) when invalid."""
    import phonenumbers

    _refuse_invalid(value, mobile_error)
    return str(phonenumbers.parse(compact(value), "CN").national_number)


_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_EMAIL_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def email_error(value: str) -> str | None:
    """Why `value` is not an email address we can send to (RFC 5321 dot-atom, ASCII), or None."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local or not domain:
        return "电子邮箱应为 名称@域名 的形式"
    if len(value.strip()) > 254 or len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        return "电子邮箱的名称部分格式不正确"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL.fullmatch(x) for x in labels) or not labels[-1].isalpha():
        return "电子邮箱的域名格式不正确"
    return None


def email_address(value: str) -> str:
    """A valid email address as stored (domain in lower case). ValueError (Chinese) when invalid."""
    _refuse_invalid(value, email_error)
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def _refuse_invalid(value: str, error_of: Callable[[str], str | None]) -> None:
    error = error_of(value)
    if error:
        raise ValueError(error)


def mask_email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_ric(value: str) -> str:
    v = compact(value)
    return v[:6] + "*" * 8 + v[-4:]


def mask_phone(value: str) -> str:
    v = compact(value).removeprefix("+86")
    return v[:3] + "****" + v[-4:]


def mask_name(value: str) -> str:
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else value


def region_prefix(code: str) -> str:
    """The significant prefix of a GB/T 2260 code: 330000 -> 33, 330100 -> 3301, 330106 -> 330106.

    Street (9-digit) and community (12-digit) codes are their own prefix.
    """
    if len(code) == 6:
        if code[2:] == "0000":
            return code[:2]
        if code[4:] == "00":
            return code[:4]
    return code


def printable(text: str) -> str:
    """The text without control characters (which no name or purpose needs, and which
    PostgreSQL refuses in text columns: U+0000)."""
    return "".join(ch for ch in text if ch >= " " and ch != "\x7f")


@lru_cache(maxsize=4096)
def header_text(value: str) -> tuple[str, bool]:
    """A percent-encoded UTF-8 header value (X-User, X-Purpose) decoded without control
    characters, and whether it had none. Cached: the same staff and purposes come with call
    after call, and decoding twice per call (the caller, then the use) cost ~25 µs of each."""
    text = unquote(value)
    clean = printable(text)
    return clean, clean == text


def region_covers(scope_code: str, target_code: str) -> bool:
    """Whether an administrative scope (a region code) contains the target region code."""
    return target_code.startswith(region_prefix(scope_code))


_RIC_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")


def redact_identity_numbers(text: str) -> str:
    """Mask anything shaped like an identity number (for logs, URLs echoed in errors)."""
    return _RIC_IN_TEXT.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
