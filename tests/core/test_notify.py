"""Notifications: a subscriber of an event sends one message per person on each channel, in
its own transaction (exactly once per event, a replay sends nothing twice); the delivery job
sends email through an SMTP server and SMS through the gateway with no transaction open,
backs off while a server is down, fails after the last attempt, and a late outcome of a
worker whose lease ran out changes nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.core.notify_story import TEMPLATE, SmtpServer, publish
from tests.core.notify_story import sms as sms  # the fixtures, by name
from tests.core.notify_story import smtp as smtp
from tests.core.notify_story import subscribed as subscribed
from yiwang.contexts.identity import actions_access
from yiwang.core import events_dispatch, notify, notify_delivery, notify_email, notify_sms
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction, utcnow
from yiwang.core.notify import Notification, NotificationDelivery
from yiwang.settings import get_settings

BUDONGCHAN_EMAIL = "budongchan@xihu.hz.gov.cn.example"
BUDONGCHAN_MOBILE = "19920000002"


def _messages(event_seq: int) -> list[notify.Message]:
    with transaction() as s:
        rows = s.scalars(select(Notification).where(Notification.event_seq == event_seq)).all()
        return [notify.with_deliveries(s, n) for n in rows]


def _delivery(delivery_id: int) -> NotificationDelivery:
    with transaction() as s:
        d = s.get(NotificationDelivery, delivery_id)
        assert d is not None
        return d


def _run(now: datetime | None = None) -> notify_delivery.DeliveryReport:
    """One round of the job, large enough for what other tests of this process left pending."""
    return notify_delivery.deliver_due(now=now, limit=1000)


def _channel(m: notify.Message, channel: str) -> NotificationDelivery:
    (d,) = [d for d in m.deliveries if d.channel == channel]
    return d


def _item() -> str:
    return f"不动产登记 {uuid.uuid4().hex[:6]}"


def test_templates_render_chinese_with_the_recipients_name_and_fail_loudly_on_a_missing_value() -> None:
    shown = notify.render(TEMPLATE, {"item": "出生一件事", "name": "王芳"})
    assert shown.title == "您申请的“出生一件事”已办结"
    assert (
        shown.body.startswith("王芳，您好：") and shown.sms == "您申请的“出生一件事”已办结，请登录一网查看。"
    )
    with pytest.raises(RuntimeError, match="item"):
        notify.render(TEMPLATE, {"name": "王芳"})
    with pytest.raises(RuntimeError, match="unknown notification template"):
        notify.render("test.nothing_like_it", {})
    with pytest.raises(RuntimeError, match="two notification templates"):
        notify.template(TEMPLATE, "另一个标题", "正文")
    with pytest.raises(Exception, match="unexpected"):
        notify.template("test.broken", "{{ item ", "正文")


def test_a_subscriber_sends_in_app_email_and_sms_to_a_demo_account(subscribed, smtp: SmtpServer, sms) -> None:
    item = _item()
    seq = publish(item, "budongchan")
    (m,) = _messages(seq)
    assert m.notification.title == f"您申请的“{item}”已办结" and m.unread
    assert [(d.channel, d.status) for d in m.deliveries] == [("in_app", "sent"), ("email", "pending"),
                                                               ("sms", "pending")]  # fmt: skip
    assert (
        _channel(m, "email").address == BUDONGCHAN_EMAIL and _channel(m, "sms").address == BUDONGCHAN_MOBILE
    )

    report = _run()
    mine = {_channel(m, "email").id, _channel(m, "sms").id}
    assert {i: report.outcomes[i] for i in mine} == {i: "sent" for i in mine}

    (mail,) = [x for x in smtp.mailbox.to(BUDONGCHAN_EMAIL) if item in str(x["Subject"])]
    assert mail["Subject"] == f"您申请的“{item}”已办结"  # decoded from RFC 2047
    assert mail["To"].addresses[0].display_name == "西湖区不动产登记中心窗口"
    assert mail["From"].addresses[0].display_name == "一网政务服务平台"
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail["Content-Transfer-Encoding"] == "base64" and mail["Message-ID"] and mail["Date"]
    text = mail.get_content()
    assert f"西湖区不动产登记中心窗口，您好：您申请的“{item}”已办结" in text
    assert f"查看详情：{get_settings().public_url}/notifications" in text
    raw = mail.as_bytes()
    assert raw.isascii() and b"=?utf-8?" in raw  # 7-bit clean on the wire: any server takes it

    (text_message,) = [x for x in sms.to(BUDONGCHAN_MOBILE) if item in x.text]
    assert text_message.text == f"【一网政务】您申请的“{item}”已办结，请登录一网查看。"

    (m,) = _messages(seq)
    assert {d.channel: d.status for d in m.deliveries} == {"in_app": "sent", "email": "sent", "sms": "sent"}
    assert _channel(m, "email").provider_id == mail["Message-ID"]
    assert _channel(m, "sms").provider_id == text_message.message_id


def test_replaying_the_event_sends_nothing_twice(subscribed, smtp: SmtpServer, sms) -> None:
    item = _item()
    since = utcnow() - timedelta(seconds=1)
    seq = publish(item, "budongchan", "citizen")
    _run()
    assert len(_messages(seq)) == 2
    report = events_dispatch.replay(since)
    assert report.requeued >= 1 and report.dispatched >= 1
    _run()
    assert len(_messages(seq)) == 2
    assert len([x for x in smtp.mailbox.received if item in str(x[1]["Subject"])]) == 2
    assert len([x for x in sms.sent if item in x.text]) == 2


def _fail_until(delivery_id: int, start: datetime, times: int) -> list[datetime]:
    """Run the job each time the delivery is due; the times it was attempted at."""
    at, seen = start, []
    for _ in range(times):
        assert _run(now=at).outcomes.get(delivery_id) in ("pending", "failed")
        seen.append(at)
        d = _delivery(delivery_id)
        if d.status == "failed":
            break
        assert d.next_attempt_at is not None
        assert (
            _run(now=d.next_attempt_at - timedelta(milliseconds=1)).outcomes.get(delivery_id) is None
        )  # not due before its time
        at = d.next_attempt_at
    return [*seen, at]


def test_a_down_smtp_server_means_growing_waits_then_delivery_when_it_is_back(
    subscribed, smtp: SmtpServer
) -> None:
    smtp.stop()
    item = _item()
    (m,) = _messages(publish(item, "budongchan", channels=("email",)))
    did = _channel(m, "email").id
    t0, t1, t2, t3 = _fail_until(did, utcnow(), 3)
    d = _delivery(did)
    assert d.status == "pending" and d.attempts == 3 and "无法连接邮件服务器" in (d.last_error or "")
    assert timedelta(0) < t1 - t0 <= t2 - t1 <= t3 - t2 and t3 - t2 > t1 - t0  # exponential backoff
    assert not m.unread  # sent by email only: nothing waits in the app, yet it is in the list

    smtp.start()
    assert _run(now=t3).outcomes[did] == "sent"
    d = _delivery(did)
    assert d.status == "sent" and d.attempts == 4 and d.last_error is None
    assert len([x for x in smtp.mailbox.received if item in str(x[1]["Subject"])]) == 1


def test_a_server_that_refuses_for_now_is_retried_and_a_refused_address_fails_at_once(
    subscribed, smtp: SmtpServer
) -> None:
    smtp.mailbox.refuse = "451 4.3.0 mailbox busy, try later"
    (m,) = _messages(publish(_item(), "budongchan", channels=("email",)))
    did = _channel(m, "email").id
    assert _run().outcomes[did] == "pending"
    assert "451" in (_delivery(did).last_error or "")

    smtp.mailbox.refuse = "550 5.1.1 no such mailbox"
    at = _delivery(did).next_attempt_at
    assert _run(now=at).outcomes[did] == "failed"
    d = _delivery(did)
    assert d.status == "failed" and d.attempts == 2 and "550" in (d.last_error or "")


def test_after_the_last_attempt_it_fails_is_listed_and_a_retry_sends_it(subscribed, smtp: SmtpServer) -> None:
    smtp.stop()
    limit = get_settings().notify_max_attempts
    (m,) = _messages(publish(_item(), "citizen", channels=("email",)))
    did = _channel(m, "email").id
    *_, last = _fail_until(did, utcnow(), limit)
    d = _delivery(did)
    assert d.status == "failed" and d.attempts == limit
    assert _run(now=last + timedelta(days=1)).outcomes.get(did) is None  # stays failed
    with transaction() as s:
        assert did in [t.delivery.id for t in notify.troubles(s)]

    smtp.start()
    with transaction() as s:
        notify.retry(s, did)
    assert _run().outcomes[did] == "sent"
    assert _delivery(did).attempts == 1
    with transaction() as s:
        assert did not in [t.delivery.id for t in notify.troubles(s)]


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_outcome(subscribed, smtp: SmtpServer) -> None:
    (m,) = _messages(publish(_item(), "citizen", channels=("email",)))
    did = _channel(m, "email").id
    now = utcnow()
    with transaction() as s:
        claimed, _ = notify_delivery.claim(s, now)
    (mine,) = [o for o in claimed if o.delivery_id == did]
    assert _delivery(did).status == "sending"
    assert did not in _run(now=now).outcomes  # still leased
    after_lease = now + timedelta(seconds=get_settings().notify_lease_seconds + 1)
    assert _run(now=after_lease).outcomes[did] == "sent"
    late = notify.SendFailed("太迟了")
    assert notify_delivery.record(mine, late, None, after_lease) == "superseded"
    d = _delivery(did)
    assert d.status == "sent" and d.attempts == 2 and d.claims == 2


class BrokenGateway:
    """A gateway whose provider is down."""

    calls = 0

    def send(self, phone: str, text: str) -> str:
        type(self).calls += 1
        raise ConnectionError("短信网关无响应")


def test_the_sms_gateway_is_the_configured_class_and_its_errors_are_retried(
    subscribed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "sms_gateway", f"{__name__}:BrokenGateway")
    (m,) = _messages(publish(_item(), "citizen", channels=("sms",)))
    did = _channel(m, "sms").id
    assert isinstance(notify_sms.gateway(), BrokenGateway)
    assert _run().outcomes[did] == "pending"
    assert BrokenGateway.calls == 1 and "短信网关无响应" in (_delivery(did).last_error or "")
    monkeypatch.setattr(get_settings(), "sms_gateway", "yiwang.core.notify:CHANNELS")
    with pytest.raises(RuntimeError, match="send"):
        notify_sms.gateway()
    monkeypatch.setattr(get_settings(), "sms_gateway", "no-colon-here")
    with pytest.raises(RuntimeError, match="module:Class"):
        notify_sms.gateway()


def test_no_email_server_configured_fails_at_once_and_says_so(subscribed) -> None:
    assert not get_settings().smtp_host
    with pytest.raises(notify.SendFailed) as info:
        notify_email.send("a@b.example", "甲", "主题", "正文")
    assert info.value.permanent and "YIWANG_SMTP_HOST" in info.value.reason


def test_a_channel_the_person_has_no_address_for_is_recorded_as_not_sent(subscribed) -> None:
    username = f"nt{uuid.uuid4().hex[:8]}"
    with transaction() as s:
        actions_access.user_create(s, SYSTEM, username, "a-long-password", "无联系方式的人", ["citizen"])
    (m,) = _messages(publish(_item(), username))
    assert {d.channel: (d.status, d.last_error) for d in m.deliveries} == {
        "in_app": ("sent", None), "email": ("skipped", "收件人未登记电子邮箱"),
        "sms": ("skipped", "收件人未登记手机号码"),
    }  # fmt: skip
    assert m.unread


def test_send_refuses_unknown_channels_and_links_off_the_site() -> None:
    who = [notify.Recipient(1, "甲")]
    with transaction() as s:
        with pytest.raises(ValueError, match="channels"):
            notify.send(s, who, TEMPLATE, {"item": "x"}, channels=("fax",))
        with pytest.raises(ValueError, match="site"):
            notify.send(s, who, TEMPLATE, {"item": "x"}, link="https://elsewhere.example/")
