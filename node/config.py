"""Node configuration: one TOML file in the data directory, with NST_* overrides.

The data directory comes from ``--data-dir``, else ``NST_DATA_DIR``, else
``$XDG_DATA_HOME/nst`` (``~/.local/share/nst``). It holds ``config.toml``,
``node.key`` (mode 0600), ``nst.sqlite3``, ``backups/`` and, once ``nst run`` has
listened, ``listen.json`` (node/address.py).
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import tomli_w

from node.address import format_url, recorded_listening

CONFIG_NAME = "config.toml"
KEY_NAME = "node.key"
DB_NAME = "nst.sqlite3"
DEFAULT_PORT = 8470


class ConfigError(Exception):
    """The configuration is missing or wrong; the message says what to do, ``code`` which
    setting it is (``config`` for most, ``mail.*`` for the mail settings)."""

    def __init__(self, message: str, code: str = "config") -> None:
        super().__init__(message)
        self.code = code


Security = Literal["starttls", "tls", "none"]
_MAIL_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True, slots=True)
class MailConfig:
    """How the node reaches its SMTP server (``[mail]``, ``NST_SMTP_*``, ``NST_MAIL_FROM``).

    Only the password file's path is kept: the password is read when a connection
    needs it, so no Config (or its repr in a log line) ever holds it."""

    host: str = ""
    port: int = 0
    security: Security = "starttls"
    user: str = ""
    password_file: str = ""
    sender: str = ""

    @property
    def enabled(self) -> bool:
        """Mail is on once a server and a From address are set."""
        return bool(self.host and self.sender)

    @property
    def real_port(self) -> int:
        return self.port or _MAIL_PORTS[self.security]


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path
    name: str = "Our organization"
    # The language of the node's pages (a BCP 47 tag), said in each page's <html lang>.
    language: str = "en"
    listen_host: str = "127.0.0.1"
    listen_port: int = DEFAULT_PORT
    public_url: str = ""
    dev_mode: bool = False
    log_format: Literal["console", "json"] = "console"
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    metrics_public: bool = False
    verify_workers: int = 1
    # Reverse proxies whose X-Forwarded-For (or Forwarded) header names the real client
    # of a request (addresses or networks); empty: no header is believed.
    trusted_proxies: tuple[str, ...] = ()
    proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    # Where `nst run` really listens (or last listened): the address of the running
    # node, which may differ from listen_host and listen_port (--listen, port 0).
    listen_url: str = ""
    mail: MailConfig = field(default_factory=MailConfig)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key_path(self) -> Path:
        return self.data_dir / KEY_NAME

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def config_path(self) -> Path:
        return self.data_dir / CONFIG_NAME

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def url(self) -> str:
        """The address this node gives peers and members, the same in every command:
        ``public_url``, else where ``nst run`` really listens, else the configured
        host and port."""
        return self.public_url or self.listen_url or format_url(self.listen_host, self.listen_port)


def default_data_dir(env: Mapping[str, str]) -> Path:
    if env.get("NST_DATA_DIR"):
        return Path(env["NST_DATA_DIR"])
    xdg = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "nst"


def resolve_data_dir(data_dir: str | Path | None, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(data_dir) if data_dir else default_data_dir(env)


_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}")
_BOOL = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def load_config(
    data_dir: str | Path | None = None,
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Read config.toml and apply NST_* environment overrides."""
    env = os.environ if env is None else env
    base = resolve_data_dir(data_dir, env)
    path = Path(config_path) if config_path else base / CONFIG_NAME
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no node at {base}: run `nst init --data-dir {base}` first") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    node = doc.get("node", {})
    server = doc.get("server", {})
    storage = doc.get("storage", {})
    logging = doc.get("logging", {})
    federation = doc.get("federation", {})
    mail = doc.get("mail", {})
    data_dir = Path(node.get("data_dir", base))
    running = recorded_listening(data_dir)
    cfg = Config(
        data_dir=data_dir,
        name=node.get("name", "Our organization"),
        language=str(node.get("language", "en")),
        listen_host=server.get("host", "127.0.0.1"),
        listen_port=int(server.get("port", DEFAULT_PORT)),
        public_url=server.get("public_url", ""),
        # `nst run --dev` (or NST_DEV_MODE on it) makes the node a development one for
        # every command on it, as dev_mode in this file does.
        dev_mode=bool(server.get("dev_mode", False)) or running.dev_mode,
        metrics_public=bool(server.get("metrics_public", False)),
        trusted_proxies=tuple(str(p) for p in server.get("trusted_proxies", ())),
        proxy_header=str(server.get("proxy_header", "x-forwarded-for")).lower(),  # type: ignore[arg-type]
        log_format=logging.get("format", "console"),
        synchronous=storage.get("synchronous", "NORMAL"),
        verify_workers=int(federation.get("verify_workers", 1)),
        listen_url=running.url,
        mail=MailConfig(
            host=str(mail.get("host", "")),
            port=int(mail.get("port", 0)),
            security=str(mail.get("security", "starttls")).lower(),  # type: ignore[arg-type]
            user=str(mail.get("user", "")),
            password_file=str(mail.get("password_file", "")),
            sender=str(mail.get("from", "")),
        ),
        extra=doc,
    )
    return apply_env(cfg, env)


