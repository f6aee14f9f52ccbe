"""Shared test configuration, and a real SMTP server on 127.0.0.1 for the tests of mail
(aiosmtpd, in its own thread) that keeps what arrives. The server can be told to answer
4xx for a while, to refuse an address for good (5xx), to take its time, or to ask for a
login."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from node.config import MailConfig

SENDER = "Riverside Tenants <nst@riverside.example>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Sink:
    """aiosmtpd's handler: keeps every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self.defer = 0  # answer 451 to this many recipients before accepting
        self.delay = 0.0  # seconds each DATA takes, to catch a sender mid-transaction
        self.arrived = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox here"
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.arrived.set()
        return "250 OK: queued"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self, controller: Controller, sink: Sink, port: int) -> None:
        self.controller, self.sink, self.port = controller, sink, port

    def mail_config(self, **changes: Any) -> MailConfig:
        base = MailConfig(host="127.0.0.1", port=self.port, security="none", sender=SENDER)
        return replace(base, **changes)


def _start(**kwargs: Any) -> SmtpServer:
    sink, port = Sink(), free_port()
    with warnings.catch_warnings():
        # Logging in without TLS: only ever on loopback, here.
        warnings.simplefilter("ignore", UserWarning)
        controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return SmtpServer(controller, sink, port)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = _start()
    try:
        yield server
    finally:
        server.controller.stop()


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and data.password == b"right horse battery"
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_login() -> Iterator[SmtpServer]:
    """A server that asks for a login (over plain text: a test on loopback only)."""
    server = _start(authenticator=_check_login, auth_required=True, auth_require_tls=False)
    try:
        yield server
    finally:
        server.controller.stop()
