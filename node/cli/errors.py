"""The one error every ``nst`` command raises for a failure the user can act on."""

from __future__ import annotations


class CliError(Exception):
    """A failure to report as ``error: <code>: <message>`` with exit status 1."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
