"""Logs that hold no one's personal data.

A bug is logged with its traceback, so that it can be fixed, but never with names, NHS
numbers or clinical text. Such data reaches a log in two ways, both closed here:

- an exception's message (a ValueError saying what value it refused): a logged traceback
  keeps the exception's type and every frame (file, line, function, source line), and
  withholds its message, for every exception in the chain (unless its class declares
  ``message_is_safe_to_log``: our own sentences about the installation, never data);
- the command line (``careplan flags --nhs 943 476 5919``): only its shape is logged,
  the subcommand and the options given, never their values.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from types import TracebackType

WITHHELD = "<message withheld: it may hold personal data>"


def _chain(exc: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    return list(reversed(chain))


def safe_traceback(exc_type: type[BaseException] | None, exc: BaseException | None,
                   tb: TracebackType | None) -> str:
    """A traceback of ``exc`` and its causes with every message withheld."""
    if exc is None:
        return ""
    parts = []
    for n, item in enumerate(_chain(exc)):
        if n:
            parts.append("\nDuring the handling of that, another exception occurred:\n\n")
        frames = traceback.format_tb(item.__traceback__)
        kind = type(item)
        message = str(item) if getattr(kind, "message_is_safe_to_log", False) else WITHHELD
        parts.append("Traceback (most recent call last):\n" + "".join(frames)
                     + f"{kind.__module__}.{kind.__qualname__}: {message}\n")
    return "".join(parts).rstrip("\n")


class SafeFormatter(logging.Formatter):
    """A formatter whose tracebacks carry no exception messages."""

    def formatException(self, ei: tuple[type[BaseException], BaseException,  # noqa: N802
                                        TracebackType | None] | tuple[None, None, None]
                        ) -> str:
        return safe_traceback(*ei)


def command_shape(argv: Sequence[str]) -> str:
    """``careplan export plan-pdf --db … --nhs …``: the words and option names of a
    command line, every value replaced by an ellipsis."""
    shape: list[str] = []
    words = True  # subcommand names come first, before any option
    for arg in argv:
        if arg.startswith("-"):
            words = False
            shape.append(arg.split("=", 1)[0] + ("=…" if "=" in arg else ""))
        elif words and arg.replace("-", "").isalpha() and arg.islower():
            shape.append(arg)
        else:
            words = False
            shape.append("…")
    return " ".join(["careplan", *shape])


def install(level: int = logging.WARNING) -> None:
    """Log to standard error through :class:`SafeFormatter` (the process's logging)."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(SafeFormatter(handler.formatter._fmt if handler.formatter
                                           else None))


def file_handler(path: str) -> logging.Handler:
    handler = logging.FileHandler(path)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


__all__ = ["WITHHELD", "SafeFormatter", "command_shape", "file_handler", "install",
           "safe_traceback"]
