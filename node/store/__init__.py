"""Storage: the event log, feed heads, local accounts and projections.

``SQLiteStore`` is the embedded default. Only ``node`` code uses this package; the web
UI and federation reach data through the Node service. The modules import one another,
never this package, which only gathers the names other packages use.
"""

from node.store.base import Store
from node.store.migrate import SchemaTooNewError
from node.store.records import AppendResult, LocalDraft, OrderMark
from node.store.sqlite import SQLiteStore

__all__ = ["AppendResult", "LocalDraft", "OrderMark", "SQLiteStore", "SchemaTooNewError", "Store"]
