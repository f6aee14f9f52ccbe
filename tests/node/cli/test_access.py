"""``nst admin`` for who reads a circle and for a member's second factor, as an operator
runs them: real ``python -m node`` processes on a real node directory."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyotp

from node import second_factor
from node.cli.node import node_of, opened

PASSWORD = "correct horse battery"


def nst(
    *args: str, data_dir: Path, stdin: str = "", ok: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_")}
    env["XDG_DATA_HOME"] = str(data_dir.parent / "xdg")
    proc = subprocess.run(
        [sys.executable, "-m", "node", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert (proc.returncode == 0) == ok, proc.stderr
    return proc


def error_code(proc: subprocess.CompletedProcess[str]) -> str:
    found = re.search(r"^error: ([a-z_.]+): ", proc.stderr, re.MULTILINE)
    assert found, proc.stderr
    return found.group(1)


def test_who_reads_a_circle_is_set_on_the_command_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    nst("init", "--name", "Riverside", data_dir=data_dir)
    board = nst("admin", "circle", "create", "Board", "--aim", "Money", data_dir=data_dir)
    board_id = board.stdout.strip()
    open_ = nst(
        "admin",
        "circle",
        "create",
        "Garden",
        "--aim",
        "Plants",
        "--visibility",
        "organization",
        data_dir=data_dir,
    ).stdout.strip()

    def show(circle: str) -> Any:
        shown = nst("admin", "circle", "show", circle, "--json", data_dir=data_dir)
        return json.loads(shown.stdout)

    assert show(board_id)["visibility"] == "members"
    assert show(open_)["visibility"] == "organization"
    out = nst("admin", "circle", "visibility", board_id, "organization", data_dir=data_dir).stdout
    assert "read by everyone on this node" in out
    assert show(board_id)["visibility"] == "organization"
    assert "visibility organization" in " ".join(
        nst("admin", "circle", "show", board_id, data_dir=data_dir).stdout.split()
    )
    # A federated circle is read by its members only; nothing is created when refused.
    refused = nst(
        "admin",
        "circle",
        "create",
        "Coalition",
        "--aim",
        "All",
        "--federated",
        "--visibility",
        "organization",
        data_dir=data_dir,
        ok=False,
    )
    assert error_code(refused) == "circle.visibility_fixed"
    names = [
        c["name"]
        for c in json.loads(nst("admin", "circle", "list", "--json", data_dir=data_dir).stdout)
    ]
    assert sorted(names) == ["Board", "Garden"]
    fed = nst(
        "admin", "circle", "create", "Coalition", "--aim", "All", "--federated", data_dir=data_dir
    )
    refused = nst(
        "admin",
        "circle",
        "visibility",
        fed.stdout.strip(),
        "organization",
        data_dir=data_dir,
        ok=False,
    )
    assert error_code(refused) == "circle.visibility_fixed"
    assert (
        error_code(
            nst(
                "admin",
                "circle",
                "visibility",
                "circle:nothing",
                "members",
                data_dir=data_dir,
                ok=False,
            )
        )
        == "circle.unknown"
    )
    # A rebuild of the read tables keeps the setting (it is not in the signed log).
    nst("admin", "rebuild", data_dir=data_dir)
    assert show(board_id)["visibility"] == "organization"


async def test_totp_reset_turns_a_members_second_factor_off(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    nst("init", "--name", "Riverside", data_dir=data_dir)
    nst("admin", "member", "add", "ana", "--admin", data_dir=data_dir, stdin=PASSWORD + "\n")
    args = argparse.Namespace(data_dir=str(data_dir), config=None, passphrase_stdin=False)
    node = node_of(args)
    async with opened(node.store):
        begun = await second_factor.begin(node, "ana")
        code = pyotp.TOTP(begun.secret).at(node.clock.now().timestamp())
        await second_factor.confirm(node, "ana", code)
        assert await second_factor.required(node, "ana")
    out = nst("admin", "member", "totp-reset", "ana", data_dir=data_dir).stdout
    assert "second factor of ana turned off" in out
    assert begun.secret not in out
    node = node_of(args)
    async with opened(node.store):
        assert not await second_factor.required(node, "ana")
    assert "was not set" in nst("admin", "member", "totp-reset", "ana", data_dir=data_dir).stdout
    refused = nst("admin", "member", "totp-reset", "nobody", data_dir=data_dir, ok=False)
    assert error_code(refused) == "member.unknown"
