"""The desktop client (PySide6): main window, caseload, person workspace, dashboard."""

from careplan.ui.refcounts import pin_singletons

# Before any widget exists: see refcounts.py (PySide6 6.12 abi3 wheels on Python 3.11).
pin_singletons()
