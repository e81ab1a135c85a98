"""Errors a user can cause, each mapped to an exit status by ``cli.py`` (and only there).

They carry one line of text naming the culprit; the CLI prints it without a traceback.
"""

from __future__ import annotations

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
