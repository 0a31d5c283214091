"""Every remembered preference, declared once with its type and default.

QSettings hands back text for numbers and a bare string for a one-item list on some
platforms, so reads go through :meth:`Settings.get`, which coerces to the declared type.
"""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

T = TypeVar("T")

ORGANISATION = "CarePlan"
APPLICATION = "CarePlan"
MAX_RECENT = 8


class Key(Generic[T]):
    """One setting: where it lives, its type and its value when never set. (A plain
    class, not a dataclass: this module is imported before the first window is painted,
    and importing dataclasses costs that window about 2 ms.)"""

    __slots__ = ("default", "kind", "name")

    def __init__(self, name: str, kind: type[T], default: T) -> None:
        self.name = name
        self.kind = kind
        self.default = default

    def __repr__(self) -> str:
        return f"Key({self.name!r}, {self.kind.__name__}, {self.default!r})"


#: Store file paths, most recent first.
RECENT_STORES: Key[list[str]] = Key("stores/recent", list, [])
#: The user name last signed in with, per store id, as JSON ``{store_id: user name}``
#: (the sign-in screen fills it in; never a password).
LAST_USERS: Key[str] = Key("sign_in/last_user_by_store", str, "{}")
#: Seconds without input (keyboard, mouse, touch) before the session locks: the windows
#: are covered and the password is asked again. 0 or less means the default.
LOCK_AFTER_SECONDS: Key[int] = Key("session/lock_after_seconds", int, 600)
WINDOW_GEOMETRY: Key[bytes] = Key("window/geometry", bytes, b"")
WINDOW_STATE: Key[bytes] = Key("window/state", bytes, b"")
#: The caseload's columns as the user last sized or moved them (kept only once they did;
#: until then the columns fit the window). A new key since the date of birth column: a
#: header saved with fewer columns is not restored onto more.
CASELOAD_HEADER: Key[bytes] = Key("caseload/columns", bytes, b"")
#: The caseload's filters, remembered between sessions: whose persons ("everyone",
#: "mine", "agency"), the flag code ("" for any) and the least severity ("" for any).
#: The search text is not kept: it holds names.
CASELOAD_SCOPE: Key[str] = Key("caseload/scope", str, "everyone")
CASELOAD_FLAG: Key[str] = Key("caseload/flag", str, "")
CASELOAD_SEVERITY: Key[str] = Key("caseload/severity", str, "")
#: Text size in case conference mode, in points.
CONFERENCE_POINT_SIZE: Key[int] = Key("conference/point_size", int, 20)
#: The folder the last export was written to (the next one starts there).
EXPORT_FOLDER: Key[str] = Key("export/folder", str, "")
#: Seconds between background syncs with a store's team server (at least 10).
SYNC_EVERY_SECONDS: Key[int] = Key("share/sync_every_seconds", int, 120)

ALL_KEYS: tuple[Key[Any], ...] = (
    RECENT_STORES, LAST_USERS, LOCK_AFTER_SECONDS, WINDOW_GEOMETRY, WINDOW_STATE, CASELOAD_HEADER,
    CASELOAD_SCOPE, CASELOAD_FLAG, CASELOAD_SEVERITY, CONFERENCE_POINT_SIZE, EXPORT_FOLDER,
    SYNC_EVERY_SECONDS,
)


class Settings:
    """Typed access to a QSettings (the user's by default; a file in tests)."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else QSettings(ORGANISATION, APPLICATION)

    def get(self, key: Key[T]) -> T:
        value = self.q.value(key.name, None)
        if value is None:
            return key.default
        try:
            return _coerce(key, value)
        except (TypeError, ValueError):
            return key.default

    def set(self, key: Key[T], value: T) -> None:
        if key.kind is bytes:
            self.q.setValue(key.name, QByteArray(value))  # type: ignore[call-overload]
        else:
            self.q.setValue(key.name, value)

    def sync(self) -> None:
        self.q.sync()

    # -- helpers over the declared keys --------------------------------------------

    def recent_stores(self) -> list[str]:
        return [str(p) for p in self.get(RECENT_STORES) if p]

    def add_recent_store(self, path: str) -> None:
        paths = [path, *[p for p in self.recent_stores() if p != path]]
        self.set(RECENT_STORES, paths[:MAX_RECENT])

    def remove_recent_store(self, path: str) -> None:
        self.set(RECENT_STORES, [p for p in self.recent_stores() if p != path])

    def last_user(self, store_id: str) -> str | None:
        """The user name last signed in to this store with, if any."""
        return _by_store(self.get(LAST_USERS)).get(store_id)

    def remember_user(self, store_id: str, username: str) -> None:
        names = _by_store(self.get(LAST_USERS))
        names[store_id] = username
        self.set(LAST_USERS, json.dumps(names, sort_keys=True))

    def lock_after_seconds(self) -> int:
        """How long the session may go without input before it locks (see
        :data:`LOCK_AFTER_SECONDS`)."""
        seconds = self.get(LOCK_AFTER_SECONDS)
        return seconds if seconds > 0 else LOCK_AFTER_SECONDS.default


def _by_store(text: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _coerce(key: Key[T], value: Any) -> T:
    kind: Any = key.kind
    if kind is list:
        if isinstance(value, str):
            return [value] if value else []  # type: ignore[return-value]
        return [str(v) for v in value]  # type: ignore[return-value]
    if kind is bool:
        if isinstance(value, str):
            return (value.lower() in ("true", "1", "yes"))  # type: ignore[return-value]
        return bool(value)  # type: ignore[return-value]
    if kind is bytes:
        return bytes(value.data() if isinstance(value, QByteArray) else value)  # type: ignore[return-value]
    return kind(value)  # type: ignore[no-any-return]
