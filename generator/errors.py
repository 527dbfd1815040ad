"""User-facing errors.

Anything a user can cause must end as one line naming the file, the SLO and the
field, never a traceback; these exceptions carry those three parts so the CLI can
print them uniformly.
"""

from __future__ import annotations


class SpecError(Exception):
    """A declaration is invalid. Exit code 2."""

    def __init__(self, message: str, *, file: str | None = None, slo: str | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.slo = slo
        self.field = field

    def located(self, *, file: str | None = None, slo: str | None = None) -> SpecError:
        """Fill in location parts that inner code could not know."""
        if self.file is None and file is not None:
            self.file = file
        if self.slo is None and slo is not None:
            self.slo = slo
        return self

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.slo:
            parts.append(f"slo {self.slo}")
        if self.field:
            parts.append(self.field)
        where = ": ".join(parts)
        text = " ".join(self.message.split())  # one line, always
        return printable(f"{where}: {text}" if where else text)


def printable(text: str) -> str:
    """Text for one terminal line: a control or separator character a spec smuggled into a name or
    value (a newline, U+2028, an ESC that would recolour the terminal) is shown escaped, not obeyed."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class CheckError(Exception):
    """A check (promtool, stale out/) failed. Exit code 1."""


class ToolMissing(Exception):
    """An external tool is not installed. Exit code 2, with an install hint."""


class ToolTooOld(ToolMissing):
    """An external tool is older than what out/ needs (or will not say its version). Exit code 2."""
