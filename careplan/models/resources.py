"""Where the data files in the repository's ``resources/`` folder are found."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    return RESOURCES / name


def load_toml(name: str) -> dict[str, Any]:
    with resource_path(name).open("rb") as fh:
        return tomllib.load(fh)
