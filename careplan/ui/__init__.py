"""The desktop client (PySide6): main window, caseload, person workspace, dashboard."""
