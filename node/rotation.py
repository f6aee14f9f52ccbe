"""Our side of a key rotation, in the node layer (PROTOCOL.md §4.2).

The old key signs one ``key.rotate`` in each linked peer's direct scope, all committed
in one transaction, and the ordinary outbox carries them (after whatever was queued for
that peer before). The key file is swapped with the old one kept beside it, and the
running Node switches to the new key. Federation adds its part in
``federation.rotation``.

A circle's home is the id of the key that created it (``circle:<local>@<node id>``):
circles homed on a retired id stay homed there, and their peers accept their charter
and memberships from that id only, so this node can no longer change them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from node.config import Config
from node.keyfile import KeyFileError, read_key, write_key
from node.service import Node
from node.store import LocalDraft
from node.store.log import append_local
from protocol import node_id_of
from protocol.ids import DIRECT_PREFIX
from protocol.rotation import make_rotation

RETIRED_SUFFIX = ".old-"


async def author_rotations(node: Node, new_key: SigningKey, reason: str = "") -> list[str]:
    """Sign, with the node's current key, a key.rotate to ``new_key`` for every linked
    peer; returns the peers it was queued for. Does not switch keys."""
    old_key = node.key
    body = make_rotation(old_key, new_key, reason)
    now = node.clock.now()

    def run(conn: sqlite3.Connection) -> list[str]:
        peers = [
            str(r[0])
            for r in conn.execute(
                "SELECT node_id FROM peers WHERE state = 'linked' ORDER BY node_id"
            )
        ]
        for peer in peers:
            append_local(conn, LocalDraft("key.rotate", DIRECT_PREFIX + peer, body), old_key, now)
        return peers

    peers = await node.store.write(run)
    node.notify()
    return peers


def switch_key(node: Node, new_key: SigningKey) -> None:
    """The running node signs with ``new_key`` and answers to its id from now on."""
    node.key = new_key
    node.node_id = node_id_of(new_key)


async def pending_rotation(node: Node, peer: str) -> str | None:
    """The retired id whose key.rotate is the oldest still queued for ``peer``: the peer
    knows us by that id until it takes the rotation in."""
    row = await node.store.fetchone(
        "SELECT e.author FROM outbox o JOIN envelopes e ON e.id = o.envelope_id"
        " WHERE o.peer = ? AND e.kind = 'key.rotate' ORDER BY o.rowid LIMIT 1",
        (peer,),
    )
    return str(row[0]) if row else None


@dataclass(frozen=True, slots=True)
class KeySwap:
    """The key files of one rotation: the new key staged beside the current one and a
    copy of the current one kept, until ``commit`` puts the new one in place."""

    path: Path
    staged: Path
    retired: Path

    @classmethod
    def prepare(
        cls,
        config: Config,
        old_key: SigningKey,
        new_key: SigningKey,
        stamp: str,
        passphrase: str | None = None,
    ) -> KeySwap:
        """Check the key file holds ``old_key`` (and that the passphrase opens it), then
        write ``node.key.new`` and ``node.key.old-<stamp>`` (mode 0600, fsynced)."""
        path = config.key_path
        if read_key(path, passphrase).verify_key != old_key.verify_key:
            raise KeyFileError(f"{path} does not hold the key this node runs with")
        swap = cls(path, path.with_name(path.name + ".new"), _retired_path(path, stamp))
        write_key(swap.staged, new_key, passphrase)
        try:
            _copy_private(path, swap.retired)
        except BaseException:
            swap.staged.unlink()
            raise
        return swap

    def abort(self) -> None:
        for p in (self.staged, self.retired):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    def commit(self) -> None:
        os.replace(self.staged, self.path)
        _fsync_dir(self.path.parent)


def retired_key_files(config: Config) -> list[Path]:
    """Key files kept by earlier rotations, oldest first."""
    path = config.key_path
    return sorted(path.parent.glob(path.name + RETIRED_SUFFIX + "*"))


def load_retired_keys(config: Config, passphrase: str | None = None) -> list[SigningKey]:
    """The keys of earlier rotations (to finish telling peers, or to open old boxes)."""
    return [read_key(p, passphrase) for p in retired_key_files(config)]


def _retired_path(path: Path, stamp: str) -> Path:
    return path.with_name(path.name + RETIRED_SUFFIX + stamp)


def _copy_private(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    try:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{dst} exists; refusing to overwrite a key") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
