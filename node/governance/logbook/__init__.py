"""A circle's logbook: export it (JSON lines that verify offline, or a readable page,
``export``) and verify such an export without the node (``verify``), PROTOCOL.md §13.6."""

from node.governance.logbook.export import (
    Logbook,
    LogbookError,
    entries,
    export_html,
    export_jsonl,
)
from node.governance.logbook.verify import Report, verify_export, verify_node_export

__all__ = [
    "Logbook",
    "LogbookError",
    "Report",
    "entries",
    "export_html",
    "export_jsonl",
    "verify_export",
    "verify_node_export",
]
