"""Layers point down only: a small AST check over every module of careplan/.

ui -> export -> store -> models, with the demo (careplan/demo: the generator and its
writers) above the store and below the commands and ui, and careplan/resources (the
data files shipped in the package and their readers) importing nothing else of CarePlan.
careplan/models reads no files: it is given parsed data. careplan/clock.py is the one
place that reads the day from the clock (the date in Europe/London); models never read
the clock at all: they are given ``today``.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "careplan"

#: layer -> top-level modules it must never import.
#: The modules that find or read files: models may import none of them.
FILE_READING = {"pathlib", "importlib", "io", "os", "shutil", "glob", "tempfile", "tomllib"}

#: layer -> top-level modules it must never import.
FORBIDDEN: dict[str, set[str]] = {
    "models": {"PySide6", "sqlite3", "sqlite_utils"} | FILE_READING,
    "resources": {"PySide6", "sqlite3", "sqlite_utils"},
    "store": {"PySide6"},
    "demo": {"PySide6"},
    "ui": {"sqlite3", "sqlite_utils"},
    "export": {"PySide6", "sqlite3", "sqlite_utils"},
}

#: layer -> the careplan layers it must never import: those above it (ui -> export ->
#: store -> models; the demo above the store, beside export, below ui; commands on top
#: of them all), and for resources every other layer.
ABOVE: dict[str, set[str]] = {
    "models": {"resources", "store", "demo", "export", "ui", "commands", "cli", "clock"},
    "resources": {"models", "store", "demo", "export", "ui", "commands", "cli", "clock"},
    "store": {"demo", "export", "ui", "commands", "cli"},
    "demo": {"export", "ui", "commands", "cli"},
    "export": {"demo", "ui", "commands", "cli"},
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


#: Calls that open or read a file (``open(...)``, ``path.read_text()``, ...).
_FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes"}


def file_calls(path: Path) -> list[str]:
    """``line: name`` of every call in ``path`` that opens or reads a file, and of every
    use of ``__file__`` (finding files beside the source)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        name = ""
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            name = name if name in _FILE_CALLS else ""
        elif isinstance(node, ast.Name) and node.id == "__file__":
            name = "__file__"
        if name:
            found.append(f"{node.lineno}: {name}")
    return found


def test_file_calls_sees_open_reads_and_dunder_file(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(p):\n    open(p)\n    return p.read_text(), __file__\n"
                      "def is_open(self):\n    return self.is_open()\n", encoding="utf-8")
    assert file_calls(sample) == ["2: open", "3: read_text", "3: __file__"]


def test_models_read_no_files() -> None:
    """Models are given parsed data (careplan.resources and the store read the files)."""
    breaches = [f"{path.relative_to(PACKAGE.parent)}:{call}"
                for path in sorted((PACKAGE / "models").rglob("*.py"))
                for call in file_calls(path)]
    assert not breaches, "; ".join(breaches)


def test_nothing_finds_files_beside_the_source() -> None:
    """Data is package data read with importlib.resources: no module looks for files
    relative to its own source (which a wheel installed elsewhere does not have)."""
    breaches = [f"{path.relative_to(PACKAGE.parent)}:{call}"
                for path in sorted(PACKAGE.rglob("*.py"))
                for call in file_calls(path) if call.endswith("__file__")]
    assert not breaches, "; ".join(breaches)


def test_layers_exist() -> None:
    """Guard against the check passing vacuously because a folder moved."""
    for layer in sorted(FORBIDDEN.keys() | ABOVE.keys()):
        assert list((PACKAGE / layer).glob("*.py")), layer


def test_the_store_uses_sqlite3_without_sqlite_utils() -> None:
    """sqlite-utils was weighed and removed (docs/decisions.md): neither declared nor
    imported, so nothing writes around ``Store.atomic`` and its audit events."""
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    declared = [d for d in pyproject["project"]["dependencies"]
                if d.lower().replace("_", "-").startswith("sqlite-utils")]
    importers = [str(path.relative_to(PACKAGE.parent)) for path in sorted(PACKAGE.rglob("*.py"))
                 if "sqlite_utils" in imported_roots(path)]
    assert (declared, importers) == ([], [])


# -- the clock ------------------------------------------------------------------------

