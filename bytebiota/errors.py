"""Errors a user can cause, each mapped to an exit status by ``cli.py`` (and only there).

They carry one line of text naming the culprit; the CLI prints it without a traceback.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class UserError(Exception):
    """A mistake of the user's (bad input, bad invocation): exit status 2 unless noted."""


class ConfigError(UserError):
    """A configuration value, file or name is wrong: exit status 2."""


class Failure(Exception):
    """The command could not do its job (unreachable server, failed check): exit status 1."""


def read_user_file(path: Path, error: type[UserError], missing: str = "no such file") -> bytes:
    """A file a user named, or ``error`` with one line saying why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except IsADirectoryError:
        raise error(f"{path}: a directory, not a file") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None


def os_error_line(exc: OSError) -> str:
    """One line for an error of the operating system: the path (or what the caller named,
    when the error carries no path) and the reason, as ``cli.py`` prints it.

    ENOENT, ENOTDIR and EEXIST on a path with a regular file above it (``/etc/passwd/x``)
    name that file, and ENOENT below a missing directory names the directory: that is what
    the user has to change."""
    reason = (exc.strerror or str(exc)).lower()
    if exc.filename is None:
        return str(exc) if exc.strerror is None else reason
    path = Path(os.fsdecode(exc.filename))
    if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST):
        blocker = next((p for p in (path, *path.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            if blocker == path:
                return f"{path}: not a directory"
            return f"{path}: {blocker} is not a directory"
        if exc.errno == errno.ENOENT and blocker is not None and blocker != path.parent:
            return f"{path}: no such directory {path.parent}"
    return f"{path}: {reason}"
