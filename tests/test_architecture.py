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
    "export": {"PySide6"},
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


def test_layers_exist() -> None:
    """Guard against the check passing vacuously because a folder moved."""
    for layer in ("models", "store"):
        assert list((PACKAGE / layer).glob("*.py")), layer
