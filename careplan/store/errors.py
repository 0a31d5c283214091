"""Errors the store raises, each worded for the person who must act on it."""

from __future__ import annotations


class StoreError(Exception):
    """Something about the store file itself is wrong (missing, not a store, read-only)."""


class NotAStoreError(StoreError):
    """The file exists but is not a CarePlan store."""


class DamagedStoreError(NotAStoreError):
    """SQLite's check found the store damaged; nothing was changed in it."""


class StaleWriteError(StoreError):
    """The record changed since it was read; nothing was written."""


class NotFoundError(StoreError):
    """No record with that id."""


class NotAllowedError(StoreError):
    """The person acting may not do this (careplan.models.permissions); nothing was
    written. The message names who may."""


class InputError(ValueError):
    """A user's input was refused; the message names the field and what is wrong."""


class EncryptedStoreError(StoreError):
    """The store is encrypted and was opened without its key: sign in (which unwraps the
    key from the store's keyring) to open it."""
