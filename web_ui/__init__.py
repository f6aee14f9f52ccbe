"""The members' web UI: server-rendered pages, sessions, CSRF, live updates.

Calls the Node service (``node.gov`` for governance); never writes storage itself.
"""

from web_ui.app import install

__all__ = ["install"]
