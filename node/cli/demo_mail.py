"""The demo's own mail server: an SMTP server on 127.0.0.1 (aiosmtpd, in a thread of the
``nst demo`` process) that the three nodes send their mail through, and that keeps every
message it receives as a file in the demo's ``mail/`` folder, readable with any mail
program or text editor. Nothing leaves the machine."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from node.config import MailConfig

MAIL_DIR = "mail"
_UNSAFE = re.compile(r"[^a-z0-9]+")


def sender_of(slug: str, name: str) -> str:
    """The From address of an organization's demo node (``.example`` never delivers)."""
    return f"{name} <nst@{slug}.example>"


def address_of(handle: str, slug: str) -> str:
    """A demo person's e-mail address."""
    return f"{handle}@{slug}.example"


class _Keeper:
    """aiosmtpd's handler: writes each message it accepts to a file of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.count = len(list(folder.glob("*.eml")))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        subject = _UNSAFE.sub("-", str(message.get("Subject", "")).lower()).strip("-")
        with self.lock:
            self.count += 1
            path = self.folder / f"{self.count:04d}-{subject[:60] or 'message'}.eml"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(envelope.content)
        return "250 OK: kept"


@dataclass
class DemoMailbox:
    """The running server and the folder it writes to."""

    folder: Path
    port: int
    controller: Controller

    @classmethod
    def start(cls, root: Path) -> DemoMailbox:
        folder = root / MAIL_DIR
        folder.mkdir(mode=0o700, exist_ok=True)
        port = _free_port()
        controller = Controller(_Keeper(folder), hostname="127.0.0.1", port=port)
        controller.start()
        return cls(folder, port, controller)

    def config(self, sender: str) -> MailConfig:
        """How a demo node reaches this server."""
        return MailConfig(host="127.0.0.1", port=self.port, security="none", sender=sender)

    def env(self, sender: str) -> dict[str, str]:
        """The same, as the variables of an ``nst run``."""
        return {
            "NST_SMTP_HOST": "127.0.0.1",
            "NST_SMTP_PORT": str(self.port),
            "NST_SMTP_SECURITY": "none",
            "NST_MAIL_FROM": sender,
        }

    def received(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    def stop(self) -> None:
        self.controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
