"""The SMS channel: a gateway adapter chosen by `YIWANG_SMS_GATEWAY` ("module:Class").

A real gateway (a carrier's or a cloud provider's SMS API) is a class with a no-argument
constructor, reading its own credentials from the environment, and one method:

    def send(self, phone: str, text: str) -> str:
        '''Hand one text to the provider; return the provider's message id.
        Raise notify.SendFailed(reason, permanent=True) when retrying cannot help (number
        refused, text rejected by the provider's content rules); any other exception is
        temporary and the delivery is retried with backoff.'''

`phone` is an 11-digit mainland mobile number, `text` already starts with the signature
(【一网政务】); the provider's template ids and signature registration are the adapter's
business. `send` runs in the delivery job's worker threads, with no transaction open: it may
block on the network (keep a timeout). The default, `RecordingSmsGateway`, sends nothing: it
keeps what it was given in memory and writes a log line, for development, tests and the demo.
See docs/notifications.md.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol, runtime_checkable

from yiwang.core.codes import mask_phone
from yiwang.core.db import utcnow
from yiwang.settings import get_settings

log = logging.getLogger(__name__)


@runtime_checkable
class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> str: ...


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str
    message_id: str
    at: datetime


class RecordingSmsGateway:
    """Sends nothing: remembers the last texts (`sent`) and logs each one, number masked."""

    KEEP = 1000

    def __init__(self) -> None:
        self.sent: deque[SentSms] = deque(maxlen=self.KEEP)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> str:
        with self._lock:
            message_id = f"rec-{next(self._ids):08d}"
            self.sent.append(SentSms(phone, text, message_id, utcnow()))
        log.info("sms recorded (not sent) to %s: %s [%s]", mask_phone(phone), text, message_id)
        return message_id

    def to(self, phone: str) -> list[SentSms]:
        return [m for m in list(self.sent) if m.phone == phone]


def gateway() -> SmsGateway:
    """The configured gateway, one instance per process."""
    return _load(get_settings().sms_gateway)


@lru_cache
def _load(spec: str) -> SmsGateway:
    module, _, name = spec.partition(":")
    if not module or not name:
        raise RuntimeError(f"YIWANG_SMS_GATEWAY must be module:Class, not {spec!r}")
    cls = getattr(importlib.import_module(module), name)
    if not isinstance(cls, type):
        raise RuntimeError(f"YIWANG_SMS_GATEWAY {spec} is not a class with a send(phone, text) method")
    instance = cls()
    if not isinstance(instance, SmsGateway):
        raise RuntimeError(f"YIWANG_SMS_GATEWAY {spec} has no send(phone, text) method")
    return instance


def text_of(title: str, body: str, sms: str | None) -> str:
    """The text as sent: the signature, then the template's SMS wording or title and body."""
    return f"【{get_settings().sms_signature}】{sms or f'{title}：{body}'}"
