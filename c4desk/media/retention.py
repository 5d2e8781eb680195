"""Rolling retention of recorded segments: by age, then by disk budget; evidence holds are never touched.

The store picks the candidates (``RecordingRepository.retention_candidates``); this module removes them. The
row goes first, in a transaction that re-checks the hold, then the file: once the row is gone no hold can be put
on it, so a clip tagged at the very moment retention runs can never lose its video. If the file then cannot be
removed (permissions, I/O error) it is left behind and reported; a file that is already missing is fine.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from c4desk.store.recordings import RecordingRepository, Segment

log = logging.getLogger(__name__)
GB = 1_000_000_000


@dataclass
class RetentionReport:
    dry_run: bool
    deleted: list[Segment] = field(default_factory=list)  # (dry run: would be deleted)
    missing_files: int = 0  # rows whose file was already gone
    kept_rows: int = 0  # candidates a hold or a writer claimed between the choice and the delete
    errors: list[str] = field(default_factory=list)  # files that could not be removed (rows are gone)
    gaps_forgotten: int = 0

    @property
    def bytes_freed(self) -> int:
        return sum(s.bytes for s in self.deleted)


def apply_retention(repo: RecordingRepository, *, retention_days: float, disk_budget_gb: float,
                    now: datetime | None = None, dry_run: bool = False) -> RetentionReport:
    """Delete segments older than ``retention_days``, then the oldest until the total fits ``disk_budget_gb``."""
    now = now or datetime.now(UTC)
    budget = int(disk_budget_gb * GB)
    report = RetentionReport(dry_run=dry_run)
    for segment in repo.retention_candidates(now, retention_days, budget):
        if dry_run:
            report.deleted.append(segment)
            continue
        if not repo.delete_segment(segment.id):
            report.kept_rows += 1
            continue
        report.deleted.append(segment)
        try:
            segment.path.unlink()
        except FileNotFoundError:
            report.missing_files += 1
        except OSError as exc:
            report.errors.append(f"{segment.path}: {exc.strerror or exc}")
            continue
        _remove_empty_dirs(segment.path.parent, repo.root)
    if not dry_run:
        report.gaps_forgotten = repo.delete_gaps_before(now - timedelta(days=retention_days))
    if report.deleted and not dry_run:
        log.info("retention removed %d segment(s), %.1f MB", len(report.deleted), report.bytes_freed / 1e6)
    for error in report.errors:
        log.warning("retention could not remove %s", error)
    return report


def _remove_empty_dirs(directory: Path, root: Path) -> None:
    """Remove the day and camera directories once empty, never the root or anything above it."""
    root = root.resolve()
    current = directory.resolve()
    while current != root and root in current.parents:
        with contextlib.suppress(OSError):  # not empty (or already gone): stop climbing
            current.rmdir()
            current = current.parent
            continue
        break
