"""``nst backup`` and ``nst restore``: the whole node (database copied online, config, key)
in one archive, and the same node brought back from it (``node.backup``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import BinaryIO

from node.cli.errors import CliError
from node.cli.node import (
    Sub,
    common_options,
    config_of,
    create_private,
    opened,
    run_async,
    store_of,
)
from node.config import CONFIG_NAME, resolve_data_dir


def _backup(args: argparse.Namespace) -> int:
    from node.backup import BackupError, write_backup

    cfg = config_of(args)
    config_path = (
        Path(args.config) if args.config else resolve_data_dir(args.data_dir) / CONFIG_NAME
    )
    if args.out:
        out = Path(args.out)
    else:
        cfg.backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = cfg.backup_dir / f"nst-{stamp}.tar.gz"
    fd = create_private(out)

    async def go(sink: BinaryIO) -> None:
        async with opened(store_of(cfg)) as store:
            await write_backup(store, cfg, config_path, sink, with_key=not args.no_key)

    try:
        with os.fdopen(fd, "wb") as sink:
            run_async(go(sink))
    except BaseException as exc:
        out.unlink(missing_ok=True)
        if isinstance(exc, BackupError):
            raise CliError(exc.code, exc.message) from None
        raise
    print(out)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from node.backup import BackupError, restore

    target = resolve_data_dir(args.data_dir)
    try:
        done = restore(Path(args.file), target, Path(args.key) if args.key else None)
    except BackupError as exc:
        raise CliError(exc.code, exc.message) from None
    where = "" if args.data_dir is None else f" --data-dir {target}"
    print(f"node {done.node_id}")
    print(f"restored {done.name} into {target}")
    if done.moved_data_dir is not None:
        print(f"config.toml named data_dir {done.moved_data_dir}; it now names {target.resolve()}")
    if done.retired_keys:
        print(f"with {done.retired_keys} retired key(s) of earlier rotations")
    if done.encrypted_key:
        print("the key is encrypted: nst run needs its passphrase (NST_KEY_PASSPHRASE)")
    print(f"next: nst run{where}")
    return 0


def add_parsers(sub: Sub) -> None:
    common = common_options(passphrase=False)
    p = sub.add_parser(
        "backup", parents=[common], help="the whole node in one archive, taken online"
    )
    p.add_argument("--out", help="file to create (default: DATA_DIR/backups/nst-STAMP.tar.gz)")
    p.add_argument(
        "--no-key", action="store_true", help="leave the keys out (for copies kept elsewhere)"
    )
    p.set_defaults(run=_backup)
    p = sub.add_parser("restore", help="bring a node back from `nst backup` into a new directory")
    p.add_argument("file", help="an archive from `nst backup`")
    p.add_argument(
        "--data-dir", metavar="DIR", help="where to put it (default: NST_DATA_DIR, else XDG)"
    )
    p.add_argument("--key", metavar="FILE", help="the node's key, for an archive without one")
    p.set_defaults(run=_restore)
