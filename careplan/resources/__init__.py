"""The data CarePlan reads at run time, shipped inside the package: the rules'
thresholds (``rules.toml``), the demo's names (``demo_names.toml``), the value sets that
give a coded condition its care domain (``condition_codes.toml``), the Debian
packages Qt needs (``debian-packages.txt``) and the user guide Help shows
(``user_guide.html``).

Read through :mod:`importlib.resources`, so they are found wherever CarePlan is
installed (an editable checkout, a wheel, a zip). This package imports nothing else of
CarePlan: the layers above it parse what it reads (``careplan/models`` reads no files).
"""

from __future__ import annotations

import importlib.resources
import tomllib
from typing import Any


class ResourceError(RuntimeError):
    """A data file of the package is missing, unreadable or damaged: the installation is
    broken (a bug to report, not the user's mistake, and nothing to do with their store).

    Deliberately not an OSError: callers turn an OSError about the store or an output
    file into a sentence for the user, which would blame the wrong file."""

    #: Its message names a file of the package, never anyone's data: logs keep it.
    message_is_safe_to_log = True


def read_bytes(name: str) -> bytes:
    """The bytes of the data file ``name`` shipped in this package.

    Raises:
        ResourceError: naming the file, when it is missing or cannot be read.
    """
    try:
        return importlib.resources.files(__name__).joinpath(name).read_bytes()
    except OSError as exc:
        raise ResourceError(
            f"CarePlan's data file {name} is missing from the installed package "
            f"({__name__}): this installation is incomplete; reinstall CarePlan "
            f"({exc.strerror or exc})") from exc


def read_text(name: str) -> str:
    """The UTF-8 text of the data file ``name`` (see :func:`read_bytes`)."""
    return read_bytes(name).decode("utf-8")


def load_toml(name: str) -> dict[str, Any]:
    """The parsed TOML data file ``name`` (see :func:`read_bytes`).

    Raises:
        ResourceError: the file is missing, unreadable or not valid TOML.
    """
    try:
        return tomllib.loads(read_text(name))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ResourceError(f"CarePlan's data file {name} is damaged: {exc}") from exc


def condition_value_sets() -> dict[str, Any]:
    """The parsed value sets of ``condition_codes.toml``: SNOMED CT concepts and ICD-10
    ranges by care domain, with their sources (checked and used by
    :class:`careplan.models.condition_codes.ConditionCodes`)."""
    return load_toml("condition_codes.toml")


def debian_packages() -> list[str]:
    """The Debian packages Qt, Xvfb and the PDF tests need (``debian-packages.txt``)."""
    return [line.strip() for line in read_text("debian-packages.txt").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def user_guide() -> str:
    """The short user guide (HTML) that Help ▸ User guide (F1) shows."""
    return read_text("user_guide.html")


__all__ = ["ResourceError", "condition_value_sets", "debian_packages", "load_toml",
           "read_bytes", "read_text", "user_guide"]
