"""Contact details of the demo accounts: fake but well-formed, so notifications can be shown.

Email domains end in `.example` (RFC 2606: never a real mailbox); mobile numbers are valid
mainland numbers in the 199 0000 / 199 1000 / 199 2000 blocks, numbered per account.
"""

from __future__ import annotations

# GB/T 2260 code -> the label of the district's government mail domain (城市: hz.gov.cn)
DOMAIN_LABELS = {
    "330102": "shangcheng", "330105": "gongshu", "330106": "xihu", "330108": "binjiang",
    "330109": "xiaoshan", "330110": "yuhang", "330111": "fuyang", "330112": "linan", "330113": "linping",
    "330114": "qiantang", "330122": "tonglu", "330127": "chunan", "330182": "jiande",
}  # fmt: skip
CITY_DOMAIN = "hz.gov.cn.example"


def staff_email(username: str, department_code: str) -> str:
    """e.g. budongchan@xihu.hz.gov.cn.example for 西湖区不动产登记中心, clerk@hz.gov.cn.example."""
    label = DOMAIN_LABELS.get(department_code.split("-", 1)[0])
    return f"{username}@{label}.{CITY_DOMAIN}" if label else f"{username}@{CITY_DOMAIN}"


def staff_mobile(n: int) -> str:
    """The n-th demo staff member's mobile number (n from 1)."""
    return f"1990000{n:04d}" if n < 10_000 else f"199{n:08d}"


CITIZEN_EMAIL, CITIZEN_MOBILE = "citizen@mail.example", "19910000001"
ENTERPRISE_EMAIL, ENTERPRISE_MOBILE = "enterprise@corp.example", "19910000002"


def exchange_mobile(n: int) -> str:
    """The demo sharing story's accounts (minzheng, budongchan), n from 1."""
    return f"1992000{n:04d}"
