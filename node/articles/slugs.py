"""An article's address on the public site, ``/articles/<slug>``: lower-case ASCII
letters and digits joined by dashes, the same rule for the node's own articles and for
its circles' (PROTOCOL.md §8.13)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

SLUG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG: Final = 80


def slug_of(title: str) -> str:
    """A slug from a title: lower-case ASCII letters and digits joined by dashes."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    slug = "-".join(words)[:MAX_SLUG].strip("-")
    return slug or "article"
