"""Errors a user can cause, each mapped to an exit status by ``cli.py`` (and only there).

They carry one line of text naming the culprit; the CLI prints it without a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake of the user's (bad input, bad invocation): exit status 2 unless noted."""


class ConfigError(UserError):
    """A configuration value, file or name is wrong: exit status 2."""


class Failure(Exception):
    """The command could not do its job (unreachable server, failed check): exit status 1."""
