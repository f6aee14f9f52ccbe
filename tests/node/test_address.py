"""The address a node gives others: what `nst run` records, what Config.url makes of it,
and which addresses other nodes cannot reach."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from node.address import LISTEN_NAME, address_problem, record_listening
from node.config import Config, load_config, render_config


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8470", "loopback"),
        ("https://localhost", "loopback"),
        ("http://[::1]:8470", "loopback"),
        ("http://0.0.0.0:8470", "every interface"),
        ("https://192.168.1.20", "private"),
        ("https://10.0.0.5:8443", "private"),
        ("http://nst.riverside.example", "plain HTTP"),
    ],
)
def test_addresses_other_nodes_cannot_reach(url: str, words: str) -> None:
    problem = address_problem(url)
    assert problem is not None
    assert words in problem


def test_a_public_https_address_is_fine() -> None:
    assert address_problem("https://nst.riverside.example") is None
    assert address_problem("https://9.9.9.9:8443") is None


def test_the_address_nst_run_records_is_the_one_every_command_gives(tmp_path: Path) -> None:
    cfg = Config(data_dir=tmp_path)
    (tmp_path / "config.toml").write_text(render_config(cfg))
    assert load_config(tmp_path, env={}).url == "http://127.0.0.1:8470"  # never ran

    record_listening(tmp_path, "http://127.0.0.1:8480", dev_mode=False)
    assert stat.S_IMODE((tmp_path / LISTEN_NAME).stat().st_mode) == 0o600
    assert load_config(tmp_path, env={}).url == "http://127.0.0.1:8480"
    public = {"NST_PUBLIC_URL": "https://nst.riverside.example"}
    assert load_config(tmp_path, env=public).url == "https://nst.riverside.example"

    for damaged in ("not json", '{"url": "not a url"}', '{"url": "http://x:port"}', "[]"):
        (tmp_path / LISTEN_NAME).write_text(damaged)  # ignored
        assert load_config(tmp_path, env={}).url == "http://127.0.0.1:8470"


def test_a_node_run_with_dev_is_a_development_node_for_every_command(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(render_config(Config(data_dir=tmp_path)))
    assert not load_config(tmp_path, env={}).dev_mode
    record_listening(tmp_path, "http://127.0.0.1:8480", dev_mode=True)  # nst run --dev
    assert load_config(tmp_path, env={}).dev_mode
    assert not load_config(tmp_path, env={"NST_DEV_MODE": "0"}).dev_mode
    record_listening(tmp_path, "http://127.0.0.1:8480", dev_mode=False)  # nst run
    assert not load_config(tmp_path, env={}).dev_mode
    assert load_config(tmp_path, env={"NST_DEV_MODE": "1"}).dev_mode
