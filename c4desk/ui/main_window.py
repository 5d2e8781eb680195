"""The workstation's main window: live tiles in the centre, dockable panels around, health in the status bar.

All of the window's signal wiring is in ``_connect_signals`` so the flow reads top to bottom.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from c4desk import __version__
from c4desk.config import AlertSettings
from c4desk.credentials import camera_login
from c4desk.domain.alerts import Alert
from c4desk.domain.camera import Camera, CameraKind, PtzProtocol
from c4desk.domain.events import AlertChanged, AlertRaised, CamerasChanged, PlateRead
from c4desk.domain.layouts import ViewSpec, fitting_layout
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.integrations.owner_lookup import OwnerLookupClient
from c4desk.integrations.ptz import PtzClient, client_for
from c4desk.store.snapshots import SnapshotRepository
from c4desk.store.views import ViewRepository
from c4desk.ui import theme
from c4desk.ui.alerts.alert_queue import AlertQueue
from c4desk.ui.alerts.response import describe_response, response_cameras
from c4desk.ui.background import run_in_background
from c4desk.ui.cameras.camera_tree import CameraTree
from c4desk.ui.event_bridge import EventBridge
from c4desk.ui.lpr.bolo_dialog import BoloDialog
from c4desk.ui.lpr.read_table import PlateReadTable
from c4desk.ui.lpr.search_panel import PlateSearchPanel
from c4desk.ui.map.map_view import MapView
from c4desk.ui.ptz.auto_slew import AutoSlew
from c4desk.ui.ptz.ptz_panel import PtzPanel
from c4desk.ui.timefmt import local_time
from c4desk.ui.wall.controller import WallController
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.video_view import PlayerFactory

log = logging.getLogger(__name__)

HEALTH_INTERVAL_MS = 1000
DB_CHECK_EVERY = 10  # health ticks


def _placeholder(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("placeholder")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


class MainWindow(QMainWindow):
    def __init__(self, services: Services, player_factory: PlayerFactory, ui_state: QSettings,
                 user: str, banner: str = "", streets_geojson: dict[str, object] | None = None,
                 data_dir: Path | None = None, alert_settings: AlertSettings | None = None,
                 owner_lookup_url: str = "") -> None:
        super().__init__()
        self.services = services
        self._data_dir = data_dir
        self._alert_settings = alert_settings or AlertSettings()
        self._owner_lookup_url = owner_lookup_url
        self._ui_state = ui_state
        self._user = user
        self.setWindowTitle(f"c4desk {__version__} - {user}" + (f" - {banner}" if banner else ""))
        self.setObjectName("MainWindow")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)

        self.grid = LiveGrid(player_factory, parent=self)
        self.setCentralWidget(self.grid)
        self.wall = WallController(
            self.grid, player_factory, bus=services.bus, user=user, window=self, views=ViewRepository(services.db),
            snapshots=SnapshotRepository(services.db, data_dir / "media" / "snapshots") if data_dir else None)
        self.camera_tree = CameraTree()
        self.alert_queue = AlertQueue(services, user)
        self.ptz_panel = PtzPanel()
        self.auto_slew = AutoSlew(services, self._ptz_client, parent=self)
        self.read_table = PlateReadTable()
        self.plate_search = PlateSearchPanel(services.plate_search, self._owner_lookup)
        self.lpr_tabs = QTabWidget()
        self.lpr_tabs.addTab(self.plate_search, "Search")
        self.lpr_tabs.addTab(self.read_table, "Live reads")
        self.camera_dock = self._dock("cameras", "Cameras", self.camera_tree, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.map_view = MapView(streets_geojson=streets_geojson)
        self.map_view.setMinimumSize(320, 240)
        self.map_dock = self._dock("map", "Map", self.map_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.alert_dock = self._dock("alerts", "Alerts", self.alert_queue, Qt.DockWidgetArea.RightDockWidgetArea)
        self.lpr_dock = self._dock("lpr", "Plates", self.lpr_tabs, Qt.DockWidgetArea.RightDockWidgetArea)
        self.ptz_dock = self._dock("ptz", "PTZ", self.ptz_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.cases_dock = self._dock("cases", "Cases", _placeholder("Cases and clips (coming with the cases work)"),
                                     Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.alert_dock, self.lpr_dock)
        self.alert_dock.raise_()
        self.cases_dock.hide()
        self.ptz_dock.hide()  # shown when a PTZ camera's tile is selected

        self.db_label = QLabel()
        self.stream_label = QLabel()
        self.user_label = QLabel(f"user: {user}")
        self.clock_label = QLabel()
        for w in (self.db_label, self.stream_label, self.user_label):
            self.statusBar().addPermanentWidget(w)
        self.statusBar().addPermanentWidget(self.clock_label)
        self._db_ok: bool | None = None
        self._cameras: dict[str, Camera] = {}
        self._ticks = 0
        self._health_timer = QTimer(self)
        self._health_timer.setInterval(HEALTH_INTERVAL_MS)
        self.bridge = EventBridge(services.bus.subscribe, (AlertRaised, AlertChanged, PlateRead, CamerasChanged),
                                  self)
        self._build_menus()
        self._connect_signals()
        self._restore_layout()
        self.reload()
        self._on_health_tick()
        self._health_timer.start()

    # -- construction ---------------------------------------------------------------------------------
    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")  # saveState() keys docks by object name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for dock in (self.camera_dock, self.map_dock, self.alert_dock, self.lpr_dock, self.ptz_dock, self.cases_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        self.find_action = QAction("Find camera", self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        self.fullscreen_action = QAction("Full screen", self, shortcut=QKeySequence("F11"), checkable=True)
        self.reset_layout_action = QAction("Reset layout", self)
        for action in (self.find_action, self.fullscreen_action, self.reset_layout_action):
            view_menu.addAction(action)
        alerts_menu = self.menuBar().addMenu("&Alerts")
        self.response_action = QAction("Response view for the selected alert", self,
                                       shortcut=QKeySequence("Ctrl+Return"))
        self.response_action.setToolTip("Put the cameras that can see the alert on the wall, and turn PTZs to it")
        self.next_alert_action = QAction("Go to the alert queue", self, shortcut=QKeySequence("F6"))
        alerts_menu.addAction(self.response_action)
        alerts_menu.addAction(self.next_alert_action)
        self.search_plates_action = QAction("Search plates", self, shortcut=QKeySequence("Ctrl+L"))
        self.new_bolo_action = QAction("New BOLO...", self, shortcut=QKeySequence("Ctrl+B"))
        alerts_menu.addAction(self.search_plates_action)
        alerts_menu.addAction(self.new_bolo_action)
        self.wall.populate_menu(self.menuBar().addMenu("&Wall"))
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("About c4desk", self)
        help_menu.addAction(self.about_action)

    def _connect_signals(self) -> None:
        self.camera_tree.camera_activated.connect(self.open_camera)
        self.wall.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.map_view.camera_clicked.connect(self.on_map_camera_clicked)
        self.map_view.alert_clicked.connect(self.alert_queue.select_alert)
        self.map_view.area_selected.connect(self.on_area_selected)
        self.map_view.problems.connect(self.on_map_problems)
        self.grid.camera_selected.connect(self.on_tile_camera_selected)
        self.grid.camera_status.connect(self.map_view.set_camera_state)
        self.grid.ptz_center_requested.connect(self.on_ptz_center)
        self.grid.ptz_zoom_requested.connect(self.on_ptz_zoom)
        self.alert_queue.alert_selected.connect(self.map_view.select_alert)
        self.plate_search.trail_requested.connect(self.on_plate_trail)
        self.search_plates_action.triggered.connect(self.on_search_plates)
        self.new_bolo_action.triggered.connect(self.on_new_bolo)
        self.alert_queue.open_requested.connect(self.on_alert_open)
        self.alert_queue.attention.connect(self.on_alert_attention)
        self.auto_slew.slewed.connect(self.on_slewed)
        self.auto_slew.failed.connect(self.on_slew_failed)
        self.response_action.triggered.connect(self.on_response_for_current)
        self.next_alert_action.triggered.connect(self.on_focus_alerts)
        self.bridge.event_received.connect(self.on_bus_event)
        self._health_timer.timeout.connect(self._on_health_tick)
        self.quit_action.triggered.connect(self.close)
        self.find_action.triggered.connect(self.on_find_camera)
        self.fullscreen_action.toggled.connect(self.on_fullscreen_toggled)
        self.reset_layout_action.triggered.connect(self.on_reset_layout)
        self.about_action.triggered.connect(self.on_about)

    # -- behaviour ------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load cameras, alerts and reads from the store off the GUI thread."""
        services = self.services

        def load() -> tuple[list[Camera], list[Alert], list[LprRead]]:
            return services.cameras.list(), services.alerts.recent(200), services.plate_reads.recent(200)

        def show(result: tuple[list[Camera], list[Alert], list[LprRead]]) -> None:
            cameras, alerts, reads = result
            self.camera_tree.set_cameras(cameras)
            self.camera_dock.setWindowTitle(f"Cameras ({len(cameras)})")
            first_load = not self._cameras
            self._cameras = {c.id: c for c in cameras}
            self.wall.set_cameras(cameras)
            self.map_view.set_cameras(cameras)
            if first_load:
                # Again once the docks have their final sizes, so the whole site is in view.
                self.map_view.fit_to_cameras()
                QTimer.singleShot(600, self.map_view, self.map_view.fit_to_cameras)
            self.map_view.set_alerts(alerts)
            self.read_table.records.set_records(reads)

        run_in_background(load, show, lambda exc: self.statusBar().showMessage(f"Loading failed: {exc}", 10_000))

    def open_camera(self, camera: Camera) -> None:
        self.grid.open_camera(camera)
        self.statusBar().showMessage(f"Opened {camera.name}", 3000)

    def on_map_camera_clicked(self, camera_id: str) -> None:
        camera = self._cameras.get(camera_id)
        if camera is not None:
            self.open_camera(camera)

    def on_tile_camera_selected(self, camera: Camera | None) -> None:
        self.map_view.select_camera(camera.id if camera else None)
        if camera is not None and camera.kind is CameraKind.PTZ:
            self.ptz_dock.show()
            self.ptz_dock.raise_()
            run_in_background(lambda: self._ptz_client(camera), lambda c: self.ptz_panel.set_camera(camera, c),
                              lambda exc: self.ptz_panel.set_camera(camera, None))

    def on_ptz_center(self, camera: Camera, x: int, y: int, width: int, height: int) -> None:
        """Ctrl+click on a PTZ tile: the panel (already on that camera, the click selected it) centres there."""
        if self.ptz_panel.camera is not None and self.ptz_panel.camera.id == camera.id:
            self.ptz_panel.center_on(x, y, width, height)

    def on_ptz_zoom(self, camera: Camera, steps: int) -> None:
        if self.ptz_panel.camera is not None and self.ptz_panel.camera.id == camera.id:
            self.ptz_panel.zoom_step(steps)

    def _ptz_client(self, camera: Camera) -> PtzClient | None:
        """A PTZ client with the camera's login from the keyring. Runs off the GUI thread (keyring may block)."""
        if camera.ptz_protocol is PtzProtocol.NONE or self._data_dir is None:
            return None
        login = camera_login(self._data_dir, camera.credential_ref)
        if login is None:
            return None
        return client_for(camera, *login)

    def _owner_lookup(self) -> OwnerLookupClient | None:
        """Called on a worker thread by the plate search panel."""
        return OwnerLookupClient(self._owner_lookup_url) if self._owner_lookup_url else None

    def on_plate_trail(self, plate: str, reads: list[LprRead]) -> None:
        """The selected plate's reads as a time-ordered trail on the map."""
        points = [(c.lat, c.lon, f"{local_time(r.read_at)} {c.id}") for r in reads
                  if (c := self._cameras.get(r.camera_id)) is not None]
        self.map_view.show_trail(f"plate-{plate}", points)

    def on_search_plates(self) -> None:
        self.lpr_dock.show()
        self.lpr_dock.raise_()
        self.lpr_tabs.setCurrentWidget(self.plate_search)
        self.plate_search.pattern.setFocus()
        self.plate_search.pattern.selectAll()

    def on_new_bolo(self) -> None:
        dialog = BoloDialog(self.services.hotlists, self._user, self, plate=self.plate_search.pattern.text())
        if dialog.exec() and dialog.stored is not None:
            self.statusBar().showMessage(f"BOLO {dialog.stored.plate} saved; reads are matched against it now", 8000)

    def on_new_alert(self, alert: Alert) -> None:
        """A new alert: PTZs turn toward it at once; its response view is one keypress away (or shown)."""
        cameras = list(self._cameras.values())
        if self._alert_settings.auto_slew and alert.lat is not None:
            self.auto_slew.slew_for_alert(alert, cameras)
        if self._alert_settings.auto_response_view and alert.priority == 1:
            self.on_alert_open(alert.id)
        else:
            self.statusBar().showMessage(f"New alert {alert.type.replace('_', ' ')} at {alert.address or 'map pin'}:"
                                         " Ctrl+Enter shows the cameras that can see it", 15_000)

    def on_alert_open(self, alert_id: str) -> None:
        alert = self.alert_queue.alert(alert_id)
        if alert is None:
            return
        cameras = list(self._cameras.values())
        picks = response_cameras(cameras, alert, count=self._alert_settings.response_camera_count)
        if picks:
            self.grid.show_cameras(picks)
        self.map_view.select_alert(alert_id)
        self.auto_slew.slew_for_alert(alert, cameras)
        self.statusBar().showMessage("Response view: " + "; ".join(describe_response(cameras, alert)), 10_000)

    def on_response_for_current(self) -> None:
        alert = self.alert_queue.current_alert()
        if alert is not None:
            self.on_alert_open(alert.id)

    def on_focus_alerts(self) -> None:
        self.alert_dock.show()
        self.alert_dock.raise_()
        self.alert_queue.setFocus()

    def on_alert_attention(self, _alert_id: str) -> None:
        self.alert_dock.show()
        self.alert_dock.raise_()
        QApplication.alert(self)
        self.alert_dock.setWindowTitle("Alerts - NEW PRIORITY 1")
        # Bound to the dock, so the timer dies with it (a window closed within 8 s).
        QTimer.singleShot(8000, self.alert_dock, lambda: self.alert_dock.setWindowTitle("Alerts"))

    def on_slewed(self, camera_id: str, pan: float, tilt: float) -> None:
        self.statusBar().showMessage(f"{camera_id} turned to pan {pan:.0f}°, tilt {tilt:.0f}°", 5000)

    def on_slew_failed(self, camera_id: str, reason: str) -> None:
        if camera_id:
            self.statusBar().showMessage(f"Auto-slew {camera_id}: {reason}", 8000)

    def on_area_selected(self, camera_ids: list[str]) -> None:
        cameras = [self._cameras[i] for i in camera_ids if i in self._cameras and self._cameras[i].enabled]
        if not cameras:
            self.statusBar().showMessage("No camera sees that area", 5000)
            return
        # A new (unsaved) view sized to hold them all; the analyst can save it from the Wall menu.
        layout = fitting_layout(len(cameras))
        self.grid.apply_view(ViewSpec("Area selection", layout, tuple(c.id for c in cameras[: len(layout.tiles)])))
        shown = min(len(cameras), len(layout.tiles))
        self.statusBar().showMessage(f"{len(cameras)} camera(s) see that area; showing {shown}", 5000)

    def on_map_problems(self, problems: list[str]) -> None:
        for problem in problems:
            log.warning("map: %s", problem)
        if problems:
            self.statusBar().showMessage(f"Map: {problems[-1]}", 10_000)

    def on_bus_event(self, event: object) -> None:
        if isinstance(event, AlertRaised):
            self.alert_queue.upsert(event.alert)
            self.map_view.add_alert(event.alert)
            self.on_new_alert(event.alert)
        elif isinstance(event, AlertChanged):
            self.alert_queue.upsert(event.alert)
            self.map_view.update_alert(event.alert)
        elif isinstance(event, PlateRead):
            self.read_table.records.upsert(event.read)
        elif isinstance(event, CamerasChanged):
            self.reload()

    def on_find_camera(self) -> None:
        self.camera_dock.show()
        self.camera_dock.raise_()
        self.camera_tree.filter_edit.setFocus()
        self.camera_tree.filter_edit.selectAll()

    def on_fullscreen_toggled(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def on_reset_layout(self) -> None:
        for dock in (self.camera_dock, self.map_dock, self.alert_dock, self.lpr_dock):
            dock.show()
            dock.setFloating(False)
        self.restoreState(self._default_state)

    def on_about(self) -> None:
        QMessageBox.about(self, "About c4desk", f"c4desk {__version__}\nOpen workstation for Real-Time Crime "
                          "Centers.\nDatabase: " + self.services.describe_database())

    def _on_health_tick(self) -> None:
        self._ticks += 1
        live, used = self.grid.health()
        colour = theme.OK if live == used else theme.WARN
        self.stream_label.setText(f"<span style='color:{colour}'>&#9679;</span> streams {live}/{used} live")
        self.clock_label.setText(datetime.now(UTC).strftime("%H:%M:%S UTC"))
        if self._db_ok is None or self._ticks % DB_CHECK_EVERY == 0:
            run_in_background(self.services.check_database, self._show_db_health,
                              lambda exc: self._show_db_health(False))

    def _show_db_health(self, ok: object) -> None:
        self._db_ok = bool(ok)
        colour = theme.OK if ok else theme.BAD
        state = "ok" if ok else "unreachable"
        self.db_label.setText(f"<span style='color:{colour}'>&#9679;</span> db {self.services.describe_database()}"
                              f" {state}")

    # -- layout persistence ---------------------------------------------------------------------------
    def _state_key(self, name: str) -> str:
        return f"users/{self._user}/main/{name}"

    def _restore_layout(self) -> None:
        geometry = self._ui_state.value(self._state_key("geometry"))
        state = self._ui_state.value(self._state_key("state"))
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 900)
        # The default: the map gets a real share of the right column; the alerts sit under it.
        self.resizeDocks([self.camera_dock, self.map_dock], [240, 560], Qt.Orientation.Horizontal)
        self.resizeDocks([self.map_dock, self.alert_dock], [520, 320], Qt.Orientation.Vertical)
        self._default_state = self.saveState()
        self.wall.restore_state(self._ui_state, self._state_key("wall"))
        if state is not None:
            self.restoreState(state)

    def save_layout(self) -> None:
        self._ui_state.setValue(self._state_key("geometry"), self.saveGeometry())
        self._ui_state.setValue(self._state_key("state"), self.saveState())
        self.wall.save_state(self._ui_state, self._state_key("wall"))
        self._ui_state.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.ptz_panel.shutdown(wait_ms=2000)
        self._health_timer.stop()
        self.wall.close()
        self.bridge.close()
        super().closeEvent(event)
