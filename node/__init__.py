"""The node daemon: config, keys, storage, the domain rules and the ``nst`` command line.

May import protocol; federation and web_ui plug into it through the Node service.
"""
