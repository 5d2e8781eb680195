"""Tag a clip: a span of one camera's recording, with tags, a note and (usually) the case it belongs to.

The wall opens it with the tile's camera and the marked in/out points; Enter tags at once ("one click tags the
moment"), everything else is optional. Tagging is one transaction in the service (the clip, the evidence hold
on its segments, the audit record); the dialog tells beforehand whether the span is recorded at all, since a
span with no recording cannot be tagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Action
from c4desk.hub.services import Services
from c4desk.store.cases import Case, CaseFilter
from c4desk.store.clips import Clip
from c4desk.ui import theme
from c4desk.ui.cases.common import (
    ActorSource,
    StatusLine,
    actor_of,
    describe_error,
    duration_text,
    from_qdatetime,
    guard,
    run_for,
    show_refusal,
    to_qdatetime,
)
from c4desk.ui.timefmt import local_time

QUICK_TAGS = ("vehicle", "person", "plate", "weapon", "getaway", "witness")
NO_CASE = ""


def parse_tags(text: str) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))


class _SubmitFailed(Exception):
    """The clip was tagged but submitting it was refused: it exists as a draft."""

    def __init__(self, clip: Clip, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.clip = clip
        self.cause = cause


class ClipDialog(QDialog):
    """``tagged(Clip)`` once the clip is stored; ``clip`` holds it (submitted when "Submit for review" is on).

    ``case``: the case number to attach to (e.g. the case open in the Cases panel); ``cameras``/``cases``:
    choices already known to the caller (else loaded in the background).
    """

    tagged = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, camera_id: str, start: datetime, end: datetime,
                 parent: QWidget | None = None, *, case: str | None = None, tags: Sequence[str] = (),
                 note: str = "", cameras: Sequence[Camera] | None = None, cases: Sequence[Case] | None = None,
                 submit: bool = False) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._wanted_case = case or NO_CASE
        self.clip: Clip | None = None
        self.setWindowTitle("Tag clip")
        self.camera = QComboBox()
        if camera_id:
            self.camera.addItem(camera_id, camera_id)
        self.start = QDateTimeEdit(to_qdatetime(start))
        self.end = QDateTimeEdit(to_qdatetime(end))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss.zzz")
        self.length = QLabel()
        self.coverage = QLabel("Checking the recording ...")
        self.tags = QLineEdit(", ".join(tags))
        self.tags.setPlaceholderText("vehicle, getaway (comma separated)")
        self.quick = {tag: QPushButton(tag) for tag in QUICK_TAGS}
        for tag, button in self.quick.items():
            button.setCheckable(True)
            button.setChecked(tag in tags)
            button.setToolTip(f"Add or remove the tag '{tag}'")
            button.toggled.connect(lambda on, t=tag: self._toggle_tag(t, on))
        self.note = QPlainTextEdit(note)
        self.note.setPlaceholderText("What the clip shows")
        self.note.setMinimumHeight(60)  # takes the dialog's spare height, so the rows above stay together
        self.case = QComboBox()
        self.case.addItem("No case", NO_CASE)
        if case:
            self.case.addItem(case, case)
            self.case.setCurrentIndex(1)
        self.submit = QCheckBox("Submit for review now")
        self.submit.setChecked(submit)
        self.status = StatusLine()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Tag clip")
        guard(self.save_button, actor, Action.TAG_CLIPS, "Store the clip and hold its recording (Enter)")
        self._fields: dict[str, QWidget] = {"camera_id": self.camera, "start": self.start, "end": self.end,
                                            "tags": self.tags, "note": self.note, "case": self.case}
        self._coverage_timer = QTimer(self)
        self._coverage_timer.setSingleShot(True)
        self._coverage_timer.setInterval(250)
        self._coverage_generation = 0
        self._layout()
        self._connect_signals()
        self._on_span_changed()
        if cameras is not None:
            self.set_cameras(cameras)
        else:
            run_for(self, services.cameras.list, self.set_cameras, lambda exc: None)
        if cases is not None:
            self.set_cases(cases)
        else:
            run_for(self, lambda: services.cases.list(CaseFilter(status="open")), self.set_cases,
                              lambda exc: None)

    def _layout(self) -> None:
        span = QHBoxLayout()
        span.addWidget(self.start)
        span.addWidget(QLabel("to"))
        span.addWidget(self.end)
        span.addWidget(self.length)
        quick = QHBoxLayout()
        for button in self.quick.values():
            quick.addWidget(button)
        quick.addStretch(1)
        form = QFormLayout()
        form.addRow("Camera", self.camera)
        form.addRow("In / out", span)
        form.addRow("", self.coverage)
        form.addRow("Tags", self.tags)
        form.addRow("", quick)
        form.addRow("Note", self.note)
        form.addRow("Case", self.case)
        form.addRow("", self.submit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(640, 420)
        self.save_button.setFocus()

    def _connect_signals(self) -> None:
        self.start.dateTimeChanged.connect(self._on_span_changed)
        self.end.dateTimeChanged.connect(self._on_span_changed)
        self.camera.currentIndexChanged.connect(self._on_span_changed)
        self.tags.textChanged.connect(self._sync_quick_tags)
        self._coverage_timer.timeout.connect(self.check_coverage)
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        # Enter in a line field presses the default button; Ctrl+Enter tags from anywhere (the note included).
        QShortcut(QKeySequence("Ctrl+Return"), self, self._save_if_enabled)

    # -- choices ---------------------------------------------------------------------------------------
    def set_cameras(self, cameras: Sequence[Camera]) -> None:
        current = self.camera.currentData()
        self.camera.blockSignals(True)
        self.camera.clear()
        for camera in cameras:
            self.camera.addItem(f"{camera.id}  {camera.name}", camera.id)
        index = self.camera.findData(current) if current else 0
        if index < 0:  # a camera the list does not know (removed meanwhile): keep it; the service decides
            self.camera.insertItem(0, current, current)
            index = 0
        self.camera.setCurrentIndex(index)
        self.camera.blockSignals(False)
        if self.camera.currentData() != current:
            self._on_span_changed()

    def set_cases(self, cases: Sequence[Case]) -> None:
        wanted = self.case.currentData()
        self.case.clear()
        self.case.addItem("No case", NO_CASE)
        for case in cases:
            self.case.addItem(f"{case.number}  {case.title}".strip(), case.number)
        index = self.case.findData(wanted)
        if index < 0 and wanted:
            self.case.addItem(wanted, wanted)
            index = self.case.count() - 1
        self.case.setCurrentIndex(max(0, index))

    def _sync_quick_tags(self, text: str) -> None:
        """Typed tags light their quick buttons (without toggling them back into the text)."""
        tags = parse_tags(text)
        for tag, button in self.quick.items():
            button.blockSignals(True)
            button.setChecked(tag in tags)
            button.blockSignals(False)

    def _toggle_tag(self, tag: str, on: bool) -> None:
        tags = parse_tags(self.tags.text())
        if on and tag not in tags:
            tags.append(tag)
        elif not on and tag in tags:
            tags.remove(tag)
        self.tags.setText(", ".join(tags))

    # -- the span and its recording -----------------------------------------------------------------------
    def span(self) -> tuple[datetime, datetime]:
        return from_qdatetime(self.start.dateTime()), from_qdatetime(self.end.dateTime())

    def _on_span_changed(self) -> None:
        start, end = self.span()
        seconds = (end - start).total_seconds()
        self.length.setText(duration_text(seconds) if seconds > 0 else "out is not after in")
        self.length.setStyleSheet(f"color: {theme.MUTED if seconds > 0 else theme.BAD};")
        self._coverage_timer.start()

    def check_coverage(self) -> None:
        """Say (in the background) how much of the span is recorded; a span with none cannot be tagged."""
        camera_id, (start, end) = str(self.camera.currentData() or ""), self.span()
        self._coverage_generation += 1
        generation = self._coverage_generation
        if end <= start or not camera_id:
            self.coverage.setText("")
            return
        recordings = self._services.recordings

        def work() -> tuple[int, datetime | None, datetime | None]:
            segments = recordings.segments(camera_id, start, end)
            if not segments:
                return 0, None, None
            return len(segments), max(start, segments[0].start_at), min(end, segments[-1].end_at)

        def show(result: tuple[int, datetime | None, datetime | None]) -> None:
            if generation != self._coverage_generation:
                return
            count, first, last = result
            if count == 0:
                self.coverage.setText(f"<span style='color:{theme.BAD}'>Nothing of {camera_id} is recorded in "
                                      "this span: it cannot be tagged</span>")
            else:
                self.coverage.setText(f"<span style='color:{theme.OK}'>Recorded</span> "
                                      f"{local_time(first)} - {local_time(last)} in {count} segment(s); "
                                      "they will be kept as evidence")

        def failed(exc: BaseException) -> None:
            if generation == self._coverage_generation:
                self.coverage.setText(describe_error(exc))

        run_for(self, work, show, failed)

    # -- storing -----------------------------------------------------------------------------------------
    def on_save(self) -> None:
        clips, actor = self._services.clips, actor_of(self._actor)
        camera_id, (start, end) = str(self.camera.currentData() or ""), self.span()
        tags, note = parse_tags(self.tags.text()), self.note.toPlainText()
        case = str(self.case.currentData() or "") or None
        submit = self.submit.isChecked()

        def work() -> Clip:
            clip = clips.tag(actor, camera_id, start, end, tags, note, case=case)
            if not submit:
                return clip
            try:
                return clips.submit(actor, clip.id)
            except Exception as exc:
                raise _SubmitFailed(clip, exc) from exc

        self.save_button.setEnabled(False)
        self.status.info("Tagging ...")
        run_for(self, work, self._on_tagged, self._on_failed)

    def _on_tagged(self, clip: Clip) -> None:
        self.clip = clip
        self.tagged.emit(clip)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, _SubmitFailed):
            self.clip = exc.clip
            self.tagged.emit(exc.clip)
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
            self.status.error(f"Clip {exc.clip.id} is tagged (draft) but was not submitted: "
                              f"{describe_error(exc.cause)}")
            return
        guard(self.save_button, self._actor, Action.TAG_CLIPS, "Store the clip and hold its recording (Enter)")
        show_refusal(exc, self._fields, self.status)

    def _save_if_enabled(self) -> None:
        if self.save_button.isEnabled():
            self.on_save()
