"""Chinese names of the identity context's actions and objects (`core.labels`)."""

from __future__ import annotations

from yiwang.core.labels import name_actions, name_object

name_actions({
    "identity.person_read": "查看个人信息",
    "identity.person_list": "查询人员名单",
    "identity.person_update": "修改个人信息",
    "identity.person_create": "登记个人信息",
    "identity.enterprise_read": "查看企业信息",
    "identity.enterprise_list": "查询企业名单",
    "identity.enterprise_create": "登记企业信息",
    "identity.user_create": "创建登录账号",
    "identity.client_create": "登记接入系统",
    "identity.session_create": "登录",
    "identity.session_delete": "退出登录",
    "identity.demo_login_list": "列出演示账号",
    "identity.token_issue": "签发访问令牌",
    "identity.data_access_read": "查看数据使用记录",
    "identity.organisation_read": "查看组织机构",
    "identity.stats_read": "查看城市概览",
    "identity.map_read": "查看区划地图",
    "identity.audit_read": "查看审计日志",
    "identity.audit_verify": "校验审计链",
    "identity.user_list": "查看登录账号",
    "identity.user_update": "修改登录账号",
    "identity.user_disable": "停用或启用账号",
    "identity.user_password_reset": "重置密码",
    "identity.role_list": "查看角色",
    "identity.department_list": "查看部门",
    "identity.department_create": "新建部门",
    "identity.department_update": "修改部门",
    "identity.client_list": "查看接入系统",
    "identity.client_revoke": "停用接入系统",
    "identity.oidc_consent_read": "查看单点登录授权请求",
    "identity.oidc_authorize": "单点登录授权",
    "identity.oidc_token_issue": "签发单点登录令牌",
    "identity.oidc_userinfo_read": "读取单点登录用户信息",
    "identity.oidc_logout": "单点登录退出",
    "identity.oidc_client_list": "查看单点登录接入系统",
    "identity.oidc_client_create": "登记单点登录接入系统",
    "identity.oidc_client_update": "修改单点登录接入系统",
    "identity.oidc_client_revoke": "停用单点登录接入系统",
    "identity.oidc_key_rotate": "轮换单点登录签名密钥",
})  # fmt: skip

for _type, _name, _numbering in (
    ("person", "自然人", "编号 {}"), ("enterprise", "企业", "编号 {}"), ("user", "登录账号", "编号 {}"),
    ("user_account", "登录账号", "编号 {}"), ("api_client", "接入系统", "{}"), ("region", "行政区划", "{}"),
    ("audit_chain", "审计链", "共 {} 条记录"), ("data_subject", "数据使用记录", "{}"),
    ("department", "部门", "编号 {}"), ("oidc_client", "单点登录接入系统", "{}"), ("oidc_code", "单点登录授权码", "编号 {}"),
    ("oidc_key", "单点登录签名密钥", "{}"), ("oidc_token", "单点登录令牌", "编号 {}"),
):  # fmt: skip
    name_object(_type, _name, _numbering)
