"""The whole demo city: identity first, then the catalog and the providers' source data."""

from __future__ import annotations

import time

from yiwang.contexts.cityops.seed import seed as seed_cityops
from yiwang.contexts.exchange.seed import seed_sources
from yiwang.contexts.identity import actions_access, department_by_code
from yiwang.contexts.identity.demo import contacts, generate_city
from yiwang.contexts.identity.oidc.seed import seed_sso
from yiwang.contexts.identity.seed import DEMO_PASSWORD, SeedReport, seed_city
from yiwang.contexts.services import seed_grants, seed_items, seed_licenses
from yiwang.contexts.workbench.hotline_seed import seed_hotline
from yiwang.contexts.workbench.knowledge_seed import seed_knowledge
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction
from yiwang.core.errors import Conflict

# The sharing story of the demo: 西湖区不动产登记中心 needs 杭州市民政局's marriage records.
EXCHANGE_ACCOUNTS = (
    ("minzheng", "杭州市民政局数据专员", "330100-civil_affairs", "提供方：审批婚姻登记信息共享申请"),
    ("budongchan", "西湖区不动产登记中心窗口", "330106-real_estate", "使用方：申请并调用婚姻登记信息"),
)
# The 12345 story: 西湖区's hotline operator takes calls; 西湖区人社局 handles labour matters.
HOTLINE_ACCOUNTS = (
    ("rexian", "西湖区12345热线话务员", "330106-government_service", "12345热线：受理诉求、派单、回访"),
    ("renshe", "西湖区人社局热线承办人", "330106-human_resources", "12345热线：签收、退单、办理并答复工单"),
)


def _exchange_accounts(report: SeedReport) -> None:
    for n, (username, name, dept, what) in enumerate(EXCHANGE_ACCOUNTS + HOTLINE_ACCOUNTS, start=1):
        try:
            with transaction() as s:
                if department_by_code(s, dept) is None:
                    continue
                actions_access.user_create(s, SYSTEM, username, DEMO_PASSWORD, name, ["dept_staff"],
                                           department_code=dept, email=contacts.staff_email(username, dept),
                                           mobile=contacts.exchange_mobile(n))  # fmt: skip
        except Conflict:
            pass  # created by an earlier run
        report.logins.append((username, what))


def seed_demo(size: str, seed: int = 2026, progress: bool = False) -> SeedReport:
    start = time.perf_counter()
    report = seed_city(size, seed, progress=progress)
    city = generate_city(size, seed)
    for key, n in seed_sources(city).items():
        report.counts[f"shared data rows ({key})"] = n
    _exchange_accounts(report)
    report.counts.update(seed_hotline())
    report.counts["knowledge articles"] = seed_knowledge()
    with transaction() as s:
        report.counts["service items"] = seed_items(s)
    with transaction() as s:
        report.counts["services' grants (in force)"] = seed_grants(s)
        report.counts["e-licenses"] = seed_licenses(s)
    report.counts["single sign-on (signing key, demo system)"] = seed_sso()
    with transaction() as s:
        for key, n in seed_cityops(s).items():
            report.counts[key] = n
    report.seconds = time.perf_counter() - start
    return report
