"""The response to an alert, from the window: its response view, playing it back, opening a plate hit, and what
the auto-slew did.

* A new alert turns the PTZ cameras in range toward it at once (``alerts.auto_slew``); its response view is put on
  the wall (a priority-1 alert with ``alerts.auto_response_view``) or offered on the status bar.
* Opening an alert (Enter or a double click in the queue, Ctrl+Enter) shows its response view: the cameras that can
  see the spot on the wall (``ui.alerts.response`` picks them), the first one selected as a click would, the pin
  selected on the map, PTZs turned to it. A hotlist hit also asks for its plate's history
  (``plate_history_requested``). The alert counts as worked on for the next new case (``SessionWork``).
* Ctrl+Shift+Return plays the selected alert's response cameras back from the alert minus the alert lead.
* A priority-1 alert brings the alert dock to the front and flashes the window (``on_attention``).

The response cameras go on the grid inside ``ViewingAudit.for_alert``, so each one is audited as viewed for the
alert. What happened is said on ``message`` (the window's status bar).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from c4desk.config import AlertSettings
from c4desk.domain.alerts import SOURCE_HOTLIST, Alert
from c4desk.domain.camera import Camera
from c4desk.ui.alerts.alert_queue import AlertQueue
from c4desk.ui.alerts.response import describe_response, response_cameras
from c4desk.ui.cases.session_work import SessionWork
from c4desk.ui.map.map_view import MapView
from c4desk.ui.ptz.auto_slew import AutoSlew
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import WallPlayback
from c4desk.ui.wall.viewing_audit import ViewingAudit

ALERTS_TITLE = "Alerts"
ATTENTION_TITLE = "Alerts - NEW PRIORITY 1"
ATTENTION_MS = 8000  # how long the alert dock's title says so


def hit_plate(alert: Alert | None) -> str:
    """The plate a hotlist hit is about ("" for any other alert, or none)."""
    return str(alert.payload.get("plate") or "") if alert is not None and alert.source == SOURCE_HOTLIST else ""


class AlertResponder(QObject):
    message = Signal(str, int)  # text, milliseconds to show it
    plate_history_requested = Signal(str)  # a hotlist hit was opened: its plate's history, searched now

    def __init__(self, *, queue: AlertQueue, grid: LiveGrid, map_view: MapView, playback: WallPlayback,
                 auto_slew: AutoSlew, viewing: ViewingAudit, session_work: SessionWork,
                 cameras: Callable[[], Sequence[Camera]], settings: AlertSettings, alert_dock: QDockWidget,
                 window: QWidget) -> None:
        """``cameras``: the site's cameras now. ``window``: the top-level window a priority-1 alert flashes (and
        this controller's parent)."""
        super().__init__(window)
        self._queue = queue
        self._grid = grid
        self._map = map_view
        self._playback = playback
        self._slew = auto_slew
        self._viewing = viewing
        self._work = session_work
        self._cameras = cameras
        self._settings = settings
        self._dock = alert_dock
        self._window = window

    # -- alerts arriving ------------------------------------------------------------------------------
    def on_new_alert(self, alert: Alert) -> None:
        """A new alert: PTZs turn toward it at once; its response view is one keypress away (or shown)."""
        cameras = list(self._cameras())
        if self._settings.auto_slew and alert.lat is not None:
            self._slew.slew_for_alert(alert, cameras)
        if self._settings.auto_response_view and alert.priority == 1:
            self.open_alert(alert.id)
        else:
            self.message.emit(f"New alert {alert.type.replace('_', ' ')} at {alert.address or 'map pin'}:"
                              " Ctrl+Enter shows the cameras that can see it", 15_000)

    def on_attention(self, _alert_id: str) -> None:
        """A priority-1 alert: the alert dock in front, its title saying so for a while, the window flashing."""
        self._dock.show()
        self._dock.raise_()
        QApplication.alert(self._window)
        self._dock.setWindowTitle(ATTENTION_TITLE)
        # Bound to the dock, so the timer dies with it (a window closed within 8 s).
        QTimer.singleShot(ATTENTION_MS, self._dock, lambda: self._dock.setWindowTitle(ALERTS_TITLE))

    def focus_queue(self) -> None:
        """F6: the keyboard to the alert queue."""
        self._dock.show()
        self._dock.raise_()
        self._queue.setFocus()

    # -- answering one --------------------------------------------------------------------------------
    def open_alert(self, alert_id: str) -> None:
        """The alert's response view: its cameras on the wall (the best one selected), its pin selected, the PTZs
        in range turned to it, and the cameras named on the status bar."""
        alert = self._queue.alert(alert_id)
        if alert is None:
            return
        cameras = list(self._cameras())
        picks = response_cameras(cameras, alert, count=self._settings.response_camera_count)
        if picks:
            with self._viewing.for_alert(alert_id):  # the view_changed this emits audits every camera for it
                self._grid.show_cameras(picks)
            self._select_best_tile()
        self._map.select_alert(alert_id)
        self._slew.slew_for_alert(alert, cameras)
        self.message.emit("Response view: " + "; ".join(describe_response(cameras, alert)), 10_000)

    def answer_alert(self, alert_id: str) -> None:
        """The analyst opened an alert (Enter, double-click, Ctrl+Enter): its response view; for a plate hit, also
        the plate's history. It counts as worked on for the next new case."""
        self.open_alert(alert_id)
        alert = self._queue.alert(alert_id)
        if alert is None:
            return
        self._work.note_alert(alert, datetime.now(UTC))
        plate = hit_plate(alert)
        if plate:
            self.plate_history_requested.emit(plate)

    def answer_selected(self) -> None:
        """Ctrl+Enter: ``answer_alert`` for the alert selected in the queue."""
        alert = self._queue.current_alert()
        if alert is not None:
            self.answer_alert(alert.id)

    def play_back_selected(self) -> None:
        """Ctrl+Shift+Return: the selected alert's response cameras, played back from its time minus the alert
        lead."""
        alert = self._queue.current_alert()
        if alert is None:
            self.message.emit("Select an alert to play it back", 5000)
            return
        self._work.note_alert(alert, datetime.now(UTC))
        picks = response_cameras(list(self._cameras()), alert, count=self._settings.response_camera_count)
        self._playback.play_alert(alert.detected_at, self._grid)  # first, so the tiles never connect live
        if picks:
            with self._viewing.for_alert(alert.id):
                self._grid.show_cameras(picks)
            self._select_best_tile()

    def selected_hit_plate(self) -> str:
        """The plate of the hotlist hit selected in the queue ("" when none is)."""
        return hit_plate(self._queue.current_alert())

    def _select_best_tile(self) -> None:
        """A response view selects its first tile (the best camera), as a click would: T, B, I/O and the hop
        arrows act on it at once."""
        tile = self._grid.tiles[0] if self._grid.tiles else None
        if tile is not None and tile.camera is not None:
            self._grid.select(tile)
            self._grid.camera_selected.emit(tile.camera)

    # -- the auto-slew's outcome ----------------------------------------------------------------------
    def on_slewed(self, camera_id: str, pan: float, tilt: float) -> None:
        self.message.emit(f"{camera_id} turned to pan {pan:.0f}°, tilt {tilt:.0f}°", 5000)

    def on_slew_failed(self, camera_id: str, reason: str) -> None:
        if camera_id:  # "" is about the alert (no location, no cameras listed), not a camera: nothing to say
            self.message.emit(f"Auto-slew {camera_id}: {reason}", 8000)
