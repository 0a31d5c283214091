"""Help ▸ User guide (F1) and Help ▸ About CarePlan.

The guide is a short HTML page shipped inside the package
(``careplan/resources/user_guide.html``, read through importlib.resources), shown in a
window of its own beside the app so it can stay open while working. About names the
version, the store open (its file and the version of its layout) and the Qt in use.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from careplan import __version__
from careplan.resources import ResourceError, user_guide

if TYPE_CHECKING:
    from careplan.store import Store


class GuideWindow(QDialog):
    """The user guide, in a window that can stay open beside the app."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("CarePlan user guide"))
        self.setModal(False)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName(self.tr("User guide"))
        self.browser.setOpenExternalLinks(True)
        try:
            self.browser.setHtml(user_guide())
        except ResourceError as exc:  # a broken installation: say so, never a blank page
            self.browser.setPlainText(str(exc))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(760, 680)

    def show_section(self, anchor: str) -> None:
        self.browser.scrollToAnchor(anchor)


def about_facts(store: Store | None) -> list[tuple[str, str]]:
    """What About says, as (what, value) pairs."""
    facts = [("CarePlan version", __version__)]
    if store is None:
        facts.append(("Store", "none open"))
    else:
        facts.append(("Store", store.path))
        try:
            version = str(store.schema_version)
        except Exception:  # a damaged store: About still opens  # noqa: BLE001
            version = "unknown (the store could not be read)"
        facts.append(("Store layout (schema) version", version))
    facts.append(("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})"))
    return facts


class AboutDialog(QDialog):
    """Version, store path and schema version, selectable so they can be copied into a
    support request."""

    def __init__(self, store: Store | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About CarePlan"))
        self.facts = about_facts(store)
        rows = "".join(f"<tr><td><b>{html.escape(self.tr(what))}</b></td>"
                       f"<td>{html.escape(value)}</td></tr>" for what, value in self.facts)
        self.text = QLabel(
            "<h2>CarePlan</h2><p>"
            + html.escape(self.tr("One shared care plan across health and social care, kept "
                                  "offline."))
            + f"</p><table cellpadding='3'>{rows}</table>")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setWordWrap(True)
        self.text.setAccessibleName(self.tr("About CarePlan"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
