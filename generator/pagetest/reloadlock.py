"""One Prometheus reload at a time among the page-tests that share a rules directory.

After a reload Prometheus's notifier has no Alertmanager for up to 5 s and drops what it sends
meanwhile; a dropped notification is only re-sent after --rules.alert.resend-delay (1m by
default). A drill is safe from its own reloads (its alert fires 6 s after them), not from another
drill's: a second page-test reloading just as the first drill's alert fires delays that drill by a
minute. So a drill holds this lock from its reload until Alertmanager holds (or has resolved) its
alert, and reloads only while holding it: the other drill's reload then comes before its window or
after it. The lock is an advisory flock on the rules directory itself: nothing is written there, and
nothing is left behind by a page-test that dies (the kernel drops its locks). Where the file system
refuses locks, page-test runs without one, as before.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

POLL_S = 0.1


class ReloadLock:
    def __init__(self, rules_dir: Path) -> None:
        self.path = rules_dir
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, until: float, waiting: Callable[[], None] | None = None) -> bool:
        """True once held, or when this file system has no locks (then nothing is held); False when `until`
        (monotonic) passes first. `waiting` is called once if another page-test holds it."""
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return True  # cannot open it: go on unlocked rather than fail the drill
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= until:
                    os.close(fd)
                    return False
                if not told and waiting is not None:
                    waiting()
                    told = True
                try:
                    time.sleep(POLL_S)
                except BaseException:  # interrupted while waiting: nothing is held
                    os.close(fd)
                    raise
                continue
            except OSError:  # no locks here (ENOLCK): unlocked, as page-test ran before locks
                os.close(fd)
                return True
            self._fd = fd
            return True

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
