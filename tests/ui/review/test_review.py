"""Supervisor review on real services and real recordings: the queue with a preview decoded from the recorded
segments, approve one clip, reject one (a comment is required), the analyst reading the outcomes in "My clips";
an analyst cannot approve (disabled, and the service refuses), nor can a supervisor review their own clip."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import PermissionDenied
from c4desk.store.clips import Clip, SelfReviewRefused
from c4desk.ui.cases.tables import select_keys, selected_clips
from c4desk.ui.review import MyClips, ReviewPanel, ReviewQueue
from tests.ui.cases.world import ANALYST, SUPERVISOR, World, at, shoot

NUMBER = "26-0412"


def submitted(world: World) -> tuple[Clip, Clip]:
    """Two clips the analyst tagged on the case and submitted (as the case view does)."""
    clips = world.services.clips
    world.services.cases.create(ANALYST, NUMBER, "shooting", title="Shots fired, Main St & Pearl St")
    first = clips.tag(ANALYST, "cam01", at(1), at(5.5), ["vehicle", "getaway"], "Grey sedan leaves north",
                      case=NUMBER)
    second = clips.tag(ANALYST, "cam02", at(2), at(6), ["witness"], case=NUMBER)
    return clips.submit(ANALYST, first.id), clips.submit(ANALYST, second.id)


def queue(qtbot: QtBot, world: World, actor: object = SUPERVISOR) -> ReviewQueue:
    widget = ReviewQueue(world.services, actor)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.resize(1300, 560)
    widget.show()
    widget.reload()
    return widget


def test_supervisor_approves_one_and_rejects_one(qtbot: QtBot, world: World, dark: None) -> None:
    first, second = submitted(world)
    widget = queue(qtbot, world)
    qtbot.waitUntil(lambda: widget.table.records.rowCount() == 2, timeout=5000)
    assert widget.status.text() == "2 clip(s) waiting for review"
    assert widget.selected() == first  # the longest waiting, selected
    assert "Grey sedan leaves north" in widget.details.text() and "2 recorded segment(s) held" in \
        widget.details.text()
    # The preview decodes the recording itself: the in point's frame appears, then playing moves on.
    qtbot.waitUntil(lambda: widget.preview.frames_shown >= 1, timeout=8000)
    assert widget.preview.picture.pixmap().width() > 100
    widget.preview.play()
    qtbot.waitUntil(lambda: widget.preview.frames_shown >= 10, timeout=8000)
    assert "s of 4.5 s" in widget.preview.caption.text()
    shoot(widget, "review-queue")
    assert widget.approve_button.isEnabled() and widget.reject_button.isEnabled()

    with qtbot.waitSignal(widget.reviewed, timeout=5000) as verdict:
        widget.approve_button.click()
    assert verdict.args[0].status == "approved"
    qtbot.waitUntil(lambda: widget.table.records.rowCount() == 1, timeout=5000)
    assert widget.selected() == second
    assert widget.status.text() == "Clip 1 approved. 1 clip(s) waiting for review"

    widget.reject_button.click()  # no comment: refused by the service, the field named
    qtbot.waitUntil(lambda: widget.status.is_error, timeout=5000)
    assert widget.status.text() == "comment: say why the clip is rejected"
    assert "border" in widget.comment.styleSheet()
    assert world.services.clips.get(second.id).status == "pending"  # type: ignore[union-attr]
    widget.comment.setPlainText("Wrong camera: the sedan is not in frame; tag cam01 from 21:03:10")
    with qtbot.waitSignal(widget.reviewed, timeout=5000):
        widget.reject_button.click()
    qtbot.waitUntil(lambda: widget.table.records.rowCount() == 0, timeout=5000)
    assert widget.status.text() == "Clip 2 rejected. Nothing waits for review"
    assert widget.preview.clip is None and not widget.approve_button.isEnabled()

    stored = {c.id: c for c in world.services.clips.clips_for_case(NUMBER)}
    assert (stored[first.id].status, stored[first.id].reviewed_by) == ("approved", "sam")
    assert (stored[second.id].status, stored[second.id].review_comment) == (
        "rejected", "Wrong camera: the sedan is not in frame; tag cam01 from 21:03:10")
    widget.close()
    assert widget.preview.player is None  # hidden: the decoder thread is stopped


def test_the_analyst_sees_the_outcomes(qtbot: QtBot, world: World, dark: None) -> None:
    first, second = submitted(world)
    clips = world.services.clips
    clips.review(SUPERVISOR, first.id, approve=True, comment="Plate readable at 21:03:12")
    clips.review(SUPERVISOR, second.id, approve=False, comment="Wrong camera")
    draft = clips.tag(ANALYST, "cam01", at(8), at(10), ["person"], case=NUMBER)
    widget = MyClips(world.services, ANALYST)
    qtbot.addWidget(widget)
    widget.resize(1100, 420)
    widget.show()
    widget.reload()
    qtbot.waitUntil(lambda: widget.table.records.rowCount() == 3, timeout=5000)
    assert widget.status.text() == "3 clip(s): 1 draft, 1 approved, 1 rejected"
    row = widget.table.records.row_of(second.id)
    assert row is not None
    widget.table.selectRow(row)
    assert "rejected</b></span> by sam" in widget.outcome.text() and "Wrong camera" in widget.outcome.text()
    assert widget.submit_button.isEnabled()  # a rejected clip may go again
    shoot(widget, "my-clips")
    row = widget.table.records.row_of(first.id)
    assert row is not None
    widget.table.selectRow(row)
    assert "approved" in widget.outcome.text() and "Plate readable" in widget.outcome.text()
    assert not widget.submit_button.isEnabled() and not widget.discard_button.isEnabled()  # final
    widget.status_filter.setCurrentIndex(widget.status_filter.findData("draft"))
    qtbot.waitUntil(lambda: widget.table.records.rowCount() == 1, timeout=5000)
    widget.table.selectRow(0)
    widget.submit_button.click()
    qtbot.waitUntil(lambda: clips.get(draft.id).status == "pending", timeout=5000)  # type: ignore[union-attr]


def test_an_analyst_cannot_approve(qtbot: QtBot, world: World) -> None:
    first, _second = submitted(world)
    widget = queue(qtbot, world, ANALYST)
    assert widget.status.is_error and widget.status.text() == "Your role (analyst) may not review clips"
    assert widget.table.records.rowCount() == 0
    assert not widget.approve_button.isEnabled() and not widget.reject_button.isEnabled()
    assert widget.approve_button.toolTip() == "Your role (analyst) may not review clips"
    # Hiding the button is a convenience: the service refuses and audits the attempt.
    with pytest.raises(PermissionDenied):
        world.services.clips.review(ANALYST, first.id, approve=True)
    with pytest.raises(PermissionDenied):
        world.services.clips.review_queue(ANALYST)
    denied = world.services.audit.query(SUPERVISOR, username="ana", event_type=AuditType.PERMISSION_DENIED)
    assert len(denied) == 2
    assert world.services.clips.get(first.id).status == "pending"  # type: ignore[union-attr]


def test_a_supervisor_cannot_review_their_own_clip(qtbot: QtBot, world: World) -> None:
    world.services.cases.create(ANALYST, NUMBER, "shooting")
    own = world.services.clips.tag(SUPERVISOR, "cam01", at(1), at(3), case=NUMBER)
    world.services.clips.submit(SUPERVISOR, own.id)
    widget = queue(qtbot, world)
    qtbot.waitUntil(lambda: widget.table.records.rowCount() == 1, timeout=5000)
    assert not widget.approve_button.isEnabled()
    assert widget.approve_button.toolTip() == "You tagged this clip: another supervisor must review it"
    with pytest.raises(SelfReviewRefused):
        world.services.clips.review(SUPERVISOR, own.id, approve=True)


def test_the_review_panel_follows_the_role(qtbot: QtBot, world: World) -> None:
    submitted(world)
    actor = {"now": ANALYST}
    panel = ReviewPanel(world.services, lambda: actor["now"])
    qtbot.addWidget(panel)
    panel.show()
    assert [panel.tabText(i) for i in range(panel.count())] == ["My clips"]
    actor["now"] = SUPERVISOR  # the window's login handed it another user
    panel.hide()
    panel.show()
    assert [panel.tabText(i) for i in range(panel.count())] == ["Review queue", "My clips"]
    qtbot.waitUntil(lambda: panel.queue.table.records.rowCount() == 2, timeout=5000)


def test_my_clips_keeps_what_was_selected_across_a_reload(qtbot: QtBot, world: World) -> None:
    first, second = submitted(world)
    draft = world.services.clips.tag(ANALYST, "cam01", at(8), at(10), ["person"], case=NUMBER)
    widget = MyClips(world.services, ANALYST)
    qtbot.addWidget(widget)
    widget.show()
    widget.reload()
    qtbot.waitUntil(lambda: widget.table.records.rowCount() == 3, timeout=5000)
    assert select_keys(widget.table, [first.id, draft.id])
    assert "Clip 1" in widget.outcome.text() and "Clip 3" in widget.outcome.text()
    world.services.clips.review(SUPERVISOR, first.id, approve=True)
    widget.reload()  # as a bus event would: the verdict shows, both clips stay selected
    qtbot.waitUntil(lambda: "approved" in widget.outcome.text(), timeout=5000)
    assert sorted(c.id for c in selected_clips(widget.table)) == [first.id, draft.id]
    assert second.id not in {c.id for c in selected_clips(widget.table)}
