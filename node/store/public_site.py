"""What the public site shows besides articles (migrations 0019, 0022): the home's words,
the members who may write articles, and the public campaigns the node hides. Writes run inside
the writer transaction (synchronous sqlite3); the reads are SQL for the read connection."""

from __future__ import annotations

import sqlite3

#: Every setting of the public home, (key, value).
SETTINGS = "SELECT key, value FROM site_settings"
#: The editors' handles.
EDITORS = "SELECT handle FROM site_editors ORDER BY handle"
#: Whether a handle is an editor.
IS_EDITOR = "SELECT 1 FROM site_editors WHERE handle = ?"
#: The campaigns the node's admins hide from its public site.
HIDDEN_CAMPAIGNS = "SELECT campaign_id FROM public_campaign_optouts"


def put_setting(conn: sqlite3.Connection, key: str, value: str, by: str, now: str) -> None:
    conn.execute(
        "INSERT INTO site_settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
        " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        (key, value, by, now),
    )


def set_editor(conn: sqlite3.Connection, handle: str, editor: bool, by: str, now: str) -> None:
    if editor:
        conn.execute(
            "INSERT OR IGNORE INTO site_editors (handle, granted_by, granted_at) VALUES (?, ?, ?)",
            (handle, by, now),
        )
    else:
        conn.execute("DELETE FROM site_editors WHERE handle = ?", (handle,))


def set_hidden(conn: sqlite3.Connection, campaign_id: str, hidden: bool, by: str, now: str) -> None:
    if hidden:
        conn.execute(
            "INSERT OR IGNORE INTO public_campaign_optouts (campaign_id, hidden_by, hidden_at)"
            " VALUES (?, ?, ?)",
            (campaign_id, by, now),
        )
    else:
        conn.execute("DELETE FROM public_campaign_optouts WHERE campaign_id = ?", (campaign_id,))
