"""The alert queue: what needs an analyst now, worked from the keyboard.

The table is in queue order (open first, priority, newest detection); the selected alert's details, activity
log and comment box sit under it. Keys (while the queue has focus): J/Down next, K/Up previous, A acknowledge,
S start, X close (asks a reason), R reopen (asks a reason), M assign to me, Shift+M assign to someone, C comment,
Enter open (``open_requested``), F5 reload. Every read and write goes through ``run_in_background``; a refusal
("cannot close: already closed") is shown on the line under the toolbar, never raised. Steps are made as the
logged-in ``Actor``; the store checks its role (WORK_ALERTS) and audits a refusal.

A new priority-1 alert arriving through ``upsert`` flashes its row, plays the alert sound and emits
``attention(alert_id)`` so the window can draw the eye to the dock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from c4desk.domain.alerts import Alert, AlertHistoryEntry, AlertStatus
from c4desk.domain.permissions import Actor
from c4desk.hub.services import Services
from c4desk.store.alerts import AlertRepository, AlertWorkflowError
from c4desk.ui import theme
from c4desk.ui.alerts import text
from c4desk.ui.alerts.badge import PriorityDelegate
from c4desk.ui.alerts.details import AlertDetails
from c4desk.ui.alerts.dialogs import CLOSE_REASONS, REOPEN_REASONS, AssignDialog, ReasonDialog
from c4desk.ui.alerts.queue_model import (
    COL_ASSIGNED,
    COL_DETECTED,
    COL_PRIORITY,
    COL_ROUNDS,
    COL_STATUS,
    COL_TYPE,
    COL_WHERE,
    HEADERS,
    AlertQueueModel,
)
from c4desk.ui.alerts.sound import AlertSound, default_alert_sound
from c4desk.ui.background import run_in_background

log = logging.getLogger(__name__)

QUEUE_LIMIT = 300
MESSAGE_MS = 10_000
MESSAGE_CHARS = 200
COLUMN_WIDTHS = {COL_PRIORITY: 38, COL_DETECTED: 172, COL_TYPE: 132, COL_ROUNDS: 56, COL_STATUS: 106,
                 COL_ASSIGNED: 80}
Write = Callable[[AlertRepository, str], Alert]


def _guarded(owner: QWidget, fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """``fn`` unless ``owner`` was deleted while the background task ran (a closed dock, the end of a test)."""

    def call(value: Any) -> None:
        if isValid(owner):
            fn(value)

    return call


class AlertQueue(QWidget):
    alert_selected = Signal(str)
    open_requested = Signal(str)
    attention = Signal(str)

    def __init__(self, services: Services, actor: Actor, *, sound: AlertSound | None = None,
                 now: Callable[[], datetime] | None = None, limit: int = QUEUE_LIMIT,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._repo = services.alerts
        self.actor = actor
        self.user = actor.username  # "assign to me" gives the alert to this name
        self._limit = limit
        self._now = now or (lambda: datetime.now(UTC))
        self._history_token = 0
        self._selected_once = False
        self.sound = sound if sound is not None else default_alert_sound(self)
        self.reason_dialog: ReasonDialog | None = None
        self.assign_dialog: AssignDialog | None = None

        self.records = AlertQueueModel(self._now, limit)
        self.table = QTableView()
        self._setup_table()
        self.details = AlertDetails()
        self.toolbar = QToolBar()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(MESSAGE_MS)
        self._build_actions()

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        # Scrollable, so the queue fits a short dock (a laptop, or a map taking most of the column).
        details_scroll = QScrollArea()
        details_scroll.setWidget(self.details)
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        splitter.addWidget(details_scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self._connect_signals()
        self.reload()

    # --- construction ---------------------------------------------------------------------------------------
    def _setup_table(self) -> None:
        t = self.table
        t.setModel(self.records)
        t.setItemDelegateForColumn(COL_PRIORITY, PriorityDelegate(t))
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setAlternatingRowColors(True)
        t.setWordWrap(False)
        t.verticalHeader().hide()
        t.verticalHeader().setDefaultSectionSize(24)
        header = t.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_WHERE, QHeaderView.ResizeMode.Stretch)  # the address takes what is left
        header.setMinimumSectionSize(30)
        header.setHighlightSections(False)
        for col, width in COLUMN_WIDTHS.items():
            t.setColumnWidth(col, width)
        t.setMinimumHeight(120)

    def _action(self, label: str, keys: str | tuple[str, ...], slot: Callable[[], None], *,
                on: QWidget | None = None, toolbar: bool = True) -> QAction:
        keys = (keys,) if isinstance(keys, str) else keys
        action = QAction(label, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setToolTip(f"{label.rstrip('.…')} ({keys[0]})")
        # Single letters act only while the queue has the keyboard; typing elsewhere is never a command.
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if on is not None
                                  else Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        (on or self).addAction(action)
        if toolbar:
            self.toolbar.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.act_open = self._action("Open", ("Return", "Enter"), self.open_current, on=self.table)
        self.toolbar.addSeparator()
        self.act_acknowledge = self._action("Acknowledge", "A", self.acknowledge)
        self.act_start = self._action("Start", "S", self.start)
        self.act_close = self._action("Close…", "X", self.ask_close)
        self.act_reopen = self._action("Reopen…", "R", self.ask_reopen)
        self.toolbar.addSeparator()
        self.act_take = self._action("Assign to me", "M", self.assign_to_me)
        self.act_assign = self._action("Assign to…", "Shift+M", self.ask_assign)
        self.act_comment = self._action("Comment", "C", self.focus_comment)
        self.toolbar.addSeparator()
        self.act_reload = self._action("Refresh", "F5", self.reload)
        self.act_next = self._action("Next", "J", lambda: self.move_selection(1), toolbar=False)
        self.act_previous = self._action("Previous", "K", lambda: self.move_selection(-1), toolbar=False)

    def _connect_signals(self) -> None:
        self.records.urgent.connect(self.on_urgent)
        self.records.dataChanged.connect(self.on_rows_changed)
        self.records.modelReset.connect(self.on_model_reset)
        self.table.selectionModel().selectionChanged.connect(self.on_selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.open_current())
        self.details.comment_submitted.connect(self.add_comment)
        self.details.comment_edit.escaped.connect(self.table.setFocus)
        self._message_timer.timeout.connect(self.message.hide)

    # --- public API ---------------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the queue from the store (off the GUI thread); the selection is kept."""
        repo, limit = self._repo, self._limit
        self.records.begin_reload()
        run_in_background(lambda: repo.queue(limit), _guarded(self, self.on_loaded),
                          _guarded(self, lambda exc: self.show_error(f"cannot load the alert queue: {exc}")))

    def upsert(self, alert: Alert) -> None:
        """An alert from the bus (AlertRaised or AlertChanged): into its place, the details refreshed."""
        self.records.upsert(alert)

    def select_alert(self, alert_id: str) -> None:
        row = self.records.row_of(alert_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.records.index(row, 0))

    def current_alert(self) -> Alert | None:
        rows = self.table.selectionModel().selectedRows()
        return self.records.record(rows[0].row()) if rows else None

    def alert(self, alert_id: str) -> Alert | None:
        return self.records.alert(alert_id)

    def move_selection(self, step: int) -> None:
        count = self.records.rowCount()
        if not count:
            return
        current = self.table.selectionModel().selectedRows()
        row = current[0].row() + step if current else 0
        self.select_alert(self.records.record(max(0, min(count - 1, row))).id)

    def open_current(self) -> None:
        alert = self.current_alert()
        if alert is not None:
            self.open_requested.emit(alert.id)

    def acknowledge(self) -> None:
        actor = self.actor
        self._write("acknowledge", lambda repo, i: repo.acknowledge(i, actor=actor))

    def start(self) -> None:
        actor = self.actor
        self._write("start", lambda repo, i: repo.start(i, actor=actor))

    def close_with_reason(self, reason: str, alert_id: str | None = None) -> None:
        """Close the alert (the selected one by default); a blank reason is refused by the store."""
        actor = self.actor
        self._write("close", lambda repo, i: repo.close(i, actor=actor, reason=reason), alert_id, then_next=True)

    def reopen_with_reason(self, reason: str, alert_id: str | None = None) -> None:
        actor = self.actor
        self._write("reopen", lambda repo, i: repo.reopen(i, actor=actor, reason=reason), alert_id)

    def assign_to(self, to: str | None, alert_id: str | None = None) -> None:
        actor = self.actor
        self._write("assign", lambda repo, i: repo.assign(i, to, actor=actor), alert_id)

    def assign_to_me(self) -> None:
        self.assign_to(self.user)

    def add_comment(self, body: str) -> None:
        actor = self.actor
        self._write("comment", lambda repo, i: repo.comment(i, body, actor=actor), after=self._on_commented)

    def focus_comment(self) -> None:
        if self.current_alert() is None:
            self.show_error("select an alert first")
            return
        self.details.comment_edit.setFocus()

    def ask_close(self) -> None:
        alert = self.current_alert()
        if alert is None:
            self.show_error("select an alert first")
        elif alert.status is AlertStatus.CLOSED:
            self.show_error("cannot close: already closed")
        else:
            alert_id = alert.id
            dialog = self._reason_dialog("Close alert", f"Why close {alert_id}?", CLOSE_REASONS)
            dialog.accepted.connect(lambda: self.close_with_reason(dialog.reason(), alert_id))
            dialog.open()

    def ask_reopen(self) -> None:
        alert = self.current_alert()
        if alert is None:
            self.show_error("select an alert first")
        elif alert.status is not AlertStatus.CLOSED:
            self.show_error(f"cannot reopen: it is not closed ({text.status_label(alert.status).lower()})")
        else:
            alert_id = alert.id
            dialog = self._reason_dialog("Reopen alert", f"Why reopen {alert_id}?", REOPEN_REASONS)
            dialog.accepted.connect(lambda: self.reopen_with_reason(dialog.reason(), alert_id))
            dialog.open()

    def ask_assign(self) -> None:
        alert = self.current_alert()
        if alert is None:
            self.show_error("select an alert first")
            return
        users = {a.assigned_to for a in self.records.alerts() if a.assigned_to} | {self.user}
        alert_id = alert.id
        dialog = AssignDialog(sorted(users), alert.assigned_to, self)
        self.assign_dialog = dialog
        dialog.accepted.connect(lambda: self.assign_to(dialog.user(), alert_id))
        dialog.finished.connect(lambda _result: self._dialog_done("assign_dialog", dialog))
        dialog.open()

    def show_error(self, message: str) -> None:
        self._show_message(message, theme.BAD)

    def show_notice(self, message: str) -> None:
        self._show_message(message, theme.MUTED)

    # --- slots ----------------------------------------------------------------------------------------------------
    def on_loaded(self, alerts: list[Alert]) -> None:
        current = self.current_alert()
        self.records.finish_reload(alerts)
        if current is not None:
            self.select_alert(current.id)
        elif not self._selected_once and self.records.rowCount():
            self.table.selectRow(0)

    def on_model_reset(self) -> None:
        self.details.show_alert(None)

    def on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        alert = self.current_alert()
        self.details.show_alert(alert)
        if alert is not None:
            self._selected_once = True
            self.alert_selected.emit(alert.id)
            self._load_history(alert.id)

    def on_rows_changed(self, top: QModelIndex | QPersistentModelIndex, bottom: QModelIndex | QPersistentModelIndex,
                        roles: list[int] | None = None) -> None:
        if roles or top.column() != 0 or bottom.column() != len(HEADERS) - 1:
            return  # an age tick or a flash, not a change of the alert
        rows = self.table.selectionModel().selectedRows()
        if rows and top.row() <= rows[0].row() <= bottom.row():
            alert = self.records.record(rows[0].row())
            self.details.show_alert(alert)
            self._load_history(alert.id)

    def on_urgent(self, alert_id: str) -> None:
        # The new alert becomes the selected one (so Enter / Ctrl+Enter act on it) unless the analyst is working
        # another open alert; a closed one (history, last night's) never keeps the keys from the new alert.
        current = self.current_alert()
        if current is None or current.status is AlertStatus.CLOSED:
            self.select_alert(alert_id)
        self.records.flash(alert_id)
        try:
            self.sound.play()
        except Exception:  # a sound must never stop the alert being shown
            log.exception("alert sound failed")
        self.attention.emit(alert_id)

    # --- internals --------------------------------------------------------------------------------------------------
    def _reason_dialog(self, title: str, prompt: str, reasons: tuple[str, ...]) -> ReasonDialog:
        dialog = ReasonDialog(title, prompt, reasons, self)
        dialog.finished.connect(lambda _result: self._dialog_done("reason_dialog", dialog))
        self.reason_dialog = dialog
        return dialog

    def _dialog_done(self, attribute: str, dialog: QDialog) -> None:
        if getattr(self, attribute) is dialog:
            setattr(self, attribute, None)
        dialog.deleteLater()
        # Back to the queue, so the next key is a command again (some platforms leave the dialog active).
        self.window().activateWindow()
        self.table.setFocus()

    def _write(self, step: str, call: Write, alert_id: str | None = None, *, then_next: bool = False,
               after: Callable[[Alert], None] | None = None) -> None:
        if alert_id is None:
            alert = self.current_alert()
            if alert is None:
                self.show_error("select an alert first")
                return
            alert_id = alert.id
        target, repo = alert_id, self._repo
        row = self.records.row_of(target)

        def done(updated: Alert) -> None:
            self.records.upsert(updated)
            self.show_notice(f"{step}: {target} is {text.status_label(updated.status).lower()}"
                             + (f", assigned to {updated.assigned_to}" if updated.assigned_to else ""))
            current = self.current_alert()
            if then_next and row is not None and current is not None and current.id == target:
                self.table.selectRow(min(row, self.records.rowCount() - 1))
            if after is not None:
                after(updated)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, AlertWorkflowError):
                self.records.upsert(exc.alert)  # someone else got there first: show the alert as it now is
            else:
                log.info("alert %s: %s failed: %s", target, step, exc)
            self.show_error(text.explain_failure(step, exc))

        run_in_background(lambda: call(repo, target), _guarded(self, done), _guarded(self, failed))

    def _on_commented(self, _alert: Alert) -> None:
        self.details.comment_edit.clear()
        self.table.setFocus()

    def _load_history(self, alert_id: str) -> None:
        self._history_token += 1
        token, repo = self._history_token, self._repo

        def show(entries: list[AlertHistoryEntry]) -> None:
            if token == self._history_token:
                self.details.show_history(entries, self._now())

        run_in_background(lambda: repo.history(alert_id), _guarded(self, show),
                          _guarded(self, lambda exc: self.show_error(f"cannot load the activity log: {exc}")))

    def _show_message(self, message: str, colour: str) -> None:
        if len(message) > MESSAGE_CHARS:
            message = message[:MESSAGE_CHARS - 1] + "…"
        self.message.setStyleSheet(f"color: {colour}; padding: 2px 6px;")
        self.message.setText(message)
        self.message.show()
        self._message_timer.start()
