"""The solvability study over the cases table: which cases count, which had video, which were cleared.

* **Which cases**: ``opened_at`` in ``[since, until)`` (either end open when None), and ``case_type`` among
  ``types`` (compared in lower case; no types = every type).
* **Had video**: the shared rule (``domain.statistics.has_video_component``): the case's ``video_component``
  when it is set (an RMS import states it), otherwise a video search task with outcome ``useful_video`` or a
  clip tagged to the case that was not rejected. Both tests run in SQL (EXISTS), one query for all cases.
* **Cleared**: ``cleared_at`` is set or ``status`` is ``cleared`` (a case cleared and later closed keeps its
  ``cleared_at``; a case closed without clearing has none). Clearance is as of now, not as of ``until``.
* Reading the figures needs ``Action.VIEW_REPORTS`` (a refusal is audited); reading writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from c4desk.domain.permissions import Action, Actor
from c4desk.domain.statistics import CaseRecord, SolvabilityResult, has_video_component, solvability
from c4desk.store.audit import require_audited
from c4desk.store.case_fields import video_evidence
from c4desk.store.db import Database
from c4desk.store.models import CaseRow


def normalise_types(types: Sequence[str]) -> tuple[str, ...]:
    """Case types as the table keeps them (lower case, trimmed), empties dropped, order kept, no repeats."""
    return tuple(dict.fromkeys(t.strip().lower() for t in types if t.strip()))


def _period(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(CaseRow.opened_at >= since)
    if until is not None:
        where.append(CaseRow.opened_at < until)
    return where


class SolvabilityReport:
    def __init__(self, db: Database) -> None:
        self._db = db

    def case_records(self, *, since: datetime | None = None, until: datetime | None = None,
                     types: Sequence[str] = ()) -> list[CaseRecord]:
        """The cases the study looks at, as plain records (no permission check: callers are services)."""
        for name, at in (("since", since), ("until", until)):
            if at is not None and at.utcoffset() is None:
                raise ValueError(f"{name} must carry a time zone")
        useful_search, live_clip = video_evidence()
        query = (select(CaseRow.number, CaseRow.case_type, CaseRow.status, CaseRow.cleared_at,
                        CaseRow.excluded_reason, CaseRow.video_component, useful_search, live_clip)
                 .where(*_period(since, until)).order_by(CaseRow.opened_at, CaseRow.number))
        wanted = normalise_types(types)
        if wanted:
            query = query.where(func.lower(CaseRow.case_type).in_(wanted))
        with self._db.session() as session:
            rows = session.execute(query).all()
        return [CaseRecord(number=r.number, case_type=r.case_type,
                           cleared=r.cleared_at is not None or r.status == "cleared",
                           has_video=has_video_component(r.video_component, bool(r[6]), bool(r[7])),
                           excluded_reason=r.excluded_reason or "")
                for r in rows]

    def run(self, actor: Actor, *, since: datetime | None = None, until: datetime | None = None,
            types: Sequence[str] = ()) -> SolvabilityResult:
        """The study's figures for ``actor`` (needs VIEW_REPORTS)."""
        require_audited(self._db, actor, Action.VIEW_REPORTS, "report:solvability")
        return solvability(self.case_records(since=since, until=until, types=types))
