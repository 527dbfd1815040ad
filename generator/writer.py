"""Write out/ atomically, or compare it with what would be written.

out/ belongs to `obsgen build`: the whole tree is built in a temporary directory
beside it and swapped in with one rename (renameat2 RENAME_EXCHANGE where the
kernel has it), so a failure at any point leaves the previous out/ untouched and
readers never see half a build.
"""

from __future__ import annotations

import ctypes
import difflib
import os
import shutil
import tempfile
from pathlib import Path

_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the platform cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), _RENAME_EXCHANGE)
    return rc == 0


def write_tree(out_dir: Path, files: dict[str, str]) -> None:
    out_dir = out_dir.resolve()
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    try:
        for rel in sorted(files):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(files[rel])
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            if not _exchange(tmp, out_dir):
                old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
                old.rmdir()
                os.rename(out_dir, old)
                try:
                    os.rename(tmp, out_dir)
                except OSError:
                    os.rename(old, out_dir)
                    raise
                tmp = old
        else:
            os.rename(tmp, out_dir)
            return
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous out/


def read_tree(out_dir: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    if not out_dir.is_dir():
        return found
    for path in sorted(out_dir.rglob("*")):
        if path.is_file():
            rel = path.relative_to(out_dir).as_posix()
            try:
                found[rel] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                found[rel] = "<binary>"
    return found


def diff_tree(out_dir: Path, files: dict[str, str], label: str) -> str:
    """Unified diff from what is on disk to what the declarations produce ("" when equal)."""
    current = read_tree(out_dir)
    chunks: list[str] = []
    for rel in sorted(set(current) | set(files)):
        old = current.get(rel)
        new = files.get(rel)
        if old == new:
            continue
        chunks.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"{label}/{rel}" if old is not None else "/dev/null",
            tofile=f"{label}/{rel} (expected)" if new is not None else "/dev/null"))
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)
