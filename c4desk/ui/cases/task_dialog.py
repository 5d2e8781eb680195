"""Log a video search for a case: which cameras, which time window, who asked, what it found, minutes spent.

The centre runs thousands of these a year; the log is how it shows their value (the "video component" of a
case and the analytics' searches per month come from it). A search can be logged while it is running (outcome
"still searching") and its outcome recorded later by opening the dialog on that task.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Action
from c4desk.hub.services import Services
from c4desk.store.cases import VideoSearchTask
from c4desk.ui.cases.common import (
    OUTCOME_LABELS,
    ActorSource,
    StatusLine,
    actor_of,
    from_qdatetime,
    guard,
    run_for,
    show_refusal,
    to_qdatetime,
)

OPEN = ""  # the combo's data for "still searching"


class TaskDialog(QDialog):
    """``saved(VideoSearchTask)`` once stored. With ``task``, only its outcome and minutes can be set."""

    saved = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, case_number: str, parent: QWidget | None = None, *,
                 task: VideoSearchTask | None = None, window: tuple[datetime, datetime] | None = None,
                 cameras: Sequence[Camera] | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._case_number = case_number
        self._task = task
        self.task: VideoSearchTask | None = None
        self.setWindowTitle(f"Video search {task.id}" if task else f"Log a video search - case {case_number}")
        now = datetime.now(UTC).replace(microsecond=0)
        start, end = (task.window_start, task.window_end) if task else (None, None)
        if window is not None:
            start, end = window
        self.cameras = QListWidget()
        self.cameras.setMinimumHeight(110)
        self.camera_filter = QLineEdit()
        self.camera_filter.setPlaceholderText("Filter cameras")
        self.window_start = QDateTimeEdit(to_qdatetime(start or now - timedelta(hours=1)))
        self.window_end = QDateTimeEdit(to_qdatetime(end or now))
        for edit in (self.window_start, self.window_end):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
            edit.setCalendarPopup(True)
        self.requested_by = QLineEdit(task.requested_by if task else "")
        self.requested_by.setPlaceholderText(f"Who asked (default: {actor_of(actor).username})")
        self.description = QPlainTextEdit(task.description if task else "")
        self.description.setPlaceholderText("What was looked for: the vehicle, the person, the direction")
        self.description.setMaximumHeight(80)
        self.outcome = QComboBox()
        self.outcome.addItem("Still searching", OPEN)
        for value, label in OUTCOME_LABELS.items():
            self.outcome.addItem(label, value)
        if task is not None and task.outcome:
            self.outcome.setCurrentIndex(self.outcome.findData(task.outcome))
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 100_000)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(task.minutes_spent or 0 if task else 0)
        self.status = StatusLine()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Record outcome" if task else "Log search")
        self._fields: dict[str, QWidget] = {
            "cameras": self.cameras, "window_start": self.window_start, "window_end": self.window_end,
            "requested_by": self.requested_by, "description": self.description, "outcome": self.outcome,
            "minutes_spent": self.minutes}
        self._layout()
        for fact in self._facts():
            fact.setEnabled(task is None)  # a logged search's facts are the record; its outcome can follow
        self.outcome.currentIndexChanged.connect(self._update)
        self.camera_filter.textChanged.connect(self._filter_cameras)
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)
        self._update()
        if cameras is not None:
            self.set_cameras(cameras)
        else:
            run_for(self, services.cameras.list, self.set_cameras, self.status.failed)

    def _facts(self) -> list[QWidget]:
        return [self.cameras, self.camera_filter, self.window_start, self.window_end, self.requested_by,
                self.description]

    def _layout(self) -> None:
        window = QHBoxLayout()
        window.addWidget(self.window_start)
        window.addWidget(self.window_end)
        result = QHBoxLayout()
        result.addWidget(self.outcome, 1)
        result.addWidget(self.minutes)
        form = QFormLayout()
        form.addRow("Cameras", self.camera_filter)
        form.addRow("", self.cameras)
        form.addRow("Time searched", window)
        form.addRow("Requested by", self.requested_by)
        form.addRow("Looking for", self.description)
        form.addRow("Outcome", result)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, 480)

    def set_cameras(self, cameras: Sequence[Camera]) -> None:
        chosen = set(self._task.camera_ids) if self._task else set()
        self.cameras.clear()
        for camera in cameras:
            item = QListWidgetItem(f"{camera.id}  {camera.name}")
            item.setData(Qt.ItemDataRole.UserRole, camera.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if camera.id in chosen else Qt.CheckState.Unchecked)
            self.cameras.addItem(item)

    def check_cameras(self, camera_ids: Sequence[str]) -> None:
        wanted = set(camera_ids)
        for i in range(self.cameras.count()):
            item = self.cameras.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in wanted:
                item.setCheckState(Qt.CheckState.Checked)

    def chosen_cameras(self) -> list[str]:
        return [str(item.data(Qt.ItemDataRole.UserRole)) for i in range(self.cameras.count())
                if (item := self.cameras.item(i)).checkState() == Qt.CheckState.Checked]

    def _filter_cameras(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.cameras.count()):
            item = self.cameras.item(i)
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def _update(self) -> None:
        self.minutes.setEnabled(self.outcome.currentData() != OPEN)
        guard(self.save_button, self._actor, Action.EDIT_CASES, "Store the search in the case's log",
              enabled=self._task is None or self.outcome.currentData() != OPEN)

    def on_save(self) -> None:
        cases, actor, number, task = self._services.cases, actor_of(self._actor), self._case_number, self._task
        cameras = self.chosen_cameras()
        window = (from_qdatetime(self.window_start.dateTime()), from_qdatetime(self.window_end.dateTime()))
        requested_by, description = self.requested_by.text(), self.description.toPlainText()
        outcome, minutes = str(self.outcome.currentData()), self.minutes.value()

        def work() -> VideoSearchTask:
            if task is not None:
                return cases.complete_task(actor, task.id, outcome, minutes)
            # One transaction: a finished search is logged with its outcome, never left "open" by a refusal.
            return cases.add_task(actor, number, cameras, window, description, requested_by, outcome=outcome,
                                  minutes_spent=minutes if outcome else 0)

        self.save_button.setEnabled(False)
        self.status.info("Saving ...")
        run_for(self, work, self._on_saved, self._on_failed)

    def _on_saved(self, task: VideoSearchTask) -> None:
        self.task = task
        self.saved.emit(task)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self._update()
        show_refusal(exc, self._fields, self.status)
