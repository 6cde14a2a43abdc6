"""One exception hierarchy for quantrac.

The CLI and the API map these to exit codes / HTTP statuses in one place each, so a
module only has to raise the right type with enough context for a person to act on it.
"""

from __future__ import annotations

from collections.abc import Sequence


class QuantracError(Exception):
    """Base of every error quantrac raises on purpose."""


class ConfigError(QuantracError):
    """A setting is missing or malformed."""


class CatalogError(QuantracError):
    """A package-data catalogue file is malformed; names the file and line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        super().__init__(f"{file}:{line}: {message}")


class LookupFailed(QuantracError, ValueError):
    """A name was not found; carries the nearest known names so the user can fix a typo.

    Also a ValueError, so pydantic validators turn it into a field error with this message.
    """

    kind = "name"

    def __init__(self, name: str, suggestions: Sequence[str] = (), context: str = "") -> None:
        self.name = name
        self.suggestions = list(suggestions)
        self.context = context
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        where = f" ({context})" if context else ""
        super().__init__(f"Unknown {self.kind} {name!r}{where}.{hint}")


class UnknownParameter(LookupFailed):
    kind = "parameter"


class UnknownUnit(LookupFailed):
    kind = "unit"


class UnknownStation(LookupFailed):
    kind = "station"


class UnknownOrganization(LookupFailed):
    kind = "organization"


class UnknownAdminUnit(LookupFailed):
    kind = "administrative unit"


class UnknownMedium(LookupFailed):
    kind = "medium"


class UnitConversionError(QuantracError):
    """Two units measure different things, or a gas conversion lacks a molar mass."""


class ValidationError(QuantracError):
    """Input data is invalid; `problems` lists (where, message) pairs."""

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        self.problems = list(problems)
        detail = "".join(f"\n  {where}: {msg}" for where, msg in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(f"{message}{detail}{tail}")


class CodecError(QuantracError):
    """A file or message could not be decoded; names the file, line and field."""

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        parts = [
            p
            for p in (file, f"line {line}" if line else None, f"field {field}" if field else None)
            if p
        ]
        prefix = ": ".join([", ".join(parts)]) + ": " if parts else ""
        super().__init__(f"{prefix}{message}")


class ConflictError(QuantracError):
    """The request conflicts with what is stored (duplicate code, retired station …)."""


class PermissionDenied(QuantracError):
    """The caller may not see or change this."""