def apply_env(cfg: Config, env: Mapping[str, str]) -> Config:
    """NST_LISTEN=host:port, NST_PUBLIC_URL, NST_DEV_MODE, NST_LOG_FORMAT, NST_NAME,
    NST_LANGUAGE, NST_VERIFY_WORKERS, NST_TRUSTED_PROXIES (comma-separated), NST_PROXY_HEADER, and
    the mail server's NST_SMTP_HOST, NST_SMTP_PORT, NST_SMTP_SECURITY, NST_SMTP_USER,
    NST_SMTP_PASSWORD_FILE and NST_MAIL_FROM."""
    changes: dict[str, Any] = {}
    if env.get("NST_LISTEN"):
        host, _, port = env["NST_LISTEN"].rpartition(":")
        changes["listen_host"], changes["listen_port"] = host or cfg.listen_host, int(port)
    if env.get("NST_PUBLIC_URL"):
        changes["public_url"] = env["NST_PUBLIC_URL"]
    if env.get("NST_DEV_MODE"):
        changes["dev_mode"] = _BOOL.get(env["NST_DEV_MODE"].lower(), False)
    if env.get("NST_LOG_FORMAT") in ("console", "json"):
        changes["log_format"] = env["NST_LOG_FORMAT"]
    if env.get("NST_NAME"):
        changes["name"] = env["NST_NAME"]
    if env.get("NST_LANGUAGE"):
        changes["language"] = env["NST_LANGUAGE"]
    if env.get("NST_VERIFY_WORKERS"):
        changes["verify_workers"] = int(env["NST_VERIFY_WORKERS"])
    if "NST_TRUSTED_PROXIES" in env:
        listed = env["NST_TRUSTED_PROXIES"].split(",")
        changes["trusted_proxies"] = tuple(p.strip() for p in listed if p.strip())
    if env.get("NST_PROXY_HEADER"):
        changes["proxy_header"] = env["NST_PROXY_HEADER"].lower()
    changes["mail"] = _mail_env(cfg.mail, env)
    cfg = replace(cfg, **changes)
    if cfg.synchronous not in ("NORMAL", "FULL"):
        raise ConfigError(f"storage.synchronous must be NORMAL or FULL, not {cfg.synchronous!r}")
    if not _LANGUAGE.fullmatch(cfg.language):
        raise ConfigError(
            f"node.language must be a language tag such as en, fr or es-MX, not {cfg.language!r}"
        )
    if not 0 <= cfg.verify_workers <= 16:
        raise ConfigError(f"federation.verify_workers must be 0-16, not {cfg.verify_workers}")
    for proxy in cfg.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"server.trusted_proxies: {proxy!r} is not an IP address or network"
            ) from None
    if cfg.proxy_header not in ("x-forwarded-for", "forwarded"):
        raise ConfigError(
            f"server.proxy_header must be x-forwarded-for or forwarded, not {cfg.proxy_header!r}"
        )
    if cfg.log_format not in ("console", "json"):
        raise ConfigError(f"logging.format must be console or json, not {cfg.log_format!r}")
    check_mail(cfg.mail)
    return cfg


_MAIL_ENV = {
    "NST_SMTP_HOST": "host",
    "NST_SMTP_SECURITY": "security",
    "NST_SMTP_USER": "user",
    "NST_SMTP_PASSWORD_FILE": "password_file",
    "NST_MAIL_FROM": "sender",
}


def _mail_env(mail: MailConfig, env: Mapping[str, str]) -> MailConfig:
    changes: dict[str, Any] = {f: env[v] for v, f in _MAIL_ENV.items() if v in env}
    if env.get("NST_SMTP_PORT"):
        try:
            changes["port"] = int(env["NST_SMTP_PORT"])
        except ValueError:
            raise ConfigError("NST_SMTP_PORT must be a port number", "mail.bad_config") from None
    if "security" in changes:
        changes["security"] = changes["security"].lower()
    return replace(mail, **changes)


