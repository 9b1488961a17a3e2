"""Sending e-mail over SMTP, configured by the ``SMTP_*`` settings."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused the message."""


def is_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("SMTP_HOST"))


def build_message(
    config: Mapping[str, Any],
    *,
    to: str | Iterable[str],
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    for item in attachments:
        maintype, _, subtype = item.mimetype.partition("/")
        message.add_attachment(
            item.content, maintype=maintype, subtype=subtype, filename=item.filename
        )
    return message


def send(config: Mapping[str, Any], messages: Iterable[EmailMessage]) -> int:
    """Send ``messages`` over one SMTP connection.

    :return: how many were sent.
    :raises MailError: SMTP is not configured, unreachable or refused a message.
    """
    if not is_configured(config):
        raise MailError("SMTP_HOST is not set, so Frontline cannot send e-mail.")
    host, port = config["SMTP_HOST"], int(config["SMTP_PORT"])
    try:
        if config.get("SMTP_SSL"):
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=30, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(host, port, timeout=30)
        with server:
            if config.get("SMTP_STARTTLS"):
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                server.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            sent = 0
            for message in messages:
                server.send_message(message)
                sent += 1
    except (OSError, smtplib.SMTPException) as e:
        raise MailError(f"Could not send e-mail through {host}:{port}: {e}") from e
    logger.info("Sent %d message(s) through %s:%s", sent, host, port)
    return sent


def send_if_configured(
    config: Mapping[str, Any], *, to: str, subject: str, body: str
) -> bool:
    """E-mail one message when SMTP is set up.

    :return: ``True`` when it was sent; ``False`` when SMTP is not set up or the server
        refused (logged), so the caller can show the content on screen instead.
    """
    if not is_configured(config):
        return False
    try:
        return (
            send(config, [build_message(config, to=to, subject=subject, body=body)])
            == 1
        )
    except MailError as e:
        logger.warning("E-mail to %s not sent: %s", to.split("@")[-1], e)
        return False
