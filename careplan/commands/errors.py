"""The one exception the command line turns into a sentence; light, so that starting the
desktop app (``careplan`` with no subcommand) need not import the commands."""

from __future__ import annotations


class UserError(Exception):
    """A mistake by the person at the keyboard: reported as one sentence, exit 2."""
