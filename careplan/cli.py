"""The command line: ``careplan`` opens the app; subcommands are the headless face.

User mistakes (bad option, missing file, bad date) print one sentence on stderr and
exit with status 2. Bugs are logged with their traceback and exit with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from careplan import __version__
from careplan.commands import COMMANDS, paths
from careplan.commands.common import UserError

log = logging.getLogger("careplan")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake as one plain sentence, exit status 2."""

    def error(self, message: str) -> NoReturn:
        text = message[0].upper() + message[1:] if message else "Bad command line"
        sys.stderr.write(f"careplan: {text.rstrip('.')} (see careplan --help).\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="careplan",
        description="One shared care plan across health and social care.",
    )
    parser.add_argument("--version", action="version", version=f"careplan {__version__}")
    # Subcommands declare --db (and --as) again with default=SUPPRESS: a subparser's
    # default would otherwise overwrite a --db given before the subcommand's name.
    parser.add_argument(
        "--db", metavar="PATH", help=f"the store to open (default: {paths.default_store()})"
    )
    parser.add_argument("--as", dest="actor", metavar="PROFESSIONAL",
                        help="who you are: a professional's name or id in the store")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            # The desktop app; imported here so headless commands never load Qt.
            gui = importlib.import_module("careplan.commands.gui")
            return int(gui.run(args))
        return int(args.handler(args))
    except UserError as exc:
        sys.stderr.write(f"careplan: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("careplan: interrupted; nothing half-written was kept.\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``careplan flags | head``): not a bug. Point stdout at
        # devnull so the interpreter's final flush does not fail a second time.
        with contextlib.suppress(OSError, ValueError):  # stdout may have no file number
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception:
        log_file = paths.log_file()
        logging.getLogger("careplan").addHandler(logging.FileHandler(log_file))
        log.exception("Unexpected error running %s", " ".join(sys.argv))
        sys.stderr.write(
            f"careplan: an unexpected error occurred (a bug); details were logged to {log_file}.\n"
        )
        return 1
