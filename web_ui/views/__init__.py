"""The web UI's pages, one module per page family; each has a ``routes`` that
``web_ui.app`` collects."""
