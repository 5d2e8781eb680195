"""What the case and review widgets share: who is acting, how a refusal or a bad field is shown, time conversion.

Services enforce every permission; the widgets only mirror the permission table so a button a role cannot use
is disabled with a tooltip saying why, and a refusal that still comes back (a role changed meanwhile, a race)
is shown as a message in the widget, never as a crash or a modal box that blocks the wall.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QDateTime, QObject
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from c4desk.config import EvidenceSettings
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Action, Actor, PermissionDenied, allowed
from c4desk.store.cases import CaseNotFound
from c4desk.store.clips import ClipNotFound
from c4desk.ui import theme
from c4desk.ui.background import run_in_background

ActorSource = Actor | Callable[[], Actor]

OUTCOME_LABELS = {"useful_video": "Useful video found", "nothing_relevant": "Nothing relevant",
                  "camera_offline": "Camera offline"}
STATUS_COLOURS = {"draft": theme.MUTED, "pending": theme.WARN, "approved": theme.OK, "rejected": theme.BAD,
                  "open": theme.ACCENT, "cleared": theme.OK, "closed": theme.MUTED,
                  # video search outcomes
                  "useful_video": theme.OK, "nothing_relevant": theme.MUTED, "camera_offline": theme.WARN,
                  "searching": theme.ACCENT}
ACTION_WORDS = {Action.EDIT_CASES: "change cases", Action.TAG_CLIPS: "tag or submit clips",
                Action.REVIEW_CLIPS: "review clips", Action.EXPORT_EVIDENCE: "export evidence"}


def run_for(owner: QObject, work: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None) -> None:
    """``run_in_background`` whose answer is dropped when ``owner`` is gone by then (its window was closed while a
    query ran): a late answer must never touch a deleted widget."""
    def done(result: Any) -> None:
        if on_done is not None and shiboken6.isValid(owner):
            on_done(result)

    def failed(exc: BaseException) -> None:
        if on_error is not None and shiboken6.isValid(owner):
            on_error(exc)

    run_in_background(work, done, failed)


def actor_of(source: ActorSource) -> Actor:
    """The actor now: a fixed Actor, or asked of the window (the login may change it)."""
    return source if isinstance(source, Actor) else source()


def may(source: ActorSource, action: Action) -> bool:
    return allowed(actor_of(source).role, action)


def refusal(actor: Actor, action: Action) -> str:
    """The tooltip of a disabled button: which role lacks which right."""
    return f"Your role ({actor.role.value}) may not {ACTION_WORDS.get(action, action.value.replace('_', ' '))}"


def guard(button: QAbstractButton | QWidget, source: ActorSource, action: Action, tip: str,
          enabled: bool = True) -> None:
    """Enable ``button`` when the actor's role allows ``action`` and ``enabled`` (the widget's own state) holds.

    A role that lacks the right sees the button disabled with the reason as tooltip; otherwise ``tip``.
    """
    actor = actor_of(source)
    permitted = allowed(actor.role, action)
    button.setEnabled(permitted and enabled)
    button.setToolTip(tip if permitted else refusal(actor, action))


def describe_error(exc: BaseException) -> str:
    """One line an analyst can act on: the refused right, the fields and why, or the missing item."""
    if isinstance(exc, PermissionDenied):
        return f"Not allowed: {exc}"
    if isinstance(exc, ValidationError):
        return "; ".join(f"{e.field.replace('_', ' ')}: {e.reason}" for e in exc.errors)
    if isinstance(exc, (CaseNotFound, ClipNotFound, LookupError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def error_fields(exc: BaseException) -> dict[str, str]:
    """The refused fields and why (empty for anything but a ValidationError)."""
    return {e.field: e.reason for e in exc.errors} if isinstance(exc, ValidationError) else {}


class StatusLine(QLabel):
    """A one-line message under a form or table: errors in the alarm colour, everything else muted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.is_error = False

    def info(self, text: str) -> None:
        self.is_error = False
        self.setStyleSheet(f"color: {theme.MUTED};")
        self.setText(text)

    def error(self, text: str) -> None:
        self.is_error = True
        self.setStyleSheet(f"color: {theme.BAD};")
        self.setText(text)

    def failed(self, exc: BaseException) -> None:
        self.error(describe_error(exc))


def show_refusal(exc: BaseException, fields: Mapping[str, QWidget], status: StatusLine) -> None:
    """A form's save was refused: outline each field named (reason on hover), clear the others, say why below.
    Nothing typed is lost: the form stays open as it was."""
    bad = error_fields(exc)
    for name, widget in fields.items():
        mark_invalid(widget, bad.get(name))
    status.failed(exc)


def mark_invalid(widget: QWidget, reason: str | None) -> None:
    """Outline a form field the service refused (and say why on hover); None clears it."""
    if reason:
        widget.setStyleSheet(f"border: 1px solid {theme.BAD};")
        widget.setToolTip(reason)
    else:
        widget.setStyleSheet("")


def to_qdatetime(at: datetime) -> QDateTime:
    """A UTC datetime as a QDateTime in the workstation's local time (milliseconds kept)."""
    return QDateTime.fromMSecsSinceEpoch(round(at.timestamp() * 1000))


def from_qdatetime(value: QDateTime) -> datetime:
    """The aware UTC datetime a QDateTime (local time on screen) stands for."""
    return datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, UTC)


def duration_text(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


@dataclass(frozen=True)
class EvidenceContext:
    """Where evidence packages go, where stills live, and the export rules (settings ``evidence``)."""

    exports_dir: Path
    stills_dir: Path | None = None
    settings: EvidenceSettings = field(default_factory=EvidenceSettings)

    @classmethod
    def for_data_dir(cls, data_dir: Path, settings: EvidenceSettings | None = None) -> EvidenceContext:
        """The layout of a c4desk data directory (``Paths``): exports/ and media/snapshots/."""
        return cls(exports_dir=data_dir / "exports", stills_dir=data_dir / "media" / "snapshots",
                   settings=settings or EvidenceSettings())
