"""The installed Qt bindings keep None, True and False counted on Python 3.11.

PySide6 6.12.0's stable-ABI wheels install on Python 3.11 but hand back ``None`` from
every void method, and ``True`` from ``Signal.emit``, without taking a reference. On
3.11, where those objects are not immortal, each call then takes one reference away,
and after a few thousand the interpreter aborts ("deallocating None"). The project pins
a PySide6 without this fault (pyproject.toml); this checks the bindings that are
installed, in a process of their own, so a pin that lets such wheels in again fails here
rather than in an hour-long session.

On Python 3.12 and later the three are immortal and their counts never move, so the test
passes there whatever the bindings do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: Calls of each kind: far more than the references None (about 5,000) or True (about
#: 600) hold in a fresh 3.11 interpreter, so faulty bindings abort long before the end.
CALLS = 100_000

# Each kind of call the client makes all the time, through real widgets and signals;
# prints how much each one changed the singletons' reference counts.
PROBE = """
import json, sys
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

calls = int(sys.argv[1])
app = QApplication([])


class Emitter(QObject):
    changed = Signal(int)
    touched = Signal()


def counts():
    return {"None": sys.getrefcount(None), "True": sys.getrefcount(True),
            "False": sys.getrefcount(False)}


label, edit, emitter, received = QLabel(), QLineEdit(), Emitter(), []
emitter.changed.connect(received.append)


def set_name():
    for _ in range(calls):
        label.setObjectName("probe")


def set_text():
    for _ in range(calls):
        label.setText("probe")


def edit_text():  # a void call whose built-in signal reaches a connected Python slot
    edit.textChanged.connect(lambda text: text)  # returns no singleton: counts only the call
    for n in range(calls):
        edit.setText(str(n))


def emit_connected():
    for n in range(calls):
        emitter.changed.emit(n)


def emit_unconnected():
    for _ in range(calls):
        emitter.touched.emit()


changes = {}
for probe in (set_name, set_text, edit_text, emit_connected, emit_unconnected):
    before = counts()
    probe()
    after = counts()
    changes[probe.__name__] = {k: after[k] - before[k] for k in before}
changes["received"] = len(received)
print(json.dumps(changes))
"""


def test_many_void_calls_and_emissions_keep_the_singletons_counted() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(CALLS)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 0, (
        f"the interpreter did not survive {CALLS:,} calls of each kind "
        f"(exit status {done.returncode}):\n{done.stderr[-2000:]}"
    )
    changes = json.loads(done.stdout.strip().splitlines()[-1])
    assert changes.pop("received") == CALLS  # every emission reached the slot
    assert set(changes) == {"set_name", "set_text", "edit_text", "emit_connected",
                            "emit_unconnected"}
    # A count that grows only keeps the object alive; one that falls by about one per
    # call is the fault. A few references either way come from the loops themselves.
    lost = {(probe, obj): -d for probe, by_obj in changes.items()
            for obj, d in by_obj.items() if d < -CALLS // 1000}
    assert not lost, f"references lost over {CALLS:,} calls each: {lost}"
