"""What a publish says: progress on stderr as it goes, per target what changes on stdout, one summary line.

stdout is what a pull-request job posts as a comment, so it holds only the changes (and failures),
in a stable order; the progress lines with their timestamps are for the CI log. The summary is the
last line of stdout, one line whatever happened, so a job can show it as the check's title.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol, TextIO


class Failed(Exception):
    """A target did not do what was expected (a server unreachable or refusing, a check after the change
    failing); str() is one line without secrets. `rollback` says what was undone, if anything was."""

    def __init__(self, message: str, rollback: str = "") -> None:
        super().__init__(message)
        self.rollback = rollback


class Plan(Protocol):
    """What one target would change, read from files and servers without changing anything."""

    @property
    def changed(self) -> bool: ...

    def where(self) -> str:
        """Where the target lives, for the section heading."""

    def counts(self) -> str:
        """"2 groups added, 1 changed": the summary's words for the change ("" when nothing changes)."""

    def lines(self) -> list[str]:
        """The change, line by line (a diff)."""


class Progress:
    """Timestamped progress lines on stderr, as page-test prints its steps."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.start = time.monotonic()

    def step(self, target: str, text: str) -> None:
        self.out.write(f"[{time.monotonic() - self.start:6.1f}s] {target}: {text}\n")
        self.out.flush()


@dataclass
class Outcome:
    target: str
    counts: str = ""                 # what changed (or would), "" when nothing
    failure: str | None = None
    rollback: str = ""


def section(target: str, plan: Plan) -> str:
    """The stdout block of one target: a heading, then its change lines (nothing when unchanged)."""
    if not plan.changed:
        return f"{target}: unchanged ({plan.where()})\n"
    body = "".join(f"  {line}\n" for line in plan.lines())
    return f"{target}: {plan.counts()} ({plan.where()})\n{body}"


def summary(outcomes: list[Outcome], dry_run: bool) -> str:
    changed = [o for o in outcomes if o.counts and o.failure is None]
    failed = [o for o in outcomes if o.failure is not None]
    unchanged = [o.target for o in outcomes if not o.counts and o.failure is None]
    parts = []
    if changed:
        verb = "would change" if dry_run else "published"
        parts.append(f"{verb} " + ", ".join(f"{o.target} ({o.counts})" for o in changed))
    if unchanged:
        parts.append("unchanged: " + ", ".join(unchanged))
    if failed:
        parts.append("FAILED: " + ", ".join(
            o.target + (" (rolled back)" if o.rollback else "") for o in failed))
    head = "obsgen publish --dry-run" if dry_run else "obsgen publish"
    return f"{head}: {'; '.join(parts) or 'nothing to publish'}"
