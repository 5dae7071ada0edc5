"""What each demo account is for, shown on the login page of a non-production install (the
accounts themselves are created by `identity.seed` and `yiwang.demo`)."""

from __future__ import annotations

DEMO_PASSWORD = "yiwang-demo"  # noqa: S105 - printed on the login page of non-production installs

DEMO_LOGINS: tuple[tuple[str, str], ...] = (  # username, what to try with it
    ("citizen", "查看本人信息，以及哪些部门因何事用了我的数据"),
    ("enterprise", "查看本企业登记信息和数据被使用的记录"),
    ("clerk", "综合窗口受理：查询西湖区的自然人和企业"),
    ("clerk2", "上城区窗口：查不到西湖区居民，跨区访问被拒绝并留痕"),
    ("staff", "部门业务：查询辖区人员，提出或审批共享申请"),
    ("grid", "在手机上查看我的网格和辖区人员"),
    ("officer", "数据目录、共享监控、超期督办和审计日志"),
    ("leader", "城市概览、区划地图和共享监控"),
    ("admin", "审计日志与哈希链校验"),
    ("budongchan", "使用方：申请杭州市民政局的婚姻登记信息，获批后在“共享授权”中查询"),
    ("minzheng", "提供方：审批婚姻登记信息的共享申请"),
    ("rexian", "12345热线话务员：受理来电和留言，确认分类并派单，回访"),
    ("renshe", "12345承办部门：在待办中签收、退单、办理并答复热线工单"),
)
