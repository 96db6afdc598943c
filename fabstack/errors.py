"""The one error type a user sees: a single line, exit code 2, never a traceback."""

from __future__ import annotations


class FabError(Exception):
    """Bad input or an unreachable dependency, explained in one line.

    The CLI prints ``str(error)`` to stderr and exits with ``exit_code``.
    """

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        # One line only: a multi-line reason is folded so the CLI contract holds.
        super().__init__(" ".join(message.split()))
        self.exit_code = exit_code
