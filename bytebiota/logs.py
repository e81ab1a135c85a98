"""Log lines of the long-running commands (server, worker): stdlib ``logging`` on stderr.

``setup`` is called once by cli.py with LOG_LEVEL; ``logger(role)`` is what server and worker
write through. A line reads ``HH:MM:SS bytebiota ROLE: message``; under systemd (the
``JOURNAL_STREAM`` variable it sets for a service whose stderr goes to the journal) the time is
left out, because the journal stamps every line itself. A message that names itself as a
warning or a notice (``warning: ...``) is logged at WARNING, an ``error: ...`` at ERROR, the
rest at INFO; so ``LOG_LEVEL=WARNING`` keeps only what needs a person's attention.

Invariant: this module prints nothing itself and imports nothing of ours (the worker imports
it before anything heavy).
"""

from __future__ import annotations

import logging
import os
import sys

ROOT = "bytebiota"
LEVELS = {"warning:": logging.WARNING, "notice:": logging.WARNING, "error:": logging.ERROR}


def setup(level: str) -> None:
    """Send ByteBiota's log records to stderr at ``level`` (DEBUG, INFO, WARNING, ERROR)."""
    root = logging.getLogger(ROOT)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    under_journald = bool(os.environ.get("JOURNAL_STREAM"))
    stamp = "" if under_journald else "%(asctime)s "
    handler.setFormatter(_Formatter(f"{stamp}%(name)s: %(message)s", datefmt="%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


class _Formatter(logging.Formatter):
    """``bytebiota.server`` is written ``bytebiota server``, as the lines always read."""

    def format(self, record: logging.LogRecord) -> str:
        record.name = record.name.replace(".", " ")
        return super().format(record)


def logger(role: str) -> logging.Logger:
    """The logger of ``role`` ('server', 'worker'); its lines say ``bytebiota ROLE:``. Used
    without ``setup`` (a test driving the server in-process), it logs at INFO."""
    if not logging.getLogger(ROOT).handlers:
        setup("INFO")
    return logging.getLogger(f"{ROOT}.{role}")


def emit(log: logging.Logger, message: str) -> None:
    """Log ``message`` at the level its own first word names (INFO when it names none)."""
    head = message.split(" ", 1)[0]
    log.log(LEVELS.get(head, logging.INFO), message)
