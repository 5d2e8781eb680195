"""UI feature: supervisor review of tagged clips, and the analyst's own clips with their outcome."""

from c4desk.ui.review.clip_preview import ClipPreview
from c4desk.ui.review.my_clips import MyClips
from c4desk.ui.review.review_panel import ReviewPanel
from c4desk.ui.review.review_queue import ReviewQueue

__all__ = ["ClipPreview", "MyClips", "ReviewPanel", "ReviewQueue"]
