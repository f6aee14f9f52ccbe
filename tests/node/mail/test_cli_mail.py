"""``nst mail test`` and ``nst mail status`` as an operator runs them: real ``python -m
node`` processes, a real SMTP server on 127.0.0.1, and each failure said with its code."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "right horse battery"
# The test server takes logins without TLS, on loopback only; it warns of that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")


def nst(
    *args: str, data_dir: Path, env: dict[str, str] | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    base["XDG_DATA_HOME"] = str(data_dir.parent / "xdg")
    proc = subprocess.run(
        [sys.executable, "-m", "node", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={**base, **(env or {})},
    )
    assert (proc.returncode == 0) == ok, proc.stderr
    return proc


def smtp_env(port: int, security: str = "none", **more: str) -> dict[str, str]:
    return {
        "NST_SMTP_HOST": "127.0.0.1",
        "NST_SMTP_PORT": str(port),
        "NST_SMTP_SECURITY": security,
        "NST_MAIL_FROM": "Riverside Tenants <nst@riverside.example>",
        **more,
    }


def test_a_test_message_arrives_and_the_outbox_is_shown(tmp_path: Path, smtp: Any) -> None:
    data_dir = tmp_path / "node"
    nst("init", "--name", "Riverside Tenants", data_dir=data_dir)
    off = nst("status", data_dir=data_dir).stdout
    assert "mail           off" in off
    refused = nst("mail", "test", "asha@riverside.example", data_dir=data_dir, ok=False)
    assert refused.stderr.startswith("error: mail.off: ")

    env = smtp_env(smtp.port)
    said = nst("mail", "test", "asha@riverside.example", data_dir=data_dir, env=env)
    assert "sent: the server accepted it" in said.stdout
    [msg] = smtp.sink.messages
    assert msg["To"] == "asha@riverside.example"
    assert msg["Subject"] == "Test message from Riverside Tenants"
    assert "nst mail test" in msg.get_body(("plain",)).get_content()
    assert msg.get_body(("html",)) is not None

    status = json.loads(nst("mail", "status", "--json", data_dir=data_dir, env=env).stdout)
    assert status["enabled"]
    assert status["bouncing"] == []
    assert status["counts"] == {}
    text = nst("status", data_dir=data_dir, env=env).stdout
    assert f"127.0.0.1:{smtp.port} (none): 0 queued, 0 sending, 0 failed, 0 bouncing" in text


def test_each_failure_is_said_with_its_code(tmp_path: Path, smtp_login: Any) -> None:
    data_dir = tmp_path / "node"
    nst("init", data_dir=data_dir)
    to = "asha@riverside.example"

    def fails(env: dict[str, str]) -> str:
        return nst("mail", "test", to, data_dir=data_dir, env=env, ok=False).stderr

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert "error: mail.connect: " in fails(smtp_env(closed))
    assert "refused the connection" in fails(smtp_env(closed))
    # TLS spoken to a server that answers in plain text.
    assert "error: mail.tls: " in fails(smtp_env(smtp_login.port, "tls"))
    # STARTTLS asked of a server that does not offer it.
    assert "error: mail.tls: " in fails(smtp_env(smtp_login.port, "starttls"))

    wrong = tmp_path / "wrong.password"
    wrong.write_text("not the password\n")
    wrong.chmod(0o600)
    env = smtp_env(smtp_login.port, NST_SMTP_USER="nst", NST_SMTP_PASSWORD_FILE=str(wrong))
    said = fails(env)
    assert "error: mail.auth: " in said
    assert "not the password" not in said
    wrong.chmod(0o644)
    assert "error: mail.password_file_mode: " in fails(env)

    right = tmp_path / "right.password"
    right.write_text(PASSWORD + "\n")
    right.chmod(0o600)
    env["NST_SMTP_PASSWORD_FILE"] = str(right)
    nst("mail", "test", to, data_dir=data_dir, env=env)
    assert [m["To"] for m in smtp_login.sink.messages] == [to]
    bad = nst("mail", "test", "not an address", data_dir=data_dir, env=env, ok=False)
    assert bad.stderr.startswith("error: mail.bad_address: ")
