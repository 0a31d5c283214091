"""Subcommands of ``careplan``. Each module has ``register(subparsers)``; the parser it
adds sets ``handler`` to a function taking the parsed args and returning an exit status."""

from __future__ import annotations

from types import ModuleType

from careplan.commands import backup, demo, export, flags, importer, info, rules

#: Order here is the order in ``careplan --help``.
COMMANDS: list[ModuleType] = [backup, demo, export, flags, importer, info, rules]
