"""Chinese names of the workbench's actions and objects (`core.labels`)."""

from __future__ import annotations

from yiwang.core.labels import name_actions, name_object

name_actions({
    "workbench.todo_read": "查看待办",
    "workbench.case_read": "查看案件",
    "workbench.case_transition": "在待办中办理案件",
    "workbench.case_supervise": "督办案件",
    "workbench.supervision_end": "结束督办",
    "workbench.supervision_list": "查看督办清单",
    "workbench.workflow_read": "查看流程定义",
    "workbench.task_create": "接入系统推送待办",
    "workbench.task_read": "接入系统读取待办",
    "workbench.task_update": "接入系统更新待办",
    "workbench.task_close": "接入系统办结待办",
    "workbench.notification_list": "查看我的消息",
    "workbench.notification_mark_read": "消息标为已读",
    "workbench.notification_mark_all_read": "全部消息标为已读",
    "workbench.notification_failure_list": "查看未送达的消息",
    "workbench.notification_retry": "重发未送达的消息",
    "workbench.article_search": "检索知识库",
    "workbench.article_read": "查看知识库文章",
    "workbench.article_write": "编写知识库文章",
    "workbench.article_import": "批量导入知识库",
    "workbench.consult_ask": "智能咨询",
})  # fmt: skip

for _type, _name in (
    ("task", "待办"), ("facts", "案件"), ("in_place", "案件办理"), ("supervision_target", "督办"),
    ("client_task", "接入系统的待办"), ("notification_delivery", "消息发送"), ("notification", "消息"),
    ("knowledge_article", "知识库文章"),
):  # fmt: skip
    name_object(_type, _name)
