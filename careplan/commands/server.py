"""``careplan server init``: make a PostgreSQL database a team's server.

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
