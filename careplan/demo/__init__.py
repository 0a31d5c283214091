"""The demo: a realistic, deterministic caseload for one neighbourhood, and the writers
that put it in a store.

``generator`` (with ``world``, ``case``, ``scenarios`` and ``funding``) makes the
records; ``build`` writes them into an open store in one transaction; ``build_file``
makes a new store file quickly, never half-written. The demo sits above the store (it
writes through it) and below the commands and the desktop app, which create it;
``careplan.models`` and ``careplan.store`` never import it.

Nothing is imported here: ``careplan demo`` imports ``generator`` at start and the
writers (worker processes and all) only when it runs.
"""
