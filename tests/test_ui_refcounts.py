"""The client survives bindings that hand back None and True without a reference."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

import careplan.ui  # noqa: F401  (importing the client is what protects the process)
from careplan.ui.refcounts import void_calls_drop_none


class _Emitter(QObject):
    ping = Signal(int)


def test_many_void_calls_and_emits_leave_the_singletons_alive(qtbot) -> None:  # type: ignore[no-untyped-def]
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    received: list[int] = []
    emitter.ping.connect(received.append)
    calls = 30_000  # several times what None and True hold in a fresh interpreter
    for n in range(calls):
        label.setText("x")
        emitter.ping.emit(n)
    assert len(received) == calls
    if sys.version_info < (3, 12) and void_calls_drop_none():
        # Counts were pinned far out of reach of any session's calls.
        assert min(sys.getrefcount(x) for x in (None, True, False)) > 1 << 39