#: Reads of the machine's own day or wall-clock time, which is the wrong day in England
#: between 00:00 and 01:00 British Summer Time on a machine set to UTC.
_MACHINE_DAY = {("date", "today"), ("datetime", "today"), ("datetime", "utcnow")}

#: Modules that still read the machine's day, each named here until it asks
#: careplan.clock (a test below fails once one no longer needs its place).
MACHINE_DAY_LEFT = {
    # Person.validate refuses a birth date after the machine's date: a sanity check in the
    # models, which cannot ask careplan.clock; it belongs where records are written.
    "careplan/models/people.py",
    # The desktop app's window and workspace tabs take today from careplan.clock through
    # ``careplan`` (commands/gui.py); these defaults and placeholders remain.
    "careplan/ui/mainwindow.py",
    "careplan/ui/workspace/chain_view.py",
    "careplan/ui/workspace/transitions_tab.py",
}


def clock_reads(path: Path) -> list[str]:
    """``line: date.today`` for every use of the machine's day in ``path``: ``date.today``,
    ``datetime.today`` and ``datetime.utcnow`` (called or passed as a function), and
    ``datetime.now()`` with no zone."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            if pair in _MACHINE_DAY:
                found.append(f"{node.lineno}: {'.'.join(pair)}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "datetime"
              and node.func.attr == "now" and not node.args and not node.keywords):
            found.append(f"{node.lineno}: datetime.now()")
    return found


def test_clock_reads_sees_calls_references_and_zoneless_now(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(today=date.today):\n    return date.today(), datetime.now(), "
                      "datetime.now(UTC), datetime.utcnow()\n", encoding="utf-8")
    assert sorted(clock_reads(sample)) == ["1: date.today", "2: date.today",
                                           "2: datetime.now()", "2: datetime.utcnow"]


def test_only_the_clock_module_reads_the_day() -> None:
    """Today is the date in England (careplan.clock), never the machine's date."""
    reads = {str(path.relative_to(PACKAGE.parent)): found
             for path in sorted(PACKAGE.rglob("*.py")) if (found := clock_reads(path))}
    breaches = [f"{name}:{line}" for name, found in reads.items() for line in found
                if name not in MACHINE_DAY_LEFT]
    assert not breaches, "; ".join(breaches)
    assert set(reads) == MACHINE_DAY_LEFT, (
        f"no longer reading the machine's day: {sorted(MACHINE_DAY_LEFT - set(reads))}")


def test_the_clock_imports_nothing_of_careplan() -> None:
    assert careplan_layers(PACKAGE / "clock.py") == set()


# -- lists are models and views -------------------------------------------------------

#: Qt's item widgets (QListWidget, QTableWidget, QTreeWidget and their items), which keep
#: the rows in items of their own: lists are a model and a view instead
#: (careplan/ui/listmodels.py), every model checked with qtmodeltester.
ITEM_WIDGET = re.compile(r"Q(List|Table|Tree)Widget")


def item_widget_uses(path: Path) -> list[str]:
    """``line: name`` of every import, name or attribute of an item widget in ``path``
    (words in docstrings and comments are not uses)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom | ast.Import):
            names = [alias.name.split(".")[-1] for alias in node.names]
        elif isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        found += [f"{node.lineno}: {name}" for name in names if ITEM_WIDGET.match(name)]
    return found


def test_item_widget_uses_sees_imports_names_and_attributes(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""Not a QListWidget."""\n'
                      "from PySide6.QtWidgets import QListView, QTreeWidgetItem\n"
                      "from PySide6 import QtWidgets\n"
                      "def f():  # a QTableWidget would do\n"
                      "    return QtWidgets.QTableWidget(), QTreeWidgetItem()\n",
                      encoding="utf-8")
    assert sorted(item_widget_uses(sample)) == ["2: QTreeWidgetItem", "5: QTableWidget",
                                                "5: QTreeWidgetItem"]


def test_the_ui_lists_with_models_not_item_widgets() -> None:
    """No QListWidget, QTableWidget or QTreeWidget (nor their items) in careplan/ui."""
    breaches = [f"{path.relative_to(PACKAGE.parent)}:{use}"
                for path in sorted((PACKAGE / "ui").rglob("*.py"))
                for use in item_widget_uses(path)]
    assert not breaches, "; ".join(breaches)
