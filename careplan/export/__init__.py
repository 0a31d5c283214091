"""Print and interchange: PDFs (reportlab), tables (pandas) and FHIR R4 (fhir.resources).

This layer reads through ``careplan.store`` and builds on ``careplan.models``; it never
imports Qt, so the command line and the desktop client call the same functions.
"""
