"""Backups that bring back the same node: one tar.gz archive holding a consistent online
copy of the database, ``config.toml`` and the key files as they are (an encrypted key
stays encrypted), after a manifest (``nst-backup.json``) of the node id and each file's
size and SHA-256.

``restore`` unpacks into a staging directory inside the target, checks everything there
(hashes, the key against the node id, the database's integrity and schema) and only then
moves the files into place, so a bad archive leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import msgspec
import tomli_w

from node.config import CONFIG_NAME, DB_NAME, KEY_NAME, Config
from node.keyfile import ENCRYPTED_KEY_TYPE, KeyFileError, stated_node_id
from node.public_forms.tokens import SECRET_NAME
from node.rotation import retired_key_files
from node.store import Store
from node.store.migrate import refuse_newer

MANIFEST = "nst-backup.json"
FORMAT = 1
_RETIRED = re.compile(r"node\.key\.old-[0-9A-Za-z._-]{1,64}")
_MAX_MANIFEST = 1 << 20
_CHUNK = 1 << 20
# What a damaged or foreign file raises while it is read as a tar.gz archive.
_DAMAGED = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError)


class BackupError(Exception):
    """A backup or restore that cannot go on; ``code`` says why (``restore.*``, ``io``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _File(msgspec.Struct):
    sha256: str
    size: int


class Manifest(msgspec.Struct):
    nst_backup: int
    node_id: str
    name: str
    made_at: str
    schema_version: int
    files: dict[str, _File]


@dataclass(frozen=True, slots=True)
class Restored:
    """What ``restore`` put in place."""

    node_id: str
    name: str
    encrypted_key: bool
    retired_keys: int
    moved_data_dir: str | None  # the data_dir config.toml recorded, when it was rewritten


# --- making a backup ----------------------------------------------------------------------


async def write_backup(
    store: Store, cfg: Config, config_path: Path, sink: IO[bytes], *, with_key: bool = True
) -> Manifest:
    """Write the archive to ``sink``: the database copied online from the open ``store``,
    the config file and (``with_key``) ``node.key``, its retired predecessors and the
    public forms' secret (``public-forms.key``, which signs the links of public mails)."""
    node_id = stated_node_id(cfg.key_path)
    keys = [cfg.key_path, *retired_key_files(cfg)] if with_key else []
    small = {CONFIG_NAME: _read(config_path)}
    small.update({path.name: _read(path) for path in keys})
    secret = cfg.data_dir / SECRET_NAME
    if with_key and secret.exists():  # the links of public mails stay valid after a restore
        small[SECRET_NAME] = _read(secret)
    with tempfile.TemporaryDirectory(prefix=".nst-backup-", dir=cfg.data_dir) as scratch:
        db_copy = Path(scratch) / DB_NAME
        await store.backup(db_copy)
        conn = sqlite3.connect(db_copy)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            conn.close()
        files = {DB_NAME: _File(_sha256_of(db_copy), db_copy.stat().st_size)}
        for name, data in small.items():
            files[name] = _File(hashlib.sha256(data).hexdigest(), len(data))
        manifest = Manifest(
            nst_backup=FORMAT,
            node_id=node_id,
            name=cfg.name,
            made_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            schema_version=store.schema_version,
            files=files,
        )
        with tarfile.open(fileobj=sink, mode="w:gz", compresslevel=6) as tar:
            listed = msgspec.json.encode(manifest)
            _add(tar, MANIFEST, io.BytesIO(listed), len(listed))
            with db_copy.open("rb") as db:
                _add(tar, DB_NAME, db, files[DB_NAME].size)
            for name, data in small.items():
                _add(tar, name, io.BytesIO(data), len(data))
    sink.flush()
    os.fsync(sink.fileno())
    return manifest


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BackupError("io", f"cannot read {path}: {exc.strerror}") from None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _add(tar: tarfile.TarFile, name: str, data: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    tar.addfile(info, data)


# --- restoring one ------------------------------------------------------------------------


def restore(archive: Path, target: Path, key: Path | None = None) -> Restored:
    """Put the node of ``archive`` in the directory ``target``, which must not hold a node;
    ``key`` is the key file to use (for an archive made without one). All or nothing."""
    present = [p for p in (target / CONFIG_NAME, target / KEY_NAME, target / DB_NAME) if p.exists()]
    if present:
        raise BackupError(
            "restore.exists", f"{present[0]} exists: a node is here already; nothing was changed"
        )
    if target.exists() and not target.is_dir():
        raise BackupError("restore.exists", f"{target} exists and is not a directory")
    try:
        source = archive.open("rb")
    except OSError as exc:
        raise BackupError("io", f"cannot read {archive}: {exc.strerror}") from None
    with source:
        made = _make_dirs(target)
        moved: list[Path] = []
        try:
            stage = Path(tempfile.mkdtemp(prefix=".restore-", dir=target))
            try:
                manifest = _unpack(source, stage)
                restored = _check(manifest, stage, target, key)
                # config.toml last: without it the directory is no node, whatever is there.
                names = sorted(manifest.files, key=lambda n: (n == CONFIG_NAME, n))
                if key is not None and KEY_NAME not in names:
                    names.insert(0, KEY_NAME)
                for name in names:
                    if (target / name).exists():  # appeared since we looked: never replace it
                        raise BackupError(
                            "restore.exists", f"{target / name} appeared; nothing was changed"
                        )
                    os.rename(stage / name, target / name)
                    moved.append(target / name)
                _fsync_dir(target)
            finally:
                shutil.rmtree(stage, ignore_errors=True)
        except BaseException:
            for path in moved:
                path.unlink(missing_ok=True)
            if made is not None:
                shutil.rmtree(made, ignore_errors=True)
            raise
    return restored


def _make_dirs(target: Path) -> Path | None:
    """Create ``target`` (mode 0700) if needed; the topmost directory created, to remove
    again if the restore fails."""
    top = None
    for parent in (target, *target.parents):
        if parent.exists():
            break
        top = parent
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError("io", f"cannot create {target}: {exc.strerror}") from None
    return top


def _unpack(source: IO[bytes], stage: Path) -> Manifest:
    """Every file of the archive into ``stage`` (mode 0600), each checked against the
    manifest that comes first."""
    manifest: Manifest | None = None
    seen: set[str] = set()
    try:
        with tarfile.open(fileobj=source, mode="r:gz") as tar:
            for member in tar:
                data = tar.extractfile(member) if member.isreg() else None
                if data is None:
                    raise BackupError("restore.bad_archive", f"{member.name} is not a file")
                if manifest is None:
                    manifest = _manifest(member, data)
                    continue
                entry = manifest.files.get(member.name)
                if entry is None or member.name in seen:
                    raise BackupError(
                        "restore.bad_archive", f"{member.name}: not in the manifest, or twice"
                    )
                seen.add(member.name)
                _copy_checked(data, stage / member.name, member.name, entry)
    except _DAMAGED as exc:
        raise BackupError(
            "restore.bad_archive", f"not an intact `nst backup` archive: {exc}"
        ) from None
    if manifest is None:
        raise BackupError("restore.bad_archive", "the archive is empty")
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise BackupError("restore.bad_archive", f"{', '.join(missing)} missing (cut short?)")
    return manifest


def _manifest(member: tarfile.TarInfo, data: IO[bytes]) -> Manifest:
    if member.name != MANIFEST or member.size > _MAX_MANIFEST:
        raise BackupError("restore.bad_archive", f"no {MANIFEST} first: not an `nst backup`")
    try:
        raw = msgspec.json.decode(data.read())
        newer = isinstance(raw, dict) and isinstance(raw.get("nst_backup"), int)
        if newer and raw["nst_backup"] > FORMAT:
            raise BackupError(
                "restore.bad_archive", "made by a newer NST: install it to restore this"
            )
        manifest = msgspec.convert(raw, Manifest)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BackupError("restore.bad_archive", f"{MANIFEST}: {exc}") from None
    strange = sorted(n for n in manifest.files if not _known_name(n))
    if strange or DB_NAME not in manifest.files or CONFIG_NAME not in manifest.files:
        raise BackupError("restore.bad_archive", f"{MANIFEST} lists {strange or 'too little'}")
    return manifest


def _known_name(name: str) -> bool:
    known = (DB_NAME, CONFIG_NAME, KEY_NAME, SECRET_NAME)
    return name in known or _RETIRED.fullmatch(name) is not None


def _copy_checked(data: IO[bytes], path: Path, name: str, entry: _File) -> None:
    digest, size = hashlib.sha256(), 0
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: data.read(_CHUNK), b""):
                size += len(chunk)
                if size > entry.size:
                    break
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        if isinstance(exc, gzip.BadGzipFile):
            raise
        raise BackupError("io", f"cannot write {path}: {exc.strerror}") from None
    if size != entry.size or digest.hexdigest() != entry.sha256:
        raise BackupError("restore.bad_archive", f"{name} is damaged (its SHA-256 differs)")


def _check(manifest: Manifest, stage: Path, target: Path, key: Path | None) -> Restored:
    """The staged files belong together and make a node at ``target``."""
    node_id = manifest.node_id
    if key is not None:
        with contextlib.suppress(FileNotFoundError):
            (stage / KEY_NAME).unlink()
        _write_private(stage / KEY_NAME, _read(key))
    elif KEY_NAME not in manifest.files:
        raise BackupError(
            "restore.no_key",
            "the archive holds no key (made with --no-key): give the node's key with --key FILE",
        )
    try:
        held = stated_node_id(stage / KEY_NAME)
        for name in manifest.files:
            if _RETIRED.fullmatch(name):
                stated_node_id(stage / name)
    except KeyFileError as exc:
        message = str(exc).replace(str(stage), "the archive")
        raise BackupError("restore.wrong_key", message) from None
    if held != node_id:
        raise BackupError(
            "restore.wrong_key", f"the key is {held}'s, but the database is {node_id}'s"
        )
    _check_database(stage / DB_NAME, node_id)
    moved = _point_config(stage / CONFIG_NAME, target)
    encrypted = msgspec.json.decode((stage / KEY_NAME).read_bytes()).get("type")
    return Restored(
        node_id=node_id,
        name=manifest.name,
        encrypted_key=encrypted == ENCRYPTED_KEY_TYPE,
        retired_keys=sum(1 for n in manifest.files if _RETIRED.fullmatch(n)),
        moved_data_dir=moved,
    )


def _check_database(path: Path, node_id: str) -> None:
    try:
        conn = sqlite3.connect(path)
    except sqlite3.Error as exc:
        raise BackupError("restore.bad_database", f"the database does not open: {exc}") from None
    try:
        conn.execute("PRAGMA query_only = ON")
        version = refuse_newer(conn, path)
        problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(
                "restore.bad_database", f"the database is damaged: {'; '.join(problems[:3])}"
            )
        if version == 0:
            raise BackupError("restore.bad_database", "the database is not an NST node's")
        if conn.execute("SELECT 1 FROM peers WHERE node_id = ?", (node_id,)).fetchone():
            raise BackupError(
                "restore.wrong_key", f"the database lists {node_id} as a peer: it is another node's"
            )
    except sqlite3.DatabaseError as exc:
        raise BackupError("restore.bad_database", f"the database is damaged: {exc}") from None
    finally:
        conn.close()


def _point_config(path: Path, target: Path) -> str | None:
    """A config that records where its node's files are (``data_dir``) is made to name
    ``target``; the path it named before, if it was another."""
    text = path.read_text("utf-8")
    try:
        doc: dict[str, Any] = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BackupError("restore.bad_archive", f"{CONFIG_NAME}: {exc}") from None
    node = doc.get("node", {})
    where = str(target.resolve())
    if "data_dir" not in node or node["data_dir"] == where:
        return None
    before = str(node["data_dir"])
    line = re.compile(r"^(\s*data_dir\s*=\s*)(['\"]).*\2\s*$", re.M)
    new = line.sub(lambda m: m.group(1) + tomli_w.dumps({"v": where})[4:].strip(), text, 1)
    if tomllib.loads(new).get("node", {}).get("data_dir") != where:  # written another way
        node["data_dir"] = where
        new = tomli_w.dumps(doc)
    path.unlink()
    _write_private(path, new.encode())
    return before


def _write_private(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise BackupError("io", f"cannot write {path}: {exc.strerror}") from None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
