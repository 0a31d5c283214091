"""Today in England: the one place CarePlan reads the date (and time of day) from the clock.

The rules judge a day in England, so "today" is the date in Europe/London, whatever zone
the machine runs in: a laptop or server set to UTC is still on yesterday between 00:00
and 01:00 British Summer Time, and would judge yesterday's flags. The commands (the
default of ``--today``), the desktop app and the demo ask here; the rules themselves
never read the clock (``careplan.models`` is given ``today``).

Instants stored in the database (``created_at``, audit events) stay in UTC: they are
moments, not days (``careplan.store.db``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

#: England's zone: GMT in winter, British Summer Time (GMT+1) in summer.
LONDON = ZoneInfo("Europe/London")


def utc_now() -> datetime:
    """The current instant, in UTC (tests replace this to stand at a chosen instant)."""
    return datetime.now(UTC)


def now(instant: datetime | None = None) -> datetime:
    """The wall-clock time in England at ``instant`` (default: now), without a zone."""
    moment = utc_now() if instant is None else instant
    if moment.tzinfo is None:
        raise ValueError("clock: an instant needs its zone (a naive time is no instant)")
    return moment.astimezone(LONDON).replace(tzinfo=None)


def today(instant: datetime | None = None) -> date:
    """The date in England at ``instant`` (default: now)."""
    return now(instant).date()
