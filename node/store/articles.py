"""Articles of the public site and their images (migration 0019). The writes run inside
the writer transaction (synchronous sqlite3); the reads are the SQL the service runs on
the read connection."""

from __future__ import annotations

import sqlite3

_COLUMNS = (
    "id, slug, title, summary, body, status, created_by, created_at, updated_at, published_at"
)
#: One article by slug (any state).
BY_SLUG = f"SELECT {_COLUMNS} FROM articles WHERE slug = ?"  # noqa: S608 - fixed names
#: One article by id (any state).
BY_ID = f"SELECT {_COLUMNS} FROM articles WHERE id = ?"  # noqa: S608 - fixed names
#: Every article, drafts first, then the newest.
ALL = (
    f"SELECT {_COLUMNS} FROM articles"  # noqa: S608 - fixed names
    " ORDER BY status = 'published', coalesce(published_at, updated_at) DESC, id DESC"
)
#: Published articles, newest first, at most ``?``.
PUBLISHED = (
    f"SELECT {_COLUMNS} FROM articles WHERE status = 'published'"  # noqa: S608 - fixed names
    " ORDER BY published_at DESC, id DESC LIMIT ?"
)
#: One image's type and alt text by file name.
IMAGE = "SELECT content_type, alt FROM article_images WHERE name = ?"
#: The images, newest first.
IMAGES = (
    "SELECT name, content_type, size, alt, uploaded_at FROM article_images"
    " ORDER BY uploaded_at DESC, name DESC LIMIT ?"
)


def slug_taken(conn: sqlite3.Connection, slug: str, other_than: int | None) -> bool:
    """Whether another article than ``other_than`` has this slug."""
    row = conn.execute(
        "SELECT 1 FROM articles WHERE slug = ? AND id IS NOT ?", (slug, other_than)
    ).fetchone()
    return row is not None


def insert(
    conn: sqlite3.Connection,
    slug: str,
    title: str,
    summary: str,
    body: str,
    status: str,
    by: str,
    now: str,
) -> int:
    cursor = conn.execute(
        "INSERT INTO articles (slug, title, summary, body, status, created_by, created_at,"
        " updated_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (slug, title, summary, body, status, by, now, now, now if status == "published" else None),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def update(
    conn: sqlite3.Connection,
    article_id: int,
    slug: str,
    title: str,
    summary: str,
    body: str,
    status: str,
    now: str,
) -> int:
    """Change an article; the first publication's time stays, a draft has none. The
    number of rows changed (0: no such article)."""
    cursor = conn.execute(
        "UPDATE articles SET slug = ?, title = ?, summary = ?, body = ?, status = ?,"
        " updated_at = ?, published_at = CASE WHEN ? = 'published'"
        " THEN coalesce(published_at, ?) ELSE NULL END WHERE id = ?",
        (slug, title, summary, body, status, now, status, now, article_id),
    )
    return cursor.rowcount


def insert_image(
    conn: sqlite3.Connection, name: str, content_type: str, size: int, alt: str, by: str, now: str
) -> None:
    conn.execute(
        "INSERT INTO article_images (name, content_type, size, alt, uploaded_by, uploaded_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (name, content_type, size, alt, by, now),
    )
