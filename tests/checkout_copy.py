"""A copy of what a clone of the repository has: the files git tracks, as they are now
in the checkout (so an edit not yet committed is tested, and a file not yet added is
missing, as it would be from a clone)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> list[str]:
    """The checkout's tracked files (relative paths); skips the test outside a git checkout."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                             check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"needs a git checkout to know which files a clone has ({exc})")
    return [name for name in out.decode().split("\0") if name]


def copy_tracked(dest: Path) -> Path:
    """Copy every tracked file that exists in the checkout into ``dest``; return ``dest``."""
    for name in tracked_files():
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the checkout is not copied
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest
