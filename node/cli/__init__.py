"""The ``nst`` command line and the composition root: the one place in ``node/`` where
the node, the federation API and the web UI are put together (``main`` is the entry)."""
