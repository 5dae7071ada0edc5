"""The email channel: a UTF-8 text message over SMTP (the standard library's smtplib).

Subject and display names are RFC 2047 encoded words, the body base64 (`text/plain;
charset="utf-8"`): any mail server takes them, 8BITMIME or not. The connection is plain,
STARTTLS or implicit TLS (`YIWANG_SMTP_SECURITY`), with a certificate check against the
system's trust store; a login only when a user is set. A 4xx answer or a broken connection
is temporary (the job retries with backoff); a 5xx answer, or no server configured, is
permanent: trying again would get the same answer.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from yiwang.core.db import utcnow
from yiwang.core.notify import SendFailed
from yiwang.settings import get_settings

FOOTER = "此邮件由一网政务服务平台系统发送，请勿直接回复。"


def compose(to: str, name: str, subject: str, body: str, link: str | None) -> EmailMessage:
    """The message for one recipient: Chinese subject and body, a link to the page if any."""
    s = get_settings()
    sender_name, sender = parseaddr(s.smtp_from)
    text = body
    if link:
        text += f"\n\n查看详情：{s.public_url.rstrip('/')}{link}"
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = Address(display_name=sender_name, addr_spec=sender)
    msg["To"] = Address(display_name=name, addr_spec=to)
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a system message
    msg.set_content(f"{text}\n\n--\n{FOOTER}\n", charset="utf-8", cte="base64")
    return msg


def send(to: str, name: str, subject: str, body: str, link: str | None = None) -> str:
    """Send one message; returns its Message-ID. Raises SendFailed."""
    s = get_settings()
    if not s.smtp_host:
        raise SendFailed("未配置邮件服务器（YIWANG_SMTP_HOST）", permanent=True)
    msg = compose(to, name, subject, body, link)
    where = f"{s.smtp_host}:{s.smtp_port}"
    try:
        with _connect() as smtp:
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        code, answer = next(iter(exc.recipients.values()), (550, b""))
        raise _refused(code, answer) from exc
    except smtplib.SMTPResponseException as exc:
        raise _refused(exc.smtp_code, exc.smtp_error) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"无法连接邮件服务器 {where}：{_why(exc)}"[:500]) from exc
    return str(msg["Message-ID"])


def _why(exc: BaseException) -> str:
    """What went wrong, in Chinese, for the administrator's page (the original in brackets)."""
    said = f"（{exc}）" if str(exc) else ""
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝，服务器未运行或端口不对"
    if isinstance(exc, TimeoutError):
        return "连接超时"
    if isinstance(exc, socket.gaierror):
        return "无法解析服务器地址" + said
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "服务器证书校验失败" + said
    if isinstance(exc, ssl.SSLError):
        return "TLS 连接失败" + said
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "服务器断开了连接" + said
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "服务器不支持所需的扩展（STARTTLS 或登录）" + said
    return f"{type(exc).__name__}{said}"


def _connect() -> smtplib.SMTP:
    s = get_settings()
    if s.smtp_security == "ssl":
        return smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout,
                                context=ssl.create_default_context())  # fmt: skip
    smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
    if s.smtp_security == "starttls":
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp


def _refused(code: int, answer: bytes | str) -> SendFailed:
    said = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    return SendFailed(f"邮件服务器拒绝：{code} {said}"[:500], permanent=500 <= code < 600)
