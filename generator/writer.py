"""Write out/ atomically, or compare it with what would be written.

out/ belongs to `obsgen build`: the whole tree is built in a temporary directory
beside it and swapped in with one rename (renameat2 RENAME_EXCHANGE where the
kernel has it), so a failure at any point leaves the previous out/ untouched and
readers never see half a build.

Files are text (str, written as UTF-8 with \n line ends) or binary (bytes, written
as they are: the docs' PNGs). `--check` compares text as text and binary files byte
for byte; a binary difference is reported as one "Binary file X differs" line.
"""

from __future__ import annotations

import ctypes
import difflib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator import log

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


Files = Mapping[str, str | bytes]


def _write(target: Path, content: str | bytes) -> None:
    if isinstance(content, bytes):
        with open(target, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        return
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())


def write_tree(out_dir: Path, files: Files) -> None:
    out_dir = out_dir.resolve()
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    log.debug("writing %d files into %s, to be swapped in for %s", len(files), tmp.name, out_dir.name)
    try:
        for rel in sorted(files):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            _write(target, files[rel])
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            if not _exchange(tmp, out_dir):
                old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
                old.rmdir()
                os.rename(out_dir, old)
                try:
                    os.rename(tmp, out_dir)
                except BaseException:  # Ctrl-C too: out/ must not stay renamed aside
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
    log.debug("swapped the new tree in for %s and removed the previous one", out_dir.name)


def write_files(out_dir: Path, files: Files) -> None:
    """Replace some files of out_dir, each atomically (temporary file + rename); leave the rest.

    For `obsgen report`, whose files are exactly the ones `obsgen build` writes at those paths.
    """
    for rel in sorted(files):
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")  # mode from the umask, as write_tree's
        try:
            _write(tmp, files[rel])
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def read_tree(out_dir: Path) -> dict[str, str | bytes]:
    """Text files as str; files that are not UTF-8 as their bytes."""
    found: dict[str, str | bytes] = {}
    if not out_dir.is_dir():
        return found
    for path in sorted(out_dir.rglob("*")):
        if path.is_file():
            rel = path.relative_to(out_dir).as_posix()
            try:
                found[rel] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                found[rel] = path.read_bytes()
    return found


def diff_tree(out_dir: Path, files: Files, label: str) -> str:
    """Unified diff from what is on disk to what the declarations produce ("" when equal)."""
    current = read_tree(out_dir)
    chunks: list[str] = []
    for rel in sorted(set(current) | set(files)):
        old = current.get(rel)
        new = files.get(rel)
        if isinstance(old, bytes) or isinstance(new, bytes):
            on_disk = (out_dir / rel).read_bytes() if old is not None else None
            expected = new.encode("utf-8") if isinstance(new, str) else new
            if on_disk != expected:
                chunks.append(f"Binary file {label}/{rel} differs"
                              + (" (missing)" if on_disk is None else " (not built)" if expected is None else ""))
            continue
        if old == new:
            continue
        chunks.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"{label}/{rel}" if old is not None else "/dev/null",
            tofile=f"{label}/{rel} (expected)" if new is not None else "/dev/null"))
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)
