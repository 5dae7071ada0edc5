"""A test context's notification story, as a real context would write it: an event type, a
Chinese template registered at import, and a subscriber that resolves the recipients through
the identity context and sends on the channels the event asks for. Plus an SMTP server
(aiosmtpd, on a free local port) that collects what it receives, decoded."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from pydantic import BaseModel

from yiwang.contexts import identity
from yiwang.core import events, notify, notify_sms
from yiwang.core.db import transaction
from yiwang.settings import get_settings

NOTICE = "yiwang.test.notice.published"
TEMPLATE = "test.notice_published"
SUBSCRIBER = "test.notify"


class NoticeData(BaseModel):
    usernames: list[str]
    item: str
    channels: list[str] = ["in_app", "email", "sms"]


events.define(NOTICE, "测试：事项有了新进展（通知测试）", NoticeData)
notify.template(
    TEMPLATE,
    "您申请的“{{ item }}”已办结",
    "{{ name }}，您好：您申请的“{{ item }}”已办结，请及时查看办理结果。",
    sms="您申请的“{{ item }}”已办结，请登录一网查看。",
)


def on_notice(session: Any, event: events.Event) -> None:
    """What a context's subscriber does: resolve recipients, send; never inline in the action."""
    data = NoticeData.model_validate(event.data)
    notify.send(session, identity.recipients_by_usernames(session, data.usernames), TEMPLATE,
                {"item": data.item}, channels=data.channels, link="/notifications", event_seq=event.seq)  # fmt: skip


@pytest.fixture
def subscribed() -> Iterator[None]:
    events.subscribe(SUBSCRIBER, NOTICE, on_notice)
    yield
    events.unsubscribe(SUBSCRIBER)


def publish(item: str, *usernames: str, channels: tuple[str, ...] = ("in_app", "email", "sms")) -> int:
    """The owning context's action: its change and the event, in one transaction."""
    with transaction() as s:
        return events.emit(s, NOTICE, f"notice/{item}", {"usernames": list(usernames), "item": item,
                                                          "channels": list(channels)}).seq  # fmt: skip


@pytest.fixture
def sms() -> notify_sms.RecordingSmsGateway:
    gateway = notify_sms.gateway()
    assert isinstance(gateway, notify_sms.RecordingSmsGateway)
    return gateway


# --- an SMTP server the test starts -----------------------------------------------------------


@dataclass
class Mailbox:
    """aiosmtpd handler: keeps each message parsed (headers decoded), or refuses with `refuse`."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: str | None = None  # e.g. "451 4.3.0 请稍后再试"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.mailbox = Mailbox()
        self._controller: Any = None
        self._lock = threading.Lock()

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        with self._lock:
            if self._controller is None:
                self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
                self._controller.start()

    def stop(self) -> None:
        with self._lock:
            if self._controller is not None:
                self._controller.stop()
                self._controller = None


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    s = get_settings()
    monkeypatch.setattr(s, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(s, "smtp_port", server.port)
    monkeypatch.setattr(s, "smtp_security", "none")
    yield server
    server.stop()
