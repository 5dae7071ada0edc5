"""Chinese names of the services context's actions and objects (`core.labels`)."""

from __future__ import annotations

from yiwang.core.labels import name_actions, name_object

name_actions({
    "services.item_read": "查看办事指南",
    "services.application_submit": "提交办件申请",
    "services.application_read": "查看办件",
    "services.application_list": "查看办件列表",
    "services.file_upload": "上传申请材料",
    "services.bundle_submit": "提交一件事申请",
    "services.bundle_read": "查看一件事申请",
    "services.license_issue": "核发电子证照",
    "services.license_verify": "核验电子证照",
    "services.license_revoke": "撤销电子证照",
    "services.license_reuse": "以电子证照代替申请材料",
    "services.evaluation_submit": "提交好差评",
    "services.rectification_rectify": "提交差评整改情况",
    "services.rectification_appeal": "对差评提出申诉",
    "services.rectification_accept_appeal": "认定差评申诉成立",
    "services.rectification_reject_appeal": "驳回差评申诉",
    "services.rectification_follow_up": "完成差评回访",
    "services.application_accept": "受理办件",
    "services.application_reject_acceptance": "不予受理办件",
    "services.application_request_supplement": "要求补正材料",
    "services.application_supplement": "提交补正材料",
    "services.application_review": "审查办件",
    "services.application_decide": "作出准予决定",
    "services.application_refuse": "作出不予许可决定",
    "services.application_complete": "办结办件",
    "services.application_withdraw": "撤回办件申请",
})  # fmt: skip

for _type, _name in (
    ("service_item", "政务服务事项"), ("service_application", "办件"), ("submit_target", "办件申请"),
    ("application_target", "办件"), ("service_file", "申请材料文件"),
    ("service_bundle_application", "一件事申请"), ("service_elicense", "电子证照"),
    ("service_evaluation", "好差评"), ("evaluation_target", "好差评"), ("bundle_target", "一件事申请"),
):  # fmt: skip
    name_object(_type, _name)
