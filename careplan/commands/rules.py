"""``careplan rules``: the rules' thresholds in force for a store, and changing them."""

from __future__ import annotations

import argparse
import json
from typing import Any

from careplan.commands.common import (
    UserError,
    add_user_option,
    back_up_before_writing,
    open_store,
    require_administrator,
    sign_in,
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "rules",
        help="the rules' thresholds in force (defaults and this store's overrides)",
        description="Print the thresholds the flag rules use: the default shipped with "
                    "CarePlan (careplan/resources/rules.toml) and this store's override, "
                    "if any. Listing them needs no sign-in (they hold no one's records); "
                    "changing them (--set, --reset) is for an administrator, signed in "
                    "with --user.",
    )
    p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the store file")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", dest="set_values",
                   help="override a threshold for this store, e.g. discharge.critical_days=5")
    p.add_argument("--reset", metavar="KEY", action="append",
                   help="go back to the default for KEY")
    add_user_option(p, help="an administrator's user name, to --set or --reset (the "
                            "password is asked for, or read from the file named by "
                            "CAREPLAN_PASSWORD_FILE)")
    p.set_defaults(handler=run)


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    out = []
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(f"--set: {text!r} is not KEY=VALUE (e.g. discharge.critical_days=5).")
        out.append((key.strip(), value.strip()))
    return out


def run(args: argparse.Namespace) -> int:
    from careplan.store.overrides import (
        clear_override,
        default_thresholds,
        read_overrides,
        set_override,
    )

    changes = _pairs(args.set_values or [])
    resets = args.reset or []
    with open_store(args.db, args=args) as store:
        if changes or resets:
            account = sign_in(store, args)
            require_administrator(account, "change the rules' thresholds")
            back_up_before_writing(store)
            actor = account.actor
            with store.atomic():  # all of them or none
                for key in resets:
                    clear_override(store, key, actor)
                for key, value in changes:
                    set_override(store, key, value, actor)
        overrides = read_overrides(store)
    defaults = default_thresholds().as_dict()
    try:
        in_force = default_thresholds().with_overrides(overrides).as_dict()
    except ValueError as exc:
        raise UserError(f"this store's rule overrides no longer fit: {exc}.") from None
    if args.json:
        print(json.dumps(
            [{"key": k, "value": v, "default": defaults[k], "overridden": k in overrides}
             for k, v in in_force.items()], indent=2))
        return 0
    print(f"{'threshold':<36} {'in force':>8} {'default':>8}")
    for key, number in in_force.items():
        mark = "  (this store)" if key in overrides else ""
        print(f"{key:<36} {number:>8} {defaults[key]:>8}{mark}")
    return 0
