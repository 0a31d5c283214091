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
from careplan.commands import logs
from careplan.commands.errors import UserError

log = logging.getLogger("careplan")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake as one plain sentence, exit status 2."""

    def error(self, message: str) -> NoReturn:
        text = message[0].upper() + message[1:] if message else "Bad command line"
        sys.stderr.write(f"careplan: {text.rstrip('.')} (see careplan --help).\n")
        raise SystemExit(2)


class _NotJustTheApp(Exception):
    """The command line asks for more than the desktop app (see _app_only)."""


class _AppParser(argparse.ArgumentParser):
    """The options of ``careplan`` without a subcommand; any mistake defers to the full
    parser, which reports it."""

    def error(self, message: str) -> NoReturn:
        raise _NotJustTheApp(message)


def _add_app_options(parser: argparse.ArgumentParser, store_help: str) -> None:
    parser.add_argument("--version", action="version", version=f"careplan {__version__}")
    parser.add_argument("--db", metavar="PATH", help=store_help)
    # The desktop app's user name, filled in on its sign-in screen (its own dest: a
    # subcommand's --user, from add_user_option, is that command's own).
    parser.add_argument("--user", dest="app_user", metavar="NAME",
                        help=argparse.SUPPRESS if store_help == argparse.SUPPRESS else
                        "the desktop app: the user name its sign-in screen starts with (the "
                        "password is typed there)")
    # Gone (it let anyone act as anyone): refused in words for whoever still types it.
    parser.add_argument("--as", dest="gone_as", help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    from careplan.commands import modules, paths

    parser = _Parser(
        prog="careplan",
        description="One shared care plan across health and social care.",
    )
    # Subcommands declare --db again with default=SUPPRESS: a subparser's default would
    # otherwise overwrite a --db given before the subcommand's name. --user belongs to the
    # subcommands that sign in (careplan.commands.common.add_user_option), not here.
    _add_app_options(parser, f"the store to open (default: {paths.default_store()})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in modules():
        command.register(sub)
    return parser


#: The desktop app's options as a start is usually given them (their dests).
_PLAIN_OPTIONS = {"--db": "db", "--user": "app_user"}


def _plain_start(argv: Sequence[str]) -> argparse.Namespace | None:
    """The options of a plain start, read without a parser: ``--db PATH`` and ``--user
    NAME`` (or ``--db=PATH``, ``--user=NAME``), each at most once; None for anything else
    (argparse then reads it). An ArgumentParser costs a start about 2 ms, mostly gettext
    looking for translations of argparse's own words."""
    values: dict[str, str] = {}
    i = 0
    while i < len(argv):
        option, equals, value = argv[i].partition("=")
        dest = _PLAIN_OPTIONS.get(option)
        if dest is None or dest in values:
            return None
        if not equals:
            if i + 1 == len(argv) or argv[i + 1].startswith("-"):
                return None  # no value, or one argparse may read as an option
            i += 1
            value = argv[i]
        values[dest] = value
        i += 1
    return argparse.Namespace(db=values.get("db"), app_user=values.get("app_user"),
                              gone_as=None, command=None)


def _app_only(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The parsed options when the command line only starts the desktop app
    (``careplan [--db PATH]``), else None. Building every subcommand's parser
    imports every command (a tenth of the app's start), so the app does without."""
    plain = _plain_start(sys.argv[1:] if argv is None else argv)
    if plain is not None:
        return plain
    parser = _AppParser(prog="careplan", add_help=False)
    _add_app_options(parser, argparse.SUPPRESS)
    try:
        args, rest = parser.parse_known_args(argv)
    except _NotJustTheApp:
        return None
    if rest:  # a subcommand, --help or an unknown option: the full parser handles it
        return None
    args.command = None
    return args


#: Each option's name and what to give, for an option given as empty text (by its dest).
_BLANK: dict[str, tuple[str, str]] = {
    "db": ("--db", "name a store file, e.g. --db careplan.db"),
    "user": ("--user", "give your account's user name"),
    "app_user": ("--user", "give your account's user name"),
    "username": ("NAME", "give a user name"),
    "role": ("--role", "give practitioner, manager or administrator"),
    "professional": ("--professional", "give a professional's name or id"),
    "nhs": ("--nhs", "give an NHS number"),
    "agency": ("--agency", "give an agency's name, or leave --agency out for every agency"),
    "neighbourhood": ("--neighbourhood", "give a neighbourhood's name, or leave "
                      "--neighbourhood out for everyone"),
    "code": ("--code", "give a flag code, or leave --code out for every flag"),
    "severity": ("--severity", "give info, warning or critical"),
    "today": ("--today", "give a date as YYYY-MM-DD, or leave --today out for today"),
    "start": ("--from", "give a date as YYYY-MM-DD"),
    "end": ("--to", "give a date as YYYY-MM-DD"),
    "conference": ("--conference", "give a case conference id"),
    "out": ("--out", "name the file to write"),
    "source": ("--from", "name the backup file to restore"),
    "file": ("FILE", "name the file to import"),
    "set_values": ("--set", "give KEY=VALUE, e.g. discharge.critical_days=5"),
    "reset": ("--reset", "give the key of a threshold"),
    "store_name": ("--name", "give the store a name, e.g. 'GP laptop'"),
    "identity_line": ("LINE", "give the line the other store printed (careplan share id)"),
    "trust_agency": ("--agency", "give the agency's name, or leave --agency out"),
    "recipient": ("--for", "give the id (or name) of a store this one trusts"),
    "since_pack": ("--since-pack", "name a change pack made earlier"),
    "pack_file": ("PACK", "name the change pack to read"),
    "server": ("--server", "give the server, e.g. 'host=server dbname=team user=laptop'"),
    "server_dsn": ("DSN", "give the server, e.g. 'host=server dbname=team user=laptop', "
                   "or --off"),
    "conflict_id": ("CONFLICT", "give a conflict's id (careplan share conflicts)"),
    "keep": ("--keep", "give the id of the change to keep"),
}


def refuse_blank(args: argparse.Namespace) -> None:
    """Refuse any option given as empty (or blank) text, naming it.

    Most commands test an option's truth, so empty text would read as no option at all:
    ``careplan flags --nhs ""`` printed everyone's flags, ``--agency ""`` audited every
    agency and ``--as ""`` (an option since replaced by signing in) printed as the
    computer's user.

    Raises:
        UserError: one sentence naming the option and what to give.
    """
    for dest, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and not v.strip() for v in values):
            option, hint = _BLANK.get(dest, (f"--{dest.replace('_', '-')}", "give a value"))
            raise UserError(f"{option}: is empty; {hint}.")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    logs.install()
    args = _app_only(argv)
    if args is None:
        args = build_parser().parse_args(argv)
    try:
        if getattr(args, "gone_as", None) is not None:
            raise UserError("--as: is gone; the desktop app opens on its sign-in screen "
                            "(careplan --user NAME fills in the user name), and commands "
                            "sign in with --user NAME.")
        refuse_blank(args)
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
        from careplan.commands import paths

        log_file = paths.log_file()
        logging.getLogger("careplan").addHandler(logs.file_handler(str(log_file)))
        log.exception("Unexpected error running %s",
                      logs.command_shape(argv if argv is not None else sys.argv[1:]))
        sys.stderr.write(
            f"careplan: an unexpected error occurred (a bug); details were logged to {log_file}.\n"
        )
        return 1
