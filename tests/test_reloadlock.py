"""generator/pagetest/reloadlock.py: drills sharing a rules directory reload Prometheus one at a time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from generator.pagetest.reloadlock import ReloadLock


def test_a_second_drill_waits_for_the_first_and_then_gets_the_lock(tmp_path: Path) -> None:
    first, second = ReloadLock(tmp_path), ReloadLock(tmp_path)
    assert first.acquire(time.monotonic() + 1) and first.held
    told: list[str] = []
    started = time.monotonic()
    assert not second.acquire(time.monotonic() + 0.3, lambda: told.append("waiting"))
    assert told == ["waiting"] and time.monotonic() - started >= 0.3 and not second.held
    first.release()
    assert second.acquire(time.monotonic() + 1) and second.held
    second.release()
    assert list(tmp_path.iterdir()) == []  # the directory itself is locked: nothing is written into it


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    """kill -9 of a drill inside its window: the kernel drops the lock with the process."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from generator.pagetest.reloadlock import ReloadLock; "
        f"lock = ReloadLock(Path({str(tmp_path)!r})); assert lock.acquire(time.monotonic() + 5); "
        "print('held', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not ReloadLock(tmp_path).acquire(time.monotonic() + 0.2)
        holder.kill()
        holder.wait(timeout=10)
        assert ReloadLock(tmp_path).acquire(time.monotonic() + 1)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
