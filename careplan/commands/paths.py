"""Where the default store and the log live (platformdirs user data dir)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "careplan"


def default_store() -> Path:
    """The store ``careplan`` opens when no ``--db`` is given (its folder is not created)."""
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "careplan.db"


def log_file() -> Path:
    path = Path(platformdirs.user_log_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path / "careplan.log"
