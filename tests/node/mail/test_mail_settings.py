"""Mail settings: read from ``[mail]`` and ``NST_SMTP_*``, written by ``nst init``, a
password file refused unless its mode is 0600, and a password that reaches no log line."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from node import logging as nst_logging
from node.clock import FixedClock
from node.config import Config, ConfigError, load_config, render_config
from node.mail.message import Message
from node.service import Node
from node.store import SQLiteStore

PASSWORD = "right horse battery"
# The test server takes logins without TLS, on loopback only; it warns of that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")


def write_config(data_dir: Path, mail: str) -> None:
    data_dir.mkdir(exist_ok=True)
    (data_dir / "config.toml").write_text(render_config(Config(data_dir=data_dir)) + mail)


def password_file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "smtp.password"
    path.write_text(PASSWORD + "\n")
    path.chmod(mode)
    return path


def test_nst_init_writes_mail_off_and_the_file_reads_back(tmp_path: Path) -> None:
    text = render_config(Config(data_dir=tmp_path))
    assert "[mail]" in text
    assert "NST_SMTP_PASSWORD_FILE" in text
    (tmp_path / "config.toml").write_text(text)
    cfg = load_config(tmp_path, env={})
    assert not cfg.mail.enabled


def test_the_file_and_the_environment_set_the_server(tmp_path: Path) -> None:
    secret = password_file(tmp_path, 0o600)
    (tmp_path / "config.toml").write_text(
        '[mail]\nhost = "smtp.example.org"\nfrom = "nst@example.org"\nuser = "nst"\n'
        f'password_file = "{secret}"\n'
    )
    cfg = load_config(tmp_path, env={})
    assert cfg.mail.enabled
    assert cfg.mail.real_port == 587
    assert cfg.mail.security == "starttls"
    env = {"NST_SMTP_PORT": "465", "NST_SMTP_SECURITY": "TLS", "NST_SMTP_HOST": "mx.example"}
    cfg = load_config(tmp_path, env=env)
    assert (cfg.mail.host, cfg.mail.real_port, cfg.mail.security) == ("mx.example", 465, "tls")
    # The password stays in its file: no Config holds it.
    assert PASSWORD not in repr(cfg)
    with pytest.raises(ConfigError) as bad:
        load_config(tmp_path, env={"NST_SMTP_SECURITY": "ssl"})
    assert bad.value.code == "mail.bad_config"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_password_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    secret = password_file(tmp_path, mode)
    write_config(tmp_path, "")
    env = {"NST_SMTP_HOST": "smtp.example.org", "NST_MAIL_FROM": "nst@example.org"}
    with pytest.raises(ConfigError) as refused:
        load_config(tmp_path, env={**env, "NST_SMTP_PASSWORD_FILE": str(secret)})
    assert refused.value.code == "mail.password_file_mode"
    assert "chmod 600" in str(refused.value)
    secret.chmod(0o600)
    assert load_config(tmp_path, env={**env, "NST_SMTP_PASSWORD_FILE": str(secret)}).mail.enabled


async def test_no_password_reaches_the_log(
    tmp_path: Path, store: SQLiteStore, key: Any, clock: FixedClock, smtp_login: Any
) -> None:
    """A login refused, then accepted: the log says what happened, never the password."""
    stream = io.StringIO()
    nst_logging.configure("json", level=logging.DEBUG, stream=stream)
    try:
        wrong = tmp_path / "wrong.password"
        wrong.write_text("not it, " + PASSWORD[::-1])
        wrong.chmod(0o600)
        mail = smtp_login.mail_config(user="nst", password_file=str(wrong))
        node = Node(Config(data_dir=tmp_path, mail=mail), store, key, clock)
        message = Message("test", "a@riverside.example", "Hi", "hi", "<p>hi</p>", "why", "k")
        await store.write(lambda c: node.mail.queue(c, message))
        assert await node.mail.worker.run_once() == 0
        [(error,)] = await store.fetchall("SELECT last_error FROM mail_outbox")
        assert error.startswith("mail.auth: ")
        # The right password, and the message goes.
        right = password_file(tmp_path, 0o600)
        node.config = replace(node.config, mail=replace(mail, password_file=str(right)))
        clock.advance(dt.timedelta(minutes=1))
        assert await node.mail.worker.run_once() == 1
        assert len(smtp_login.sink.messages) == 1
    finally:
        logging.getLogger().handlers.clear()
    # The test's SMTP server logs in this process too (as "mail.log"): not ours.
    logged = "\n".join(
        line for line in stream.getvalue().splitlines() if '"logger": "mail.log"' not in line
    )
    assert "mail.deferred" in logged
    assert "mail.auth" in logged
    assert "mail.sent" in logged
    assert PASSWORD not in logged
    assert PASSWORD[::-1] not in logged
    assert "a@riverside.example" not in logged


async def test_the_mail_worker_stops_when_cancelled_as_it_is_woken(mail_node: Node) -> None:
    """A node stopping while mail is queued: the worker ends, as the shutdown waits."""
    worker = mail_node.mail.worker
    task = asyncio.create_task(worker.run())
    for _ in range(50):  # let it recover, send nothing and reach its wait
        await asyncio.sleep(0.01)
    worker.wakeup.set()
    task.cancel()
    try:
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, "the mail worker went on after it was cancelled"
    finally:
        task.cancel()
