"""``careplan server init``: make a PostgreSQL database a team's server;
``careplan server laptop``: record the agency whose store a laptop's role syncs.

The DSN is libpq's (``host=... dbname=... user=...``); its password belongs in a password
file (``~/.pgpass`` or ``PGPASSFILE``) or ``PGPASSWORD``, never on the command line.
"""

from __future__ import annotations

import argparse
from typing import Any

from careplan.commands.errors import UserError


def register(sub: Any) -> None:
    top = sub.add_parser("server", help="set up a PostgreSQL database as a team's server")
    kinds = top.add_subparsers(dest="server_command", metavar="COMMAND", required=True,
                               parser_class=type(top))
    p = kinds.add_parser(
        "init", help="create (or update) the team server's schema in a database",
        description="Create (or bring up to date) the team server's schema: an append-only "
                    "table of events, and the push and pull functions laptops call. Run it "
                    "as the database's owner. Laptops then sign in as their own database "
                    "roles, each a member of careplan_client (e.g. CREATE ROLE gp_laptop "
                    "LOGIN PASSWORD '...' IN ROLE careplan_client).")
    p.add_argument("--dsn", metavar="DSN", required=True,
                   help="the database, in libpq's form, e.g. 'host=server dbname=team "
                        "user=owner' (the password from ~/.pgpass or PGPASSFILE)")
    p.set_defaults(handler=run_init)
    p = kinds.add_parser(
        "laptop", help="record the agency whose store a laptop's role syncs",
        description="Record, as the database's owner, the agency whose store a laptop "
                    "signing in as ROLE syncs. What its syncs receive then follows that "
                    "agency's sharing basis for each person, as change packs do: a person "
                    "whose records may not be shared with the agency (no consent or legal "
                    "basis, or consent refused or withdrawn) travels without content, and "
                    "arrives whole once a basis is recorded. The server's record decides, "
                    "not the laptop. A role with no agency recorded receives everything. "
                    "Without --role, lists the roles recorded.")
    p.add_argument("--dsn", metavar="DSN", required=True,
                   help="the database, in libpq's form, as the owner (the password from "
                        "~/.pgpass or PGPASSFILE)")
    p.add_argument("--role", metavar="ROLE", help="the laptop's login role")
    p.add_argument("--agency", metavar="AGENCY",
                   help="the agency's id, or its name as the team server holds it")
    p.set_defaults(handler=run_laptop)


def run_init(args: argparse.Namespace) -> int:
    from careplan.store import teamserver

    if "password=" in args.dsn.replace(" ", "").lower():
        raise UserError("--dsn: a password does not belong on the command line; put it in "
                        "~/.pgpass or the file named by PGPASSFILE.")
    try:
        teamserver.init_server(args.dsn)
    except teamserver.ServerError as exc:
        raise UserError(f"--dsn: {exc}") from None
    print(f"The team server is ready. Laptops sign in as roles in {teamserver.CLIENT_ROLE}.")
    return 0


def run_laptop(args: argparse.Namespace) -> int:
    from careplan.store import teamserver
    from careplan.store.errors import InputError

    if "password=" in args.dsn.replace(" ", "").lower():
        raise UserError("--dsn: a password does not belong on the command line; put it in "
                        "~/.pgpass or the file named by PGPASSFILE.")
    if (args.role is None) != (args.agency is None):
        missing = "--agency" if args.agency is None else "--role"
        raise UserError(f"{missing}: give both --role and --agency (or neither, to list "
                        "the roles recorded).")
    try:
        if args.role is None:
            found = teamserver.laptops(args.dsn)
            if not found:
                print("No laptop's agency is recorded on this team server: every laptop "
                      "receives everything.")
            for laptop in found:
                print(f"{laptop.role}: {laptop.agency_name or '(no name)'} "
                      f"({laptop.agency_id})")
            return 0
        done = teamserver.record_laptop(args.dsn, args.role.strip(), args.agency)
    except InputError as exc:
        raise UserError(str(exc)) from None
    except teamserver.ServerError as exc:
        raise UserError(f"--dsn: {exc}") from None
    print(f"{done.role} syncs a store of {done.agency_name or done.agency_id}: it receives "
          "whole only what that agency may see.")
    return 0
