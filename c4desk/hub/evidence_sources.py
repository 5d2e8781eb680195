"""What an evidence export reads, wired from the workstation's Services: one place for the CLI and the UI.

``c4desk.evidence.export`` only knows protocols (it must not depend on the recorder's cutter or on where stills
live); this module joins it to the real things: the case and clip repositories, the recorder's segment index,
the stills under the data directory's ``media/snapshots`` and the stream-copy cutter of ``c4desk.media.clip_cut``.
"""

from __future__ import annotations

from pathlib import Path

from c4desk.evidence.export import ExportSources
from c4desk.hub.services import Services
from c4desk.store.snapshots import SnapshotRepository


def export_sources(services: Services, stills_dir: Path | None) -> ExportSources:
    """The sources of ``export_case`` for these services; ``stills_dir`` None means the export has no stills.

    ``stills_dir`` is ``Paths.media_dir / "snapshots"`` for a data directory (the wall's snapshots go there).
    """
    # PyAV loads FFmpeg: import the cutter only when an export is actually set up, not when the CLI or UI starts.
    from c4desk.media.clip_cut import CutCancelled, CutError, cut_clip

    stills = SnapshotRepository(services.db, stills_dir) if stills_dir is not None else None
    return ExportSources(cases=services.cases, clips=services.clips, cameras=services.cameras,
                         recordings=services.recordings, stills=stills, cutter=cut_clip, cut_errors=(CutError,),
                         cancelled_errors=(CutCancelled,))
