"""The login throttle and the client address behind proxies, on their own."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from node.config import Config
from web_ui.proxies import ClientAddresses
from web_ui.throttle import Busy, LoginThrottle


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_guesser_waits_longer_and_longer_and_only_on_their_own_pair() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(free=5, max_delay=60, window=900, clock=ticks)
    for _ in range(5):
        assert throttle.wait("ana", "203.0.113.9") == 0
        throttle.failed("ana", "203.0.113.9")
    waits = []
    for _ in range(9):
        waits.append(throttle.wait("ana", "203.0.113.9"))
        ticks.now += waits[-1]
        throttle.failed("ana", "203.0.113.9")
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]  # growing, then capped: never locked
    assert throttle.wait("ana", "198.51.100.7") == 0  # ana herself, elsewhere
    assert throttle.wait("ben", "203.0.113.9") == 0  # the guesser's other handles
    ticks.now += 901
    assert throttle.wait("ana", "203.0.113.9") == 0  # failures age out
    throttle.failed("carl", "192.0.2.1")
    throttle.succeeded("carl", "192.0.2.1")
    assert throttle.wait("carl", "192.0.2.1") == 0


def test_a_client_past_the_ceiling_waits_for_every_handle() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(free=5, ceiling=20, clock=ticks)
    for n in range(20):
        throttle.failed(f"handle{n}", "203.0.113.9")
    assert throttle.wait("someone", "203.0.113.9") == 1
    assert throttle.wait("someone", "198.51.100.7") == 0


def test_the_throttle_forgets_the_oldest_beyond_its_capacity() -> None:
    throttle = LoginThrottle(capacity=100)
    for n in range(1000):
        throttle.failed(f"h{n}", f"10.0.{n // 250}.{n % 250}")
    assert len(throttle) <= 100


async def test_password_checks_are_bounded_and_one_per_client() -> None:
    throttle = LoginThrottle(checks=1, queue=2)
    inside = asyncio.Event()
    release = asyncio.Event()

    async def hold(client: str) -> None:
        async with throttle.checking(client):
            inside.set()
            await release.wait()

    first = asyncio.create_task(hold("a"))
    await inside.wait()
    with pytest.raises(Busy):  # the same client, while its check runs
        async with throttle.checking("a"):
            pass
    waiting = [asyncio.create_task(hold(c)) for c in ("b", "c")]
    await asyncio.sleep(0)
    with pytest.raises(Busy):  # the queue is full
        async with throttle.checking("d"):
            pass
    release.set()
    await asyncio.gather(first, *waiting)
    async with throttle.checking("d"):
        pass


def _node(trusted: tuple[str, ...], header: str = "x-forwarded-for") -> Any:
    config = Config(data_dir=Path("."), trusted_proxies=trusted, proxy_header=header)  # type: ignore[arg-type]
    return type("N", (), {"config": config})()


def _request(remote: str, headers: dict[str, str]) -> Any:
    request = make_mocked_request("POST", "/login", headers=headers)
    return request.clone(remote=remote)


def test_the_client_is_the_right_most_address_no_trusted_proxy_wrote() -> None:
    trusting = ClientAddresses(_node(("127.0.0.1", "10.0.0.0/8")))
    forged = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9, 10.1.2.3"}
    assert trusting.of(_request("127.0.0.1", forged)) == "203.0.113.9"
    assert trusting.of(_request("127.0.0.1", {})) == "127.0.0.1"
    # Not from a trusted proxy: the header proves nothing.
    assert trusting.of(_request("192.0.2.50", forged)) == "192.0.2.50"
    assert ClientAddresses(_node(())).of(_request("127.0.0.1", forged)) == "127.0.0.1"
    forwarded = ClientAddresses(_node(("127.0.0.1",), "forwarded"))
    header = {"Forwarded": 'for=198.51.100.7, for="[2001:db8::17]:4711";proto=https'}
    assert forwarded.of(_request("127.0.0.1", header)) == "2001:db8::17"
    # The one header the proxy sets is read, never the other one a client may send.
    assert forwarded.of(_request("127.0.0.1", forged)) == "127.0.0.1"


def test_trusted_proxies_come_from_config_toml_and_the_environment(tmp_path: Path) -> None:
    from node.config import ConfigError, apply_env, load_config, render_config

    cfg = dataclasses.replace(Config(data_dir=tmp_path), trusted_proxies=("127.0.0.1", "::1"))
    (tmp_path / "config.toml").write_text(render_config(cfg))
    assert load_config(tmp_path, env={}).trusted_proxies == ("127.0.0.1", "::1")
    env = {"NST_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1", "NST_PROXY_HEADER": "Forwarded"}
    loaded = load_config(tmp_path, env=env)
    assert (loaded.trusted_proxies, loaded.proxy_header) == (
        ("10.0.0.0/8", "192.0.2.1"),
        "forwarded",
    )
    with pytest.raises(ConfigError, match="not an IP address"):
        apply_env(cfg, {"NST_TRUSTED_PROXIES": "proxy.example"})
    with pytest.raises(ConfigError, match="proxy_header"):
        apply_env(cfg, {"NST_PROXY_HEADER": "X-Real-IP"})
