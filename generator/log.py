"""Progress and debug lines for `-v/--verbose`, on stderr, through one logger.

Commands print their results on stdout and their one-line errors on stderr whatever the flag; -v
adds what happened on the way (which files were read, what was rendered, which tool ran, which
request went where and how long each took) so a slow or surprising run can be explained. Every
line goes through here, not through print, so one switch turns them all on and the secrets test can
hold every one of them to the same rule: callers pass names, paths, counts and redacted URLs (see
pagetest/httpjson.display), never the contents of a secret file or a header.
"""

from __future__ import annotations

import logging
import sys
import time

NAME = "obsgen"
_logger = logging.getLogger(NAME)
_logger.propagate = False  # never through a root handler a host program may have set up
_logger.setLevel(logging.WARNING)


class _Elapsed(logging.Formatter):
    """`obsgen: [  0.12s] message`: seconds since the command started, to see where the time goes."""

    def __init__(self) -> None:
        super().__init__()
        self.start = time.monotonic()

    def format(self, record: logging.LogRecord) -> str:
        return f"{NAME}: [{time.monotonic() - self.start:6.2f}s] {record.getMessage()}"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (tests and redirects replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def setup(verbose: bool) -> None:
    """Called once per command: debug lines on stderr with -v, none otherwise."""
    for handler in list(_logger.handlers):
        _logger.removeHandler(handler)
    if verbose:
        handler = _Stderr()
        handler.setFormatter(_Elapsed())
        _logger.addHandler(handler)
    _logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


def enabled() -> bool:
    return _logger.isEnabledFor(logging.DEBUG)


def debug(message: str, *args: object) -> None:
    """One line of progress (%-style args, formatted only when -v is on)."""
    _logger.debug(message, *args)
