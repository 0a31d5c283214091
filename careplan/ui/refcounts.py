"""Keep Python alive under PySide6 wheels that drop references to None, True and False.

PySide6 6.12 ships stable-ABI (abi3) wheels that also install on Python 3.11. Its
bindings hand back ``None`` (from every method returning void) and the booleans (from
``Signal.emit``) without taking a reference, which is harmless from Python 3.12 on,
where those objects are immortal, but not on 3.11: each ``label.setText(...)`` or
``signal.emit(...)`` takes one reference from ``None`` or ``True``, and after a few
thousand calls the interpreter aborts with "deallocating None" (or True). A long
export reporting progress, or an hour of editing, is enough.

When the running bindings are seen to do this, the five singletons get a reference
count no session can use up; that is what 3.12 does for them anyway. Nothing is done
on Python 3.12 or later, or with bindings that count correctly.
"""

from __future__ import annotations

import ctypes
import sys

#: Objects bindings hand back as borrowed constants.
SINGLETONS: tuple[object, ...] = (None, True, False, NotImplemented, Ellipsis)
#: Added to each one's count: far beyond the calls any session makes.
_PIN = 1 << 40
_PROBES = 64


def void_calls_drop_none() -> bool:
    """True when a void method of the Qt bindings takes a reference from ``None``."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBES):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= _PROBES


def pin_singletons() -> bool:
    """Make the singletons' counts unreachable when needed; True if that was done."""
    if sys.version_info >= (3, 12) or not void_calls_drop_none():
        return False
    for obj in SINGLETONS:
        # ob_refcnt is the first field of every object in a release build of CPython.
        ctypes.c_ssize_t.from_address(id(obj)).value += _PIN
    return True
