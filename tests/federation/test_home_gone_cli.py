"""``nst admin circle move-home`` run as the real command on a stopped member node's data
(PROTOCOL.md §13.15): the vote is cast when the home has been silent past the charter's
timeout by the system clock, and refused with ``home.not_timed_out`` before."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from typing import Any

from harness import Cluster, ClusterNode

from node.config import render_config
from node.keyfile import write_key


async def _circle(c: Cluster, name: str) -> str:
    a, b, d = c.nodes
    people = {"ana": [], b.node.actor_of("ben"): ["facilitator"], d.node.actor_of("cleo"): []}
    circle = await c.federated_circle(a, [b, d], name=name, people=people)
    await c.settle()
    return circle.id


def _nst(n: ClusterNode, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["NST_DEV_MODE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "node", *args, "--data-dir", str(n.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


async def test_the_command_votes_after_the_timeout_and_refuses_before(cluster: Any) -> None:
    async with cluster(3) as c:
        a, b, d = c.nodes
        # The circles' last positions are 20 days and 1 day old by the system clock.
        now = dt.datetime.now(dt.UTC)
        c.clock.advance(now - dt.timedelta(days=20) - c.clock.now())
        await c.link_all()
        await a.node.add_member("ana", "Ana")
        await b.node.add_member("ben", "Ben")
        await d.node.add_member("cleo", "Cleo")
        silent = await _circle(c, "General")
        c.clock.advance(dt.timedelta(days=19))
        heard = await _circle(c, "Housing")
        await c.stop(b)
        # What `nst init` writes beside the data: the key file and the config.
        write_key(b.data_dir / "node.key", b.key)
        (b.data_dir / "config.toml").write_text(render_config(b.node.config), "utf-8")

        done = _nst(b, "admin", "circle", "move-home", silent, "--to", b.node_id)
        assert done.returncode == 0, done.stderr
        assert "voted to move the home of General to" in done.stdout
        assert "(1 of 2 votes held here)" in done.stdout

        refused = _nst(b, "admin", "circle", "move-home", heard, "--to", b.node_id)
        assert refused.returncode == 1
        m = re.fullmatch(r"error: ([a-z_.]+): (.+)", refused.stderr.strip())
        assert m is not None, refused.stderr
        assert m.group(1) == "home.not_timed_out"

        # The vote waits in B's outbox; back online, B sends it to D (and to A).
        await c.start(b)
        await c.stop(a)
        await c.settle()
        [vote] = await d.store.fetchall(
            "SELECT author FROM envelopes WHERE kind = 'home.vote' AND scope = ?", (silent,)
        )
        assert vote[0] == b.node_id
