"""Images of articles: the type is read from the file's first bytes (never from its name
or what the browser claims), the size is bounded, and the file is written under the data
directory with a random name, so an upload can neither run as a page nor overwrite one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Final

from node.articles.records import ArticleRefused
from protocol import ErrorCode

#: The largest image accepted, in bytes: 1 MB, within the 1 MiB a request's body may be.
MAX_BYTES: Final = 1_000_000
#: The longest alt text.
MAX_ALT: Final = 300
#: (type, extension) by the first bytes of the file; no SVG, which can hold scripts.
_SIGNATURES: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


def image_dir(data_dir: Path) -> Path:
    return data_dir / "public" / "images"


def sniff(data: bytes) -> tuple[str, str]:
    """(content type, extension) of an image file; ``article.image_type`` otherwise."""
    for magic, content_type, ext in _SIGNATURES:
        if data.startswith(magic):
            return content_type, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    raise ArticleRefused(
        ErrorCode.ARTICLE_IMAGE_TYPE, "Only PNG, JPEG, GIF and WebP images can be uploaded.", "file"
    )


def check(data: bytes, alt: str) -> tuple[str, str]:
    """Check an upload before anything is written: its size, its type, its alt text."""
    if not alt.strip():
        raise ArticleRefused(
            ErrorCode.ARTICLE_IMAGE_ALT,
            "Describe the image in a few words for people who cannot see it (its alt text).",
            "alt",
        )
    if len(alt) > MAX_ALT:
        raise ArticleRefused(
            ErrorCode.ARTICLE_IMAGE_ALT, f"Keep the alt text under {MAX_ALT} characters.", "alt"
        )
    if len(data) > MAX_BYTES:
        raise ArticleRefused(
            ErrorCode.ARTICLE_IMAGE_TOO_LARGE,
            "The image is larger than 1 MB; make it smaller first.",
            "file",
        )
    if not data:
        raise ArticleRefused(
            ErrorCode.ARTICLE_IMAGE_TYPE, "Choose an image file to upload.", "file"
        )
    return sniff(data)


def store(data_dir: Path, data: bytes, ext: str) -> str:
    """Write the image under a new random name (written whole, then renamed into place);
    returns the name."""
    folder = image_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(12)}.{ext}"
    partial = folder / f".{name}.part"
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(folder / name)
    return name


def path_of(data_dir: Path, name: str) -> Path | None:
    """The file of an image name made by ``store`` (None for any other name)."""
    stem, _, ext = name.partition(".")
    if len(stem) != 24 or not all(c in "0123456789abcdef" for c in stem):
        return None
    if ext not in ("png", "jpg", "gif", "webp"):
        return None
    return image_dir(data_dir) / name
