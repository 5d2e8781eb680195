"""The database schema as SQLAlchemy models. Row classes end in ``Row`` so they never shadow domain types.

Changing anything here needs a new Alembic revision (tests compare the migrated schema with these models).
"""

from c4desk.store.models.alerts import AlertHistoryRow, AlertRow
from c4desk.store.models.base import Base, UTCDateTime, utcnow
from c4desk.store.models.cameras import CameraRow, RadarReadingRow, RadarSiteRow
from c4desk.store.models.cases import (
    CaseLinkRow,
    CaseRow,
    ClipRow,
    EvidenceExportRow,
    HopStepRow,
    HopTrailRow,
    IntelNoteRow,
    VideoSearchTaskRow,
)
from c4desk.store.models.people import AuditEventRow, SavedViewRow, UserRow
from c4desk.store.models.plates import HotlistEntryRow, HotlistRow, PlateReadRow
from c4desk.store.models.recordings import BookmarkRow, EvidenceHoldRow, RecordingGapRow, RecordingSegmentRow
from c4desk.store.models.views import SnapshotRow

metadata = Base.metadata

__all__ = [
    "AlertHistoryRow", "AlertRow", "AuditEventRow", "Base", "BookmarkRow", "CameraRow", "CaseLinkRow", "CaseRow",
    "ClipRow", "EvidenceExportRow", "EvidenceHoldRow", "HopStepRow", "HopTrailRow", "HotlistEntryRow", "HotlistRow",
    "IntelNoteRow", "PlateReadRow", "RadarReadingRow", "RadarSiteRow", "RecordingGapRow", "RecordingSegmentRow",
    "SavedViewRow", "SnapshotRow", "UTCDateTime", "UserRow", "VideoSearchTaskRow", "metadata", "utcnow",
]
