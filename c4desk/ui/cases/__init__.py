"""UI feature: cases (list, detail, timeline), clip and still tagging, video-search log, evidence export."""

from c4desk.ui.cases.case_detail import CaseDetail
from c4desk.ui.cases.case_panel import CasePanel
from c4desk.ui.cases.case_timeline import CaseTimeline
from c4desk.ui.cases.clip_dialog import ClipDialog
from c4desk.ui.cases.common import EvidenceContext
from c4desk.ui.cases.export_dialog import ExportDialog
from c4desk.ui.cases.link_dialog import LinkDialog
from c4desk.ui.cases.new_case_dialog import NewCaseDialog
from c4desk.ui.cases.still_dialog import StillDialog
from c4desk.ui.cases.task_dialog import TaskDialog

__all__ = ["CaseDetail", "CasePanel", "CaseTimeline", "ClipDialog", "EvidenceContext", "ExportDialog", "LinkDialog",
           "NewCaseDialog", "StillDialog", "TaskDialog"]
