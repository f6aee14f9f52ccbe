"""Sending one message through the configured SMTP server (aiosmtplib), and what a
failure means, in words and with a code an admin can look up (docs/admin.md, "Mail").

A failure is ``permanent`` when the server answered 5xx about the recipient or the
message: sending it again would only be refused again, so the address is marked as
bouncing. Everything else (no connection, TLS, a login refused, a 4xx answer) may pass,
and the outbox tries again later.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import aiosmtplib

from node.config import ConfigError, MailConfig, read_password

TIMEOUT = 30.0


class SendError(Exception):
    """Why a message was not sent: ``code`` (``mail.*``), a message for people, and
    whether trying again is useless."""

    def __init__(self, code: str, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.permanent = permanent

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


async def send(config: MailConfig, msg: EmailMessage, *, wait: float = TIMEOUT) -> None:
    """Send ``msg`` to its ``To`` address; raises SendError."""
    if not config.enabled:
        raise SendError("mail.off", "mail is not configured: set [mail] host and from")
    try:
        password = read_password(config) if config.password_file else None
    except ConfigError as exc:
        raise SendError(exc.code, str(exc)) from None
    where = f"{config.host}:{config.real_port}"
    try:
        await aiosmtplib.send(
            msg,
            hostname=config.host,
            port=config.real_port,
            username=config.user or None,
            password=password if config.user else None,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",
            timeout=wait,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        refused = exc.recipients[0] if exc.recipients else None
        code = refused.code if refused else 550
        text = refused.message if refused else str(exc)
        raise SendError(
            "mail.recipient_refused" if code >= 500 else "mail.deferred",
            f"{where} refused the recipient: {code} {text}",
            permanent=code >= 500,
        ) from None
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise SendError(
            "mail.auth",
            f"{where} refused the login of {config.user!r}: {exc.code} {exc.message}"
            " (check mail.user and the password file)",
        ) from None
    except aiosmtplib.SMTPSenderRefused as exc:
        raise SendError(
            "mail.sender_refused",
            f"{where} refused the From address {exc.sender}: {exc.code} {exc.message}"
            " (set mail.from to an address the server lets you send as)",
        ) from None
    except aiosmtplib.SMTPNotSupported as exc:
        raise SendError("mail.tls", f'{where}: {exc} (try mail.security = "tls")') from None
    except aiosmtplib.SMTPConnectTimeoutError:
        raise SendError("mail.timeout", f"{where} did not answer within {wait:g} s") from None
    except aiosmtplib.SMTPConnectError as exc:
        raise _connect_error(where, exc) from None
    except aiosmtplib.SMTPResponseException as exc:
        raise SendError(
            "mail.refused" if exc.code >= 500 else "mail.deferred",
            f"{where} answered {exc.code} {exc.message}",
            permanent=exc.code >= 500,
        ) from None
    except (aiosmtplib.SMTPTimeoutError, TimeoutError):
        raise SendError("mail.timeout", f"{where} stopped answering") from None
    except ssl.SSLError as exc:
        raise SendError("mail.tls", f"TLS with {where} failed: {exc.reason or exc}") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        if "STARTTLS" in str(exc):
            raise SendError(
                "mail.tls",
                f"{where} does not offer STARTTLS (port 465 speaks TLS at once:"
                ' mail.security = "tls"; a relay on this machine: "none")',
            ) from None
        raise SendError("mail.connect", f"{where}: {exc}") from None


def _connect_error(where: str, exc: aiosmtplib.SMTPConnectError) -> SendError:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ssl.SSLError):
        return SendError(
            "mail.tls",
            f"TLS with {where} failed: {cause.reason or cause}"
            " (the server may not speak TLS on this port: check mail.security and port)",
        )
    if isinstance(cause, ConnectionRefusedError):
        return SendError("mail.connect", f"{where} refused the connection (is it the right port?)")
    return SendError("mail.connect", f"cannot connect to {where}: {exc}")
