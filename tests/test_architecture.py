"""Layers point down only: a small AST check over every module of careplan/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "careplan"

#: layer -> top-level modules it must never import.
FORBIDDEN: dict[str, set[str]] = {
    "models": {"PySide6", "sqlite3", "sqlite_utils"},
    "store": {"PySide6"},
    "ui": {"sqlite3", "sqlite_utils"},
    "export": {"PySide6", "sqlite3", "sqlite_utils"},
}

#: layer -> the careplan layers above it, which it must never import (ui -> export ->
#: store -> models; commands sit on top of them all).
ABOVE: dict[str, set[str]] = {
    "models": {"store", "export", "ui", "commands", "cli"},
    "store": {"export", "ui", "commands", "cli"},
    "export": {"ui", "commands", "cli"},
    "ui": {"commands", "cli"},
}


def imported_roots(path: Path) -> set[str]:
    """The top-level names of every module ``path`` imports (at any depth)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_imported_roots_sees_nested_and_from_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os.path\nfrom sqlite_utils import Database\n"
        "def f():\n    import PySide6.QtCore\n",
        encoding="utf-8",
    )
    assert imported_roots(sample) == {"os", "sqlite_utils", "PySide6"}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_down(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    breaches = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in files
        for name in sorted(imported_roots(path) & FORBIDDEN[layer])
    ]
    assert not breaches, "; ".join(breaches)


def careplan_layers(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """The careplan layers ``path`` imports (``careplan.store.repo`` -> ``store``);
    relative imports count too, resolved against the module's package under ``root``."""
    package = path.relative_to(root).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[tuple[str, ...]] = []
        if isinstance(node, ast.Import):
            names = [tuple(alias.name.split(".")) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else ()
            module = tuple(node.module.split(".")) if node.module else ()
            names = [base + module + (alias.name,) for alias in node.names]
        found.update(n[1] for n in names if len(n) > 1 and n[0] == "careplan")
    return found


def test_careplan_layers_sees_absolute_and_relative_imports(tmp_path: Path) -> None:
    sample = tmp_path / "careplan" / "models" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("from careplan.store import repo\nfrom .. import export\n"
                      "def f():\n    from . import base\n    import careplan.ui.app\n",
                      encoding="utf-8")
    assert careplan_layers(sample, tmp_path) == {"store", "export", "models", "ui"}


@pytest.mark.parametrize("layer", sorted(ABOVE))
def test_layers_never_import_the_layers_above(layer: str) -> None:
    breaches = [
        f"{path.relative_to(PACKAGE.parent)} imports careplan.{name}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for name in sorted(careplan_layers(path) & ABOVE[layer])
    ]
    assert not breaches, "; ".join(breaches)


def test_layers_exist() -> None:
    """Guard against the check passing vacuously because a folder moved."""
    for layer in sorted(FORBIDDEN.keys() | ABOVE.keys()):
        assert list((PACKAGE / layer).glob("*.py")), layer
