"""A message as a feature gives it to the outbox, and the RFC 5322 message it becomes.

Every message has a plain-text and an HTML part, both closed by a footer saying why the
person receives it; a list mail (one with an unsubscribe URL) also carries
``List-Unsubscribe`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058), so mail programs offer one-click unsubscribing.
"""

from __future__ import annotations

import email.utils
import secrets
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage

from node.store.mail import QueuedMail

KINDS = frozenset({"test", "confirm", "reminder", "opening", "digest", "campaigns", "ally_invite"})
#: The Coalition Brief's (node/brief): an issue, its test, a sign-up's confirmation.
BRIEF_KINDS = frozenset({"brief", "brief_test", "brief_confirm"})


@dataclass(frozen=True, slots=True)
class Message:
    """What to send, to whom and why.

    ``text`` and ``html`` are the body alone (``html`` already escaped: it is put in as
    it is); ``reason`` is the footer's sentence ("You receive this because …");
    ``key`` makes queueing idempotent: a second message with the same key is not
    queued. ``unsubscribe`` (an https URL answering GET and RFC 8058's POST) makes it a
    list mail."""

    kind: str
    to: str
    subject: str
    text: str
    html: str
    reason: str
    key: str
    unsubscribe: str | None = None


def list_headers(unsubscribe: str | None) -> dict[str, str]:
    """RFC 8058's two headers for a list mail; none for a personal one."""
    if unsubscribe is None:
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def new_message_id(sender: str) -> str:
    """A Message-ID in the sender's domain, fixed when the message is queued, so a copy
    sent again after a crash carries the same one and the receiving side can drop it."""
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "nst.invalid"
    return f"<{secrets.token_hex(16)}@{domain}>"


def valid_address(address: str) -> bool:
    """Whether ``address`` is one mailbox (local@domain), no display name, no list."""
    if len(address) > 254 or any(c in address for c in " ,<>\r\n\t\"'"):
        return False
    local, at, domain = address.rpartition("@")
    if not (at and local and "." in domain.strip(".")):
        return False
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        return False
    return True


def to_email(mail: QueuedMail, sender: str, date: str) -> EmailMessage:
    """The message as sent: headers, then the text part with the HTML part beside it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.recipient
    msg["Subject"] = mail.subject
    msg["Date"] = date
    msg["Message-ID"] = mail.message_id
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        msg[name] = value
    msg.set_content(mail.text_part)
    msg.add_alternative(mail.html_part, subtype="html")
    return msg
