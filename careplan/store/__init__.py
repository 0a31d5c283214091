"""The SQLite store, on sqlite3 directly: schema, migrations, load/save, audit log."""

from careplan.store.db import Store
from careplan.store.errors import (
    DamagedStoreError,
    EncryptedStoreError,
    InputError,
    NotAllowedError,
    NotAStoreError,
    NotFoundError,
    StaleWriteError,
    StoreError,
)
from careplan.store.repo import add, add_many, find, get, update

__all__ = [
    "DamagedStoreError",
    "EncryptedStoreError",
    "InputError",
    "NotAllowedError",
    "NotAStoreError",
    "NotFoundError",
    "StaleWriteError",
    "Store",
    "StoreError",
    "add",
    "add_many",
    "find",
    "get",
    "update",
]
