"""PTZ control for the selected camera: arrows, a drag pad, zoom, home, presets, and where it points now.

Keys while the panel has the keyboard: arrow keys move while held (release stops), + / - zoom a step, Home goes
home. The mouse: hold an arrow or zoom button, drag on the pad (speed grows with the distance from its centre),
wheel over the panel to zoom. ``center_on(x, y, w, h)`` is for video tiles (click-to-centre).

Every camera call runs off the GUI thread, in order, through ``PtzCommands``; failures ("401 from camera:
check credentials") are shown on the panel's message line. The panel owns the client it is given: it stops the
camera if it was moving and closes the client when another camera is set or on ``shutdown()``.

Who may steer: the window hands the panel a ``GuardedPtz`` for the person logged in, which checks CONTROL_PTZ
on every command (refusals audited). Given that person as ``actor``, the panel also mirrors the table: a role
without the right sees where the camera points and its presets, but the controls are disabled and say why.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QHideEvent, QKeyEvent, QShowEvent, QWheelEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Action
from c4desk.integrations.ptz import PtzClient, PtzPosition, PtzPreset
from c4desk.ui import theme
from c4desk.ui.cases.common import ActorSource, actor_of, may
from c4desk.ui.ptz.commands import STILL, PtzCommands
from c4desk.ui.ptz.pad import PtzPad

log = logging.getLogger(__name__)

POLL_MS = 1000
POLL_RETRY_MS = 5000  # after a failed poll: do not hammer a camera that refuses us
ZOOM_STEP = 0.05  # of the zoom range, per wheel notch or +/- press
DEFAULT_SPEED = 50  # percent, for arrow keys and buttons
ARROWS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, 1), Qt.Key.Key_Down: (0, -1)}
POLLS = frozenset({"position"})
ROLE = "role"  # the source of the "your role may not" message: it stays while the camera does


def format_position(pos: PtzPosition) -> str:
    return f"Pan {pos.pan:.1f}°   Tilt {pos.tilt:.1f}°   Zoom {pos.zoom * 100:.0f}%"


class PtzPanel(QWidget):
    position_changed = Signal(object)  # PtzPosition

    def __init__(self, parent: QWidget | None = None, *, actor: ActorSource | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._actor = actor  # None: the client given is the only control (tests, tools)
        self.camera: Camera | None = None
        self.commands = PtzCommands(self)
        self.last_position: PtzPosition | None = None
        self.presets: list[PtzPreset] = []
        self._held: set[Qt.Key] = set()
        self._pan_tilt = (0.0, 0.0)
        self._zoom_speed = 0.0
        self._zoom_steps = 0  # wheel notches not yet sent
        self._zooming = False
        self._error_source = ""

        self.title = QLabel("No PTZ camera selected")
        self.title.setStyleSheet("font-weight: bold;")
        self.position_label = QLabel("Pan -   Tilt -   Zoom -")
        self.position_label.setStyleSheet(f"color: {theme.MUTED};")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.BAD};")
        self.message.hide()
        self.pad = PtzPad()
        self.pad.setFocusProxy(self)  # a click on the pad gives the panel the keyboard (arrow keys)
        self.arrow_buttons = {key: self._button(text, tip) for key, text, tip in (
            (Qt.Key.Key_Up, "▲", "Tilt up (Up arrow, hold)"),
            (Qt.Key.Key_Down, "▼", "Tilt down (Down arrow, hold)"),
            (Qt.Key.Key_Left, "◀", "Pan left (Left arrow, hold)"),
            (Qt.Key.Key_Right, "▶", "Pan right (Right arrow, hold)"))}
        self.home_button = self._button("⌂", "Home position (Home)")
        self.zoom_in_button = self._button("+", "Zoom in (hold; + or the wheel for a step)")
        self.zoom_out_button = self._button("−", "Zoom out (hold; - or the wheel for a step)")
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(10, 100)
        self.speed.setValue(DEFAULT_SPEED)
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed.setToolTip("Speed of the arrow keys and buttons")
        self.preset_list = QListWidget()
        self.preset_list.setToolTip("Double-click (or Enter) to go to a preset")
        self.preset_name = QLineEdit()
        self.preset_name.setPlaceholderText("New preset name")
        self.preset_name.setMaxLength(64)
        self.save_preset_button = QPushButton("Save as")
        self.save_preset_button.setToolTip("Save the current position under this name")
        self.remove_preset_button = QPushButton("Remove")
        self.refresh_presets_button = QPushButton("Reload")
        self._controls: list[QWidget] = [self.pad, self.home_button, self.zoom_in_button, self.zoom_out_button,
                                         self.preset_list, self.preset_name, self.save_preset_button,
                                         self.remove_preset_button, self.refresh_presets_button,
                                         *self.arrow_buttons.values()]
        self._layout()

        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)
        self._connect_signals()
        self.set_camera(None, None)

    # --- construction ---------------------------------------------------------------------------------------
    def _button(self, text: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setMinimumSize(34, 30)
        return b

    def _layout(self) -> None:
        arrows = QGridLayout()
        arrows.setSpacing(2)
        arrows.addWidget(self.arrow_buttons[Qt.Key.Key_Up], 0, 1)
        arrows.addWidget(self.arrow_buttons[Qt.Key.Key_Left], 1, 0)
        arrows.addWidget(self.home_button, 1, 1)
        arrows.addWidget(self.arrow_buttons[Qt.Key.Key_Right], 1, 2)
        arrows.addWidget(self.arrow_buttons[Qt.Key.Key_Down], 2, 1)
        arrows.addWidget(self.zoom_in_button, 0, 3)
        arrows.addWidget(self.zoom_out_button, 2, 3)
        speed_row = QHBoxLayout()
        speed_row.addWidget(QLabel("Speed"))
        speed_row.addWidget(self.speed, 1)
        buttons = QVBoxLayout()
        buttons.addLayout(arrows)
        buttons.addLayout(speed_row)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.pad, 1)
        top.addLayout(buttons)
        preset_buttons = QHBoxLayout()
        preset_buttons.addWidget(self.preset_name, 1)
        preset_buttons.addWidget(self.save_preset_button)
        preset_buttons.addWidget(self.remove_preset_button)
        preset_buttons.addWidget(self.refresh_presets_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.position_label)
        layout.addWidget(self.message)
        layout.addLayout(top, 3)
        layout.addWidget(QLabel("Presets"))
        layout.addWidget(self.preset_list, 2)
        layout.addLayout(preset_buttons)

    def _connect_signals(self) -> None:
        for key, button in self.arrow_buttons.items():
            button.pressed.connect(lambda k=key: self._press(k))
            button.released.connect(lambda k=key: self._release(k))
        self.home_button.clicked.connect(self.home)
        self.zoom_in_button.pressed.connect(lambda: self._set_zoom_speed(self._key_speed()))
        self.zoom_in_button.released.connect(lambda: self._set_zoom_speed(0.0))
        self.zoom_out_button.pressed.connect(lambda: self._set_zoom_speed(-self._key_speed()))
        self.zoom_out_button.released.connect(lambda: self._set_zoom_speed(0.0))
        self.pad.velocity_changed.connect(self._on_pad)
        self.preset_list.itemActivated.connect(self._on_preset_activated)
        self.save_preset_button.clicked.connect(lambda: self.save_preset(self.preset_name.text()))
        self.preset_name.returnPressed.connect(lambda: self.save_preset(self.preset_name.text()))
        self.remove_preset_button.clicked.connect(self._on_remove_preset)
        self.refresh_presets_button.clicked.connect(self.load_presets)
        self._poll_timer.timeout.connect(self.poll_position)
        self.commands.failed.connect(self._on_failed)
        self.commands.succeeded.connect(self._on_succeeded)

    # --- public API ---------------------------------------------------------------------------------------------
    def set_camera(self, camera: Camera | None, client: PtzClient | None) -> None:
        """Control ``camera`` through ``client`` (None: show the camera but no controls). Takes ownership of
        ``client``; the previous one is stopped if moving and closed."""
        self._held.clear()
        self._pan_tilt, self._zoom_speed, self._zoom_steps, self._zooming = (0.0, 0.0), 0.0, 0, False
        self.commands.set_client(client)
        self.camera = camera
        self.last_position = None
        self.presets = []
        self.preset_list.clear()
        self.position_label.setText("Pan -   Tilt -   Zoom -")
        self._clear_message()
        steer = client is not None and self.may_control()
        for w in self._controls:
            w.setEnabled(steer)
        if camera is None:
            self.title.setText("No PTZ camera selected")
        else:
            self.title.setText(f"{camera.name} ({camera.id})")
            if client is None:
                self._show_message(f"No PTZ control for {camera.id}: not a PTZ camera, or no credentials for it",
                                   "setup", theme.WARN)
            elif not steer and self._actor is not None:
                role = actor_of(self._actor).role.value
                self._show_message(f"Your role ({role}) may not steer PTZ cameras: you can see where {camera.id} "
                                   "points, not move it", ROLE, theme.WARN)
        self._poll_timer.setInterval(POLL_MS)
        if client is not None:
            self.load_presets()
            self.poll_position()
        self._update_polling()

    def may_control(self) -> bool:
        """Whether the person (when the panel knows them) may steer: the table's answer, mirrored."""
        return self._actor is None or may(self._actor, Action.CONTROL_PTZ)

    def shutdown(self, wait_ms: int = 0) -> bool:
        """Stop the camera if it moves and close the client (the window calls this when it closes).
        ``wait_ms``: how long to wait for the calls on their way; True when all are done."""
        self._poll_timer.stop()
        return self.commands.shutdown(wait_ms)

    def drive(self, x: float, y: float) -> None:
        """Pan/tilt continuously at speeds in [-1, 1] (right, up positive); ``drive(0, 0)`` stops."""
        self._pan_tilt = (x, y)
        self._send_motion()

    def stop(self) -> None:
        self._held.clear()
        self._pan_tilt, self._zoom_speed = (0.0, 0.0), 0.0
        self._send_motion()

    def zoom_step(self, steps: int) -> None:
        """Zoom in (positive) or out by ``steps`` steps; steps made while one is on its way are added up."""
        self._zoom_steps += steps
        if not self._zooming and self._zoom_steps:
            amount = max(-1.0, min(1.0, self._zoom_steps * ZOOM_STEP))
            self._zoom_steps = 0
            self._zooming = self.commands.call("zoom", lambda c: c.relative_move(zoom=amount),
                                               self._on_zoomed)
            if not self._zooming:
                self._zoom_steps = 0

    def home(self) -> None:
        self.commands.call("home", lambda c: c.home(), lambda _r: self.poll_position())

    def center_on(self, x: int, y: int, width: int, height: int) -> None:
        """Centre the camera on pixel (x, y) of a ``width`` x ``height`` picture (a click on its video tile)."""
        self.commands.call("centre", lambda c: c.center(x, y, width, height), lambda _r: self.poll_position())

    def load_presets(self) -> None:
        self.commands.call("presets", lambda c: c.presets(), self._show_presets, key="presets")

    def goto_preset(self, name: str) -> None:
        self.commands.call("go to preset", lambda c: c.goto_preset(name), lambda _r: self.poll_position())

    def save_preset(self, name: str) -> None:
        name = name.strip()
        if not name:
            self._show_message("save preset: give the preset a name", "save preset")
            return

        def saved(_result: object) -> None:
            self.preset_name.clear()
            self.load_presets()

        self.commands.call("save preset", lambda c: c.set_preset(name), saved)

    def remove_preset(self, name: str) -> None:
        self.commands.call("remove preset", lambda c: c.remove_preset(name), lambda _r: self.load_presets())

    def poll_position(self) -> None:
        self.commands.call("position", lambda c: c.position(), self._show_position, key="position")

    # --- input -----------------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if not self.may_control():  # like the disabled buttons: the keys steer nothing
            super().keyPressEvent(event)
        elif key in ARROWS:
            if not event.isAutoRepeat():
                self._press(key)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_step(1)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_step(-1)
        elif key == Qt.Key.Key_Home and not event.isAutoRepeat():
            self.home()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in ARROWS:
            if not event.isAutoRepeat():
                self._release(key)
        else:
            super().keyReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = round(event.angleDelta().y() / 120)
        if notches and self.commands.client is not None and self.may_control():
            self.zoom_step(notches)
            event.accept()
        else:
            super().wheelEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        # A key released while another window has the keyboard never arrives: stop rather than turn forever.
        if self._held:
            self._held.clear()
            self.drive(0.0, 0.0)
        super().focusOutEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update_polling()

    def hideEvent(self, event: QHideEvent) -> None:
        if self.commands.motion != STILL:
            self.stop()
        self._update_polling()
        super().hideEvent(event)

    def _key_speed(self) -> float:
        return self.speed.value() / 100.0

    def _press(self, key: Qt.Key) -> None:
        self._held.add(key)
        self._drive_from_keys()

    def _release(self, key: Qt.Key) -> None:
        self._held.discard(key)
        self._drive_from_keys()

    def _drive_from_keys(self) -> None:
        dx = sum(ARROWS[k][0] for k in self._held)
        dy = sum(ARROWS[k][1] for k in self._held)
        s = self._key_speed()
        self.drive(max(-1, min(1, dx)) * s, max(-1, min(1, dy)) * s)

    def _on_pad(self, x: float, y: float) -> None:
        self.drive(x, y)

    def _set_zoom_speed(self, z: float) -> None:
        self._zoom_speed = z
        self._send_motion()

    def _send_motion(self) -> None:
        self.commands.move((self._pan_tilt[0], self._pan_tilt[1], self._zoom_speed))

    # --- results ---------------------------------------------------------------------------------------------------
    def _on_zoomed(self, _result: object) -> None:
        self._zooming = False
        if self._zoom_steps:
            self.zoom_step(0)
        else:
            self.poll_position()

    def _show_position(self, position: PtzPosition) -> None:
        self.last_position = position
        self.position_label.setText(format_position(position))
        self.position_changed.emit(position)

    def _show_presets(self, presets: list[PtzPreset]) -> None:
        self.presets = list(presets)
        self.preset_list.clear()
        for preset in presets:
            item = QListWidgetItem(preset.name)
            item.setData(Qt.ItemDataRole.UserRole, preset.token)
            self.preset_list.addItem(item)

    def preset_names(self) -> list[str]:
        return [p.name for p in self.presets]

    def _on_preset_activated(self, item: QListWidgetItem) -> None:
        self.goto_preset(item.text())

    def _on_remove_preset(self) -> None:
        item = self.preset_list.currentItem()
        if item is None:
            self._show_message("remove preset: select a preset first", "remove preset")
        else:
            self.remove_preset(item.text())

    def _on_failed(self, what: str, message: str) -> None:
        if what == "zoom":
            self._zooming = False
            self._zoom_steps = 0
        if what in POLLS:
            self._poll_timer.setInterval(POLL_RETRY_MS)
        log.info("PTZ %s on %s failed: %s", what, self.camera.id if self.camera else "?", message)
        self._show_message(f"{what}: {message}", what)

    def _on_succeeded(self, what: str) -> None:
        if what in POLLS:
            self._poll_timer.setInterval(POLL_MS)
        # A poll that works clears only a poll's error; any command that works clears everything but the role's.
        if self._error_source not in ("", ROLE) and (what not in POLLS or self._error_source in POLLS):
            self._clear_message()

    def _show_message(self, text: str, source: str, colour: str = theme.BAD) -> None:
        self._error_source = source
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setText(text)
        self.message.show()

    def _clear_message(self) -> None:
        self._error_source = ""
        self.message.clear()
        self.message.hide()

    def _update_polling(self) -> None:
        if self.isVisible() and self.commands.client is not None:
            if not self._poll_timer.isActive():
                self._poll_timer.start()
        else:
            self._poll_timer.stop()
