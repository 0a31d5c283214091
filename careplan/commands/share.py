"""``careplan share``: exchanging changes with other stores, by change pack or team server.

- ``share id``: this store's identity line, for the stores it shares with;
- ``share trust LINE``: trust another store (an administrator's decision);
- ``share export``: a change pack of what another store has not seen;
- ``share import PACK``: apply a pack, all or nothing;
- ``share sync``: pull from and push to the team server;
- ``share server``: the team server the desktop app syncs with in the background;
- ``share conflicts`` and ``share resolve``: what two stores changed at once, decided;
- ``share copy``: a copy of this store for another laptop, as a store of its own.

Packs and syncs go through careplan.store.exchange and careplan.store.serversync; each
remote change is checked against the permission rules for its author
(careplan.store.remote_permissions).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from careplan.commands.common import (
    UNLOCK_HELP,
    UserError,
    add_user_option,
    back_up_before_writing,
    open_store,
    require_administrator,
    sign_in,
)
from careplan.store.files import is_store_file

_DB_HELP = "the store file"


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=_DB_HELP)


def register(sub: Any) -> None:
    top = sub.add_parser(
        "share", help="exchange changes with other stores: change packs and the team server",
        description="Share this store's changes with the other laptops of the team: offline "
                    "by change pack (a signed, sealed file), online through a PostgreSQL "
                    "team server. Changes made on two laptops at once that disagree become "
                    "conflicts for a person to decide (share conflicts, share resolve).")
    kinds = top.add_subparsers(dest="share_command", metavar="COMMAND", required=True,
                               parser_class=type(top))

    p = kinds.add_parser("id", help="print this store's identity line",
                         description="Print this store's identity: its id, name and public "
                                     "keys on one line, for the administrators of the stores "
                                     "it shares with (careplan share trust). It holds no "
                                     "secret and no one's records; no sign-in (an "
                                     "encrypted store is unlocked with --user).")
    _db(p)
    p.add_argument("--name", metavar="NAME", dest="store_name",
                   help="name this store first (e.g. 'GP laptop'); the name travels in the "
                        "line")
    add_user_option(p, UNLOCK_HELP)
    p.set_defaults(handler=run_id)

    p = kinds.add_parser("trust", help="trust another store (administrators)",
                         description="Trust another store: read the change packs it makes, "
                                     "and seal packs for it. Give the line it printed with "
                                     "careplan share id. An administrator's decision.")
    p.add_argument("identity_line", metavar="LINE", help="the other store's identity line")
    _db(p)
    p.add_argument("--agency", metavar="NAME", dest="trust_agency",
                   help="the agency whose store it is (what its packs may carry)")
    add_user_option(p)
    p.set_defaults(handler=run_trust)

    p = kinds.add_parser(
        "export", help="write a change pack for another store",
        description="Write the changes another store has not seen into a change pack, "
                    "signed by this store and sealed for that one. What it has seen is "
                    "known from the last pack it sent here (or from --since-pack); knowing "
                    "nothing, the pack carries everything. Packs may be carried in any "
                    "order, twice, or through another store: each change is applied once.")
    _db(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--for", metavar="STORE", dest="recipient",
                       help="the store it is for: its id (or name) as trusted here")
    which.add_argument("--since-pack", metavar="FILE", dest="since_pack",
                       help="a pack made earlier, by this store for the recipient (and "
                            "read there) or by the recipient for this store: the new pack "
                            "carries what changed since")
    p.add_argument("--all", action="store_true", dest="everything",
                   help="carry every change this store holds (a pack that was lost)")
    p.add_argument("--out", metavar="FILE", required=True, help="the pack to write (.cpk)")
    add_user_option(p)
    p.set_defaults(handler=run_export)

    p = kinds.add_parser(
        "import", help="apply a change pack from another store",
        description="Verify a change pack and apply its changes, all or nothing. A pack "
                    "that is not what it claims (changed, cut short, from a store not "
                    "trusted, for another store) is refused and nothing changes. Each "
                    "change is checked against the permission rules for its author.")
    p.add_argument("pack_file", metavar="PACK", help="the change pack (.cpk)")
    _db(p)
    add_user_option(p)
    p.set_defaults(handler=run_import)

    p = kinds.add_parser(
        "sync", help="pull from and push to the team server",
        description="Receive the changes the team server has that this store lacks, then "
                    "send it those it lacks. A sync cut short goes on from where it stopped "
                    "next time; nothing is duplicated. The password comes from ~/.pgpass "
                    "or the file named by PGPASSFILE, never the command line.")
    _db(p)
    p.add_argument("--server", metavar="DSN",
                   help="the server, e.g. 'host=server dbname=team user=gp_laptop' "
                        "(default: the one set with careplan share server)")
    add_user_option(p)
    p.set_defaults(handler=run_sync)

    p = kinds.add_parser(
        "server", help="the team server this store syncs with",
        description="Show, set (an administrator) or clear (--off) the team server this "
                    "store syncs with; the desktop app then syncs in the background.")
    _db(p)
    p.add_argument("server_dsn", metavar="DSN", nargs="?",
                   help="the server, e.g. 'host=server dbname=team user=gp_laptop'")
    p.add_argument("--off", action="store_true", help="sync with no server")
    add_user_option(p)
    p.set_defaults(handler=run_server)

    p = kinds.add_parser("conflicts", help="list the conflicts waiting for a decision",
                         description="Every open conflict: the record and field two stores "
                                     "changed at once, and each side with who and when.")
    _db(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    add_user_option(p)
    p.set_defaults(handler=run_conflicts)

    p = kinds.add_parser(
        "resolve", help="decide a conflict",
        description="Decide a conflict by keeping one side. The decision is an ordinary "
                    "change: every store that receives it closes the conflict the same way.")
    p.add_argument("conflict_id", metavar="CONFLICT", help="the conflict's id (share "
                                                          "conflicts lists them)")
    p.add_argument("--keep", metavar="CHANGE", required=True,
                   help="the id of the change to keep (or its first characters)")
    _db(p)
    add_user_option(p)
    p.set_defaults(handler=run_resolve)

    p = kinds.add_parser(
        "copy", help="a copy of this store for another laptop, as a store of its own",
        description="Copy this store for another laptop: the copy gets an identity and keys "
                    "of its own, trusts no store yet, and counts everything it holds as "
                    "seen. The copy of an encrypted store is encrypted with the same key, "
                    "its keyring beside it: the same accounts open it with the same "
                    "passwords. Never copy a store file by hand for this: two stores with "
                    "one identity cannot share.")
    _db(p)
    p.add_argument("--out", metavar="FILE", required=True, help="the new store file")
    p.add_argument("--name", metavar="NAME", dest="store_name", help="the copy's name")
    add_user_option(p, UNLOCK_HELP)
    p.set_defaults(handler=run_copy)


# -- identities and trust ------------------------------------------------------------------


def run_id(args: argparse.Namespace) -> int:
    from careplan.store import packs

    with open_store(args.db, args=args) as store:
        if args.store_name is not None:
            store.set_meta("name", args.store_name.strip())
        line = packs.identity(store).line()
    print(line)
    return 0


def run_trust(args: argparse.Namespace) -> int:
    from careplan.store import exchange, packs

    with open_store(args.db, args=args) as store:
        account = sign_in(store, args)
        require_administrator(account, "trust another store")
        back_up_before_writing(store)
        agency = _agency(store, args.trust_agency) if args.trust_agency else None
        other = packs.trust(store, args.identity_line, account.actor)
        if agency is not None:
            exchange.set_peer_agency(store, other.store_id, agency)
    name = f"{other.name} ({other.store_id})" if other.name else other.store_id
    print(f"This store now trusts {name}: it reads the packs that store makes and seals "
          "packs for it.")
    return 0


def _agency(store: Any, text: str) -> str:
    row = store.conn.execute("SELECT id FROM agencies WHERE id = ? OR lower(name) = lower(?)",
                             (text, text.strip())).fetchall()
    if len(row) != 1:
        raise UserError(f"--agency: {'no' if not row else 'more than one'} agency in this "
                        f"store is called {text!r}.")
    return str(row[0][0])


# -- packs ------------------------------------------------------------------------------------


def _read_file(path: str, db: str | None, option: str) -> bytes:
    file = Path(path)
    if is_store_file(file, db):
        raise UserError(f"{option}: {path} is the store itself (or its journal), not a "
                        "change pack.")
    if not file.is_file():
        raise UserError(f"{option}: there is no file {path}.")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise UserError(f"{option}: cannot read {path} ({exc.strerror or exc}).") from None


def run_export(args: argparse.Namespace) -> int:
    from careplan.export import outfile
    from careplan.store import exchange
    from careplan.store.packs import PackError

    db = getattr(args, "db", None)
    reason = outfile.refusal(args.out, db)
    if reason is not None:
        raise UserError(f"--out: nothing was written: {reason}.")
    since_data = _read_file(args.since_pack, db, "--since-pack") if args.since_pack else None
    with open_store(db, args=args) as store:
        sign_in(store, args)
        since = None
        if since_data is not None:
            try:
                recipient, since = exchange.since_pack(store, since_data)
            except PackError as exc:
                raise UserError(f"--since-pack: {exc}") from None
        else:
            recipient = exchange.find_peer(store, args.recipient).store_id
        made = exchange.make_pack(store, Path(args.out), recipient, since=since,
                                  everything=args.everything)
    for line in made.lines():
        print(line)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from careplan.store import exchange
    from careplan.store.packs import PackError

    db = getattr(args, "db", None)
    data = _read_file(args.pack_file, db, "PACK")
    with open_store(db, args=args) as store:
        sign_in(store, args)
        back_up_before_writing(store)
        try:
            done = exchange.import_pack(store, data)
        except PackError as exc:
            raise UserError(str(exc)) from None
        lines = done.lines()
    for line in lines:
        print(line)
    return 0


# -- the team server ----------------------------------------------------------------------------


def run_sync(args: argparse.Namespace) -> int:
    from careplan.store import serversync
    from careplan.store.errors import InputError
    from careplan.store.teamserver import ServerError

    with open_store(getattr(args, "db", None), args=args) as store:
        sign_in(store, args)
        dsn = args.server or serversync.configured(store)
        if not dsn:
            raise UserError("--server: name the team server (e.g. --server 'host=server "
                            "dbname=team user=gp_laptop'), or set it with careplan share "
                            "server.")
        try:
            serversync.check_dsn(dsn, "--server" if args.server else "team server")
        except InputError as exc:
            raise UserError(str(exc)) from None
        back_up_before_writing(store)
        try:
            report = serversync.sync(store, dsn)
        except serversync.SyncError as exc:
            for line in exc.report.lines(store) if exc.report.pulled else []:
                print(line)
            raise UserError(str(exc)) from None
        except ServerError as exc:
            raise UserError(f"--server: {exc}") from None
        lines = report.lines(store)
    for line in lines:
        print(line)
    return 0


def run_server(args: argparse.Namespace) -> int:
    from careplan.store import serversync
    from careplan.store.errors import InputError

    if args.server_dsn and args.off:
        raise UserError("--off: give a server or --off, not both.")
    with open_store(getattr(args, "db", None), args=args) as store:
        if args.server_dsn or args.off:
            account = sign_in(store, args)
            require_administrator(account, "choose the team server")
            try:
                serversync.configure(store, None if args.off else args.server_dsn)
            except InputError as exc:
                raise UserError(str(exc)) from None
        dsn = serversync.configured(store)
        last = serversync.last_state(store, dsn) if dsn else None
    if not dsn:
        print("This store syncs with no team server (careplan share server DSN sets one).")
        return 0
    print(f"Team server: {dsn}")
    if last is None:
        print("Never synced with it yet.")
    else:
        print(f"Last synced: {_when(last.last_synced) if last.last_synced else 'never'}.")
        if last.last_error:
            print(f"Last failure ({_when(last.last_error_at)}): {last.last_error}")
    return 0


def _when(text: str | None) -> str:
    return (text or "")[:16].replace("T", " ") + " UTC" if text else "never"


# -- conflicts ----------------------------------------------------------------------------------


def run_conflicts(args: argparse.Namespace) -> int:
    from careplan.models.rules.sync import describe, groups, shown, when
    from careplan.store.person_file import load_directory
    from careplan.store.replication import open_conflicts
    from careplan.store.repo import actor_name

    with open_store(getattr(args, "db", None), args=args) as store:
        sign_in(store, args)
        found = open_conflicts(store)
        directory = load_directory(store)
        rows: list[dict[str, Any]] = []
        for group in groups(found):
            sides = []
            for c in group:
                for event, value, actor, at in ((c.event_a, c.value_a, c.actor_a, c.at_a),
                                                (c.event_b, c.value_b, c.actor_b, c.at_b)):
                    sides.append({"conflict": c.id, "field": c.field, "change": event,
                                  "value": value, "shown": shown(c.field, value, directory),
                                  "by": actor_name(store, actor), "at": at.isoformat(),
                                  "when": when(at)})
            rows.append({"conflicts": [c.id for c in group], "entity": group[0].entity,
                         "record": group[0].entity_id, "person": group[0].person_id,
                         "what": describe(group, directory), "sides": sides})
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    if not rows:
        print("No conflict is waiting for a decision.")
        return 0
    for row in rows:
        print(row["what"])
        for side in row["sides"]:
            print(f"  conflict {side['conflict']}: keep {side['shown']} "
                  f"(by {side['by']}, {side['when']}) with --keep {side['change']}")
    return 0


def run_resolve(args: argparse.Namespace) -> int:
    from careplan.store import operations
    from careplan.store.replication import open_conflicts, resolve

    with open_store(getattr(args, "db", None), args=args) as store:
        account = sign_in(store, args)
        wanted = args.conflict_id.strip()
        found = [c for c in open_conflicts(store) if c.id == wanted or (
            len(wanted) >= 6 and c.id.startswith(wanted))]
        if len(found) != 1:
            raise UserError(f"CONFLICT: {'no open conflict' if not found else 'more than one'}"
                            f" answers to {wanted} (careplan share conflicts lists them).")
        conflict = found[0]
        if conflict.entity == "rule_overrides":
            require_administrator(account, "decide a conflict over the rules' thresholds")
        elif account.professional_id is None:
            raise UserError(f"{account.username} belongs to no professional, so it reads the "
                            "store and changes nothing in it; sign in as a professional to "
                            "decide.")
        keep = args.keep.strip()
        sides = [e for e in (conflict.event_a, conflict.event_b)
                 if e == keep or (len(keep) >= 6 and e.startswith(keep))]
        if len(sides) != 1:
            raise UserError(f"--keep: name one of the two changes in conflict "
                            f"({conflict.event_a} or {conflict.event_b}).")
        back_up_before_writing(store)
        done = operations.run(store, lambda s: resolve(s, conflict.id, sides[0],
                                                       account.actor))
        left = len(open_conflicts(store))
    print(f"Decided: {len(done.changes.rows)} record{'s' if len(done.changes.rows) != 1 else ''}"
          f" written. Every store that receives this decision keeps the same. "
          f"{left} conflict{'s' if left != 1 else ''} still open here.")
    return 0


# -- a copy for another laptop ---------------------------------------------------------------------


def run_copy(args: argparse.Namespace) -> int:
    from careplan.export import outfile
    from careplan.store import exchange

    db = getattr(args, "db", None)
    if Path(args.out).exists() or Path(args.out).is_symlink():
        raise UserError(f"--out: {args.out} exists already; name a new file.")
    reason = outfile.refusal(args.out, db, new_file=True)
    if reason is not None:
        raise UserError(f"--out: nothing was written: {reason}.")
    with open_store(db, args=args) as store:
        made = exchange.copy_store(store, Path(args.out), args.store_name)
    print(f"Wrote {args.out}: a store of its own (id {made}), with everything {db} holds. "
          "Give it to the other laptop; each store then trusts the other's identity "
          "(careplan share id, careplan share trust).")
    return 0
