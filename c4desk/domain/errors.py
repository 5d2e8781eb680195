"""Validation errors that name the field and the reason, shared by every importer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One reason a record was rejected. ``line`` is set by file importers (1-based, header is line 1)."""

    field: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        prefix = f"line {self.line}: " if self.line is not None else ""
        return f"{prefix}{self.field}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "reason": self.reason}
        if self.line is not None:
            out["line"] = self.line
        return out


class ValidationError(ValueError):
    """Raised when a record has one or more field errors; nothing of it may be stored."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))