def check_mail(mail: MailConfig) -> None:
    """Refuse a mail configuration that cannot work, and a password file others can read
    (``mail.password_file_mode``): it would leak the mail account."""
    if mail.security not in _MAIL_PORTS:
        raise ConfigError(
            f"mail.security must be starttls, tls or none, not {mail.security!r}",
            "mail.bad_config",
        )
    if not 0 <= mail.port <= 65535:
        raise ConfigError(f"mail.port must be 1-65535, not {mail.port}", "mail.bad_config")
    if mail.host and not mail.sender:
        raise ConfigError(
            "mail.host is set but not mail.from (NST_MAIL_FROM): the address mail comes from",
            "mail.bad_config",
        )
    if mail.password_file:
        read_password(mail)


def read_password(mail: MailConfig) -> str:
    """The SMTP password from its file, which must be the owner's alone (mode 0600)."""
    path = Path(mail.password_file)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError as exc:
        raise ConfigError(
            f"mail.password_file {path} cannot be read: {exc.strerror}", "mail.password_file"
        ) from None
    if mode & 0o077:
        raise ConfigError(
            f"mail.password_file {path} has mode {mode:04o}; others may read it."
            f" Run: chmod 600 {path}",
            "mail.password_file_mode",
        )
    try:
        return path.read_text("utf-8").strip()
    except (OSError, UnicodeError) as exc:
        raise ConfigError(
            f"mail.password_file {path} cannot be read: {exc}", "mail.password_file"
        ) from None


def _toml(value: Any) -> str:
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def render_config(cfg: Config) -> str:
    """The commented config.toml that ``nst init`` writes."""
    return f"""# Next Step Together node configuration.
# Every value can be overridden by an environment variable (shown beside it).

[node]
# The organization this node belongs to, shown to members and linked nodes. (NST_NAME)
name = {_toml(cfg.name)}
# The language of the public site's pages, a tag such as en, fr or es-MX. (NST_LANGUAGE)
language = {_toml(cfg.language)}

[server]
# Where `nst run` listens. Put a reverse proxy with TLS in front of it. (NST_LISTEN=host:port)
host = {_toml(cfg.listen_host)}
port = {cfg.listen_port}
# The https:// address other organizations reach this node at. Empty: the address
# `nst run` listens on, which only development mode accepts. (NST_PUBLIC_URL)
public_url = {_toml(cfg.public_url)}
# Development mode allows plain HTTP and loopback peers, for every command on this
# node (`nst init --dev` sets it). Never in production. (NST_DEV_MODE)
dev_mode = {_toml(cfg.dev_mode)}
# Serve /metrics to anyone, not only to loopback clients.
metrics_public = {_toml(cfg.metrics_public)}
# The reverse proxies in front of the node (addresses or networks), whose header names
# each request's real client: logins are throttled per client. Behind a proxy on this
# machine: ["127.0.0.1", "::1"]. Empty: the header is not believed, and every member
# behind a proxy counts as one client. (NST_TRUSTED_PROXIES=a,b)
trusted_proxies = {_toml(list(cfg.trusted_proxies))}
# The header those proxies set: "x-forwarded-for" (nginx, Caddy) or "forwarded"
# (RFC 7239). (NST_PROXY_HEADER)
proxy_header = {_toml(cfg.proxy_header)}

[storage]
# NORMAL survives a crash of the process; FULL also survives a power cut, at some speed.
synchronous = {_toml(cfg.synchronous)}

[logging]
# console (readable) or json (one object per line). (NST_LOG_FORMAT)
format = {_toml(cfg.log_format)}

[federation]
# Processes that verify large inbound batches on other cores; 0 verifies in the server
# process only. (NST_VERIFY_WORKERS)
verify_workers = {cfg.verify_workers}

[mail]
# The SMTP server the node sends mail through (reminders, digests, confirmations).
# Empty host: mail is off, and the node says so in `nst status` and on the admin page.
# (NST_SMTP_HOST)
host = {_toml(cfg.mail.host)}
# 0: the usual port of the security below (587, 465 or 25). (NST_SMTP_PORT)
port = {cfg.mail.port}
# starttls (port 587), tls (port 465) or none (a relay on this machine only).
# (NST_SMTP_SECURITY)
security = {_toml(cfg.mail.security)}
# The account to log in with; empty: no login. (NST_SMTP_USER)
user = {_toml(cfg.mail.user)}
# A file holding the account's password alone, mode 0600 (chmod 600 FILE); the node
# refuses one others can read. (NST_SMTP_PASSWORD_FILE)
password_file = {_toml(cfg.mail.password_file)}
# The address mail comes from, e.g. "Eastside Coalition <nst@example.org>". (NST_MAIL_FROM)
from = {_toml(cfg.mail.sender)}
"""
