"""Files we own inside directories we do not: written atomically, restored exactly.

Prometheus and Alertmanager read their rule and config files from directories that belong to
their operators (permissions, owners, other people's files). A publish replaces a file through a
temporary name beside it and one rename, so the server never reads half a file, and keeps the mode
(and, where we may, the owner) of the file it replaces: a config that becomes unreadable to the
server's user would only fail at its next restart, long after the publish said "ok". The temporary
name starts with a dot and does not end in .yml, so no rule_files glob matches it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

Snapshot = dict[str, str | None]  # file name -> its text before we changed it, None when it did not exist


def read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.obsgen-tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            st = path.stat()
            os.chmod(tmp, st.st_mode & 0o7777)
            with contextlib.suppress(PermissionError):  # only root may give a file away
                os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def apply(directory: Path, changes: Mapping[str, str | None]) -> None:
    """Write each file to its text, or remove it when the text is None."""
    for name in sorted(changes):
        text = changes[name]
        if text is None:
            remove(directory / name)
        else:
            replace(directory / name, text)


def snapshot(directory: Path, names: list[str]) -> Snapshot:
    return {name: read(directory / name) for name in names}
