"""Subcommands of ``careplan``. Each module has ``register(subparsers)``; the parser it
adds sets ``handler`` to a function taking the parsed args and returning an exit status."""

from __future__ import annotations

import importlib
from types import ModuleType

#: The subcommand modules; order here is the order in ``careplan --help``. Imported only
#: when a parser for them is built: the desktop app starts without them.
NAMES = ("accounts", "audit", "backup", "demo", "encrypt", "export", "flags", "importer", "info",
         "rules", "server", "share")


def modules() -> list[ModuleType]:
    """Every subcommand module, imported."""
    return [importlib.import_module(f"careplan.commands.{name}") for name in NAMES]
