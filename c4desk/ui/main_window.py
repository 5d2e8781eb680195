"""The workstation's main window: live tiles in the centre, dockable panels around, health in the status bar.

All of the window's signal wiring is in ``_connect_signals`` so the flow reads top to bottom.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from c4desk import __version__
from c4desk.config import AlertSettings, EvidenceSettings, PlaybackSettings
from c4desk.credentials import camera_login
from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.domain.camera import Camera, CameraKind, PtzProtocol
from c4desk.domain.events import (
    AlertChanged,
    AlertRaised,
    CamerasChanged,
    CaseChanged,
    ClipChanged,
    ClipTagged,
    PlateRead,
)
from c4desk.domain.layouts import ViewSpec, fitting_layout
from c4desk.domain.navigator import NeighbourGraph
from c4desk.domain.permissions import Action, Actor, Role, allowed
from c4desk.domain.plates import LprRead
from c4desk.hub.audit_anchors import check_published
from c4desk.hub.services import Services
from c4desk.integrations.ptz import PtzClient, client_for
from c4desk.integrations.ptz.guarded import GuardedPtz
from c4desk.store.recordings import Bookmark
from c4desk.store.snapshots import SnapshotRepository
from c4desk.store.views import ViewRepository
from c4desk.ui import theme
from c4desk.ui.alerts.alert_queue import AlertQueue
from c4desk.ui.alerts.responder import AlertResponder
from c4desk.ui.analytics.panel import AnalyticsPanel
from c4desk.ui.audit.viewer import AuditViewer
from c4desk.ui.background import run_in_background
from c4desk.ui.cameras.camera_tree import CameraTree
from c4desk.ui.cases import CasePanel, EvidenceContext
from c4desk.ui.cases.session_work import SessionWork
from c4desk.ui.clip_requests import ClipRequests
from c4desk.ui.docks import scrolled, to_front_action
from c4desk.ui.event_bridge import EventBridge
from c4desk.ui.lpr.hit_view import HotlistHitView, insert_into
from c4desk.ui.lpr.live_reads import LiveReadsPanel, latest_reads
from c4desk.ui.lpr.plate_desk import PlateDesk, owner_lookup_for
from c4desk.ui.lpr.plate_images import PlateImages, plate_media_dir
from c4desk.ui.lpr.search_panel import PlateSearchPanel
from c4desk.ui.map.map_view import MapView
from c4desk.ui.ptz.auto_slew import AutoSlew
from c4desk.ui.ptz.ptz_panel import PtzPanel
from c4desk.ui.review import ReviewPanel
from c4desk.ui.wall.bookmark_dialog import reveal_on_timeline
from c4desk.ui.wall.controller import WallController
from c4desk.ui.wall.hop_overlay import HopController
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import WallPlayback
from c4desk.ui.wall.timeline import StoreTimelineSource, TimelineWidget
from c4desk.ui.wall.video_view import PlayerFactory, VideoView
from c4desk.ui.wall.viewing_audit import ViewingAudit

log = logging.getLogger(__name__)

HEALTH_INTERVAL_MS = 1000
DB_CHECK_EVERY = 10  # health ticks


# Closed alerts stay on the map this long: the shift sees what happened tonight, not the site's whole history.
MAP_CLOSED_ALERT_HOURS = 12


def map_worthy(alerts: list[Alert], now: datetime) -> list[Alert]:
    """The alerts the map pins: every open one, and closed ones received in the last few hours."""
    recent = now - timedelta(hours=MAP_CLOSED_ALERT_HOURS)
    return [a for a in alerts if a.status != AlertStatus.CLOSED or a.received_at >= recent]


class MainWindow(QMainWindow):
    def __init__(self, services: Services, player_factory: PlayerFactory, ui_state: QSettings,
                 user: Actor | str, banner: str = "", streets_geojson: dict[str, object] | None = None,
                 data_dir: Path | None = None, alert_settings: AlertSettings | None = None,
                 owner_lookup_url: str = "", playback_settings: PlaybackSettings | None = None,
                 evidence_settings: EvidenceSettings | None = None) -> None:
        super().__init__()
        self.services = services
        self._data_dir = data_dir
        self._ui_state = ui_state
        # Who is logged in; services check this actor's role. A bare name (tests, benches) acts as an analyst.
        self.actor = user if isinstance(user, Actor) else Actor(user, Role.ANALYST, socket.gethostname())
        self._user = user = self.actor.username
        # Set by File > Switch user: the workstation logs the next person in and opens a fresh window.
        self.switch_user_requested = False
        self.setWindowTitle(f"c4desk {__version__} - {user} ({self.actor.role.value})"
                            + (f" - {banner}" if banner else ""))
        self.setObjectName("MainWindow")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)

        self.grid = LiveGrid(player_factory, parent=self)
        self.setCentralWidget(self.grid)
        self.wall = WallController(
            self.grid, player_factory, bus=services.bus, user=user, window=self, views=ViewRepository(services.db),
            snapshots=SnapshotRepository(services.db, data_dir / "media" / "snapshots") if data_dir else None,
            actor=self.actor)
        # Playback on any view (Ctrl+P), its timeline, and hopping from camera to camera on the selected tile.
        lead_s = float((playback_settings or PlaybackSettings()).alert_lead_seconds)
        self.playback = WallPlayback(services.recordings, self.wall.active_grid, self, alert_lead_s=lead_s)
        self.timeline = TimelineWidget(
            StoreTimelineSource(services.recordings, services.alerts, services.plate_reads, actor=self.actor).load,
            alert_lead_s=lead_s)
        self.camera_tree = CameraTree()
        self.alert_queue = AlertQueue(services, self.actor)
        self.ptz_panel = PtzPanel(actor=self.analytics_actor)
        self.auto_slew = AutoSlew(services, self._ptz_client, parent=self)
        self.plate_images = PlateImages(plate_media_dir(data_dir), parent=self) if data_dir else None
        # Live reads need SEARCH_PLATES, as a search does: a wall operator's tab says so instead (hits still alert).
        self.live_reads = LiveReadsPanel(self.actor, images=self.plate_images)
        self.plate_search = PlateSearchPanel(services.plate_search, owner_lookup_for(owner_lookup_url),
                                             actor=self.analytics_actor, images=self.plate_images)
        self.hit_view = HotlistHitView(self.plate_images)  # a hotlist hit's plate crop, under the alert's facts
        insert_into(self.alert_queue.details, self.hit_view, 2)
        self.lpr_tabs = QTabWidget()
        self.lpr_tabs.addTab(self.plate_search, "Search")
        self.lpr_tabs.addTab(self.live_reads, "Live reads")
        self.camera_dock = self._dock("cameras", "Cameras", self.camera_tree, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.map_view = MapView(streets_geojson=streets_geojson)
        self.map_view.setMinimumSize(320, 240)
        self.map_dock = self._dock("map", "Map", self.map_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.alert_dock = self._dock("alerts", "Alerts", self.alert_queue, Qt.DockWidgetArea.RightDockWidgetArea)
        self.lpr_dock = self._dock("lpr", "Plates", self.lpr_tabs, Qt.DockWidgetArea.RightDockWidgetArea)
        self.ptz_dock = self._dock("ptz", "PTZ", self.ptz_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.timeline_dock = self._dock("timeline", "Timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        # CJIS audits who viewed which camera, live or recorded; an alert's response view says which alert.
        self.viewing = ViewingAudit(self.grid, self.playback, services.audit, self.actor, self)
        self.hops = HopController(self.grid, playback=self.playback.for_grid(self.grid), trails=services.trails,
                                  actor=self.analytics_actor(), map_view=self.map_view,
                                  reads_for_plate=lambda plate: services.plate_search.search(
                                      plate, actor=self.analytics_actor(), limit=500))
        self._streets = streets_geojson
        # Case work (Ctrl+N: new case) and clip review (the queue only for roles that may review).
        evidence = EvidenceContext.for_data_dir(data_dir, evidence_settings) if data_dir else None
        self.case_panel = CasePanel(services, self.analytics_actor, evidence=evidence)
        # What the analyst works on here (alerts answered, trails followed, plates run): Ctrl+N files it as a case.
        self.session_work = SessionWork()
        self.case_panel.session_work = self.session_work
        cameras = self.site_cameras
        # Answering alerts (response view, playback, a hit's plate) and the plate work of the window (Ctrl+L, Ctrl+B).
        self.response = AlertResponder(
            queue=self.alert_queue, grid=self.grid, map_view=self.map_view, playback=self.playback,
            auto_slew=self.auto_slew, viewing=self.viewing, session_work=self.session_work, cameras=cameras,
            settings=alert_settings or AlertSettings(), alert_dock=self.alert_dock, window=self)
        self.plates = PlateDesk(search=self.plate_search, tabs=self.lpr_tabs, dock=self.lpr_dock,
                                map_view=self.map_view, hotlists=services.hotlists, actor=self.actor,
                                session_work=self.session_work, cameras=cameras,
                                selected_plate=self.response.selected_hit_plate, window=self)
        self.clip_requests = ClipRequests(services, self.analytics_actor, self.grid, self.playback, self,
                                          current_case=self.case_panel.current_case, cameras=cameras)
        self.clip_marks = self.clip_requests.marks
        self.cases_dock = self._dock("cases", "Cases", self.case_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.review_panel = ReviewPanel(services, self.analytics_actor)
        self.review_dock = self._dock("review", "Review", self.review_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        # The centre's figures; each view loads when first shown (Ctrl+Shift+A), so a hidden dock costs nothing.
        self.analytics = AnalyticsPanel(services, self.analytics_actor)
        self.analytics_dock = self._dock("analytics", "Analytics", self.analytics,
                                         Qt.DockWidgetArea.BottomDockWidgetArea, scroll=True)
        self.tabifyDockWidget(self.alert_dock, self.lpr_dock)
        self.alert_dock.raise_()
        # Tabbed with the analytics, not beside them: side by side, the bottom docks' minimum widths add up.
        self.tabifyDockWidget(self.analytics_dock, self.cases_dock)
        self.tabifyDockWidget(self.analytics_dock, self.review_dock)
        self.cases_dock.hide()
        self.review_dock.setVisible(self.review_panel.reviews)  # a supervisor starts with the queue in view
        self.analytics_dock.hide()
        self.ptz_dock.hide()  # shown when a PTZ camera's tile is selected
        self.timeline_dock.hide()  # shown when a view goes to playback (Ctrl+P)

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
        self.bridge = EventBridge(services.bus.subscribe, (AlertRaised, AlertChanged, PlateRead, CamerasChanged,
                                                           CaseChanged, ClipChanged, ClipTagged), self)
        self._build_menus()
        self._connect_signals()
        self._restore_layout()
        self.reload()
        self._on_health_tick()
        self._health_timer.start()

    # -- construction ---------------------------------------------------------------------------------
    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea,
              scroll: bool = False) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")  # saveState() keys docks by object name
        dock.setWidget(scrolled(widget) if scroll else widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.switch_user_action = QAction("Switch &user…", self, shortcut=QKeySequence("Ctrl+Shift+U"))
        self.switch_user_action.triggered.connect(self.request_switch_user)
        file_menu.addAction(self.switch_user_action)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for dock in (self.camera_dock, self.map_dock, self.alert_dock, self.lpr_dock, self.ptz_dock, self.cases_dock):
            view_menu.addAction(dock.toggleViewAction())
        self.review_action = to_front_action(self.review_dock, "Ctrl+Shift+R")
        view_menu.addAction(self.review_action)
        self.analytics_action = to_front_action(self.analytics_dock, "Ctrl+Shift+A")
        view_menu.addAction(self.analytics_action)
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
        cases_menu = self.menuBar().addMenu("&Cases")
        self.new_case_action = self.case_panel.new_action  # the panel opens the dialog; the window shows the dock
        self.new_case_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.cases_action = to_front_action(self.cases_dock, "Ctrl+Shift+C")
        for action in (self.new_case_action, self.cases_action, self.review_action):
            cases_menu.addAction(action)
        cases_menu.addSeparator()
        # Single keys, as in video editors; a focused text field keeps its typing (Qt gives it the key first).
        # T tags at once (the moment with its marks, or 10 s either side); Shift+T opens the form for tags and a note.
        self.tag_clip_action = QAction("Tag clip from the selected tile", self, shortcut=QKeySequence("T"))
        self.tag_details_action = QAction("Tag clip with tags and note…", self, shortcut=QKeySequence("Shift+T"))
        self.mark_in_action = QAction("Mark in on the selected tile", self, shortcut=QKeySequence("I"))
        self.mark_out_action = QAction("Mark out on the selected tile", self, shortcut=QKeySequence("O"))
        self.bookmark_action = QAction("Bookmark the selected tile's moment…", self, shortcut=QKeySequence("B"))
        for action, what in ((self.tag_clip_action, "tag"), (self.tag_details_action, "tag_details"),
                             (self.mark_in_action, "in"),
                             (self.mark_out_action, "out"), (self.bookmark_action, "bookmark")):
            action.triggered.connect(lambda _=False, w=what: self.on_clip_request(self.grid.selected_tile, w))
            cases_menu.addAction(action)
        self.wall.populate_menu(self.menuBar().addMenu("&Wall"))
        playback_menu = self.menuBar().addMenu("&Playback")
        self.playback.populate_menu(playback_menu)
        self.play_alert_action = QAction("Play back the selected alert", self,
                                         shortcut=QKeySequence("Ctrl+Shift+Return"))
        playback_menu.addAction(self.play_alert_action)
        playback_menu.addSeparator()
        self.hops.populate_menu(playback_menu, self)
        view_menu.addAction(self.timeline_dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        self.audit_action = QAction("Audit trail…", self, shortcut=QKeySequence("Ctrl+Shift+J"))
        may_read_audit = allowed(self.actor.role, Action.READ_AUDIT)
        self.audit_action.setEnabled(may_read_audit)
        if not may_read_audit:
            self.audit_action.setToolTip(f"Your role ({self.actor.role.value}) may not read the audit trail")
        help_menu.addAction(self.audit_action)
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
        self.grid.clip_requested.connect(self.on_clip_request)
        self.clip_requests.message.connect(self.statusBar().showMessage)
        self.clip_requests.bookmarked.connect(self._on_bookmarked)
        self.grid.view_changed.connect(self.viewing.on_view_changed)
        self.playback.mode_changed.connect(lambda *_: self.viewing.on_view_changed())
        self.alert_queue.alert_selected.connect(self.map_view.select_alert)
        self.alert_queue.table.selectionModel().selectionChanged.connect(
            lambda *_: self.hit_view.show_alert(self.alert_queue.current_alert()))
        self.plate_search.trail_requested.connect(self.plates.show_trail)
        self.search_plates_action.triggered.connect(self.plates.search)
        self.new_case_action.triggered.connect(self.on_show_cases)
        self.new_bolo_action.triggered.connect(self.plates.new_bolo)
        self.plates.message.connect(self.statusBar().showMessage)
        self.alert_queue.open_requested.connect(self.response.answer_alert)
        self.alert_queue.attention.connect(self.response.on_attention)
        self.auto_slew.slewed.connect(self.response.on_slewed)
        self.auto_slew.failed.connect(self.response.on_slew_failed)
        self.response_action.triggered.connect(self.response.answer_selected)
        self.next_alert_action.triggered.connect(self.response.focus_queue)
        self.response.message.connect(self.statusBar().showMessage)
        self.response.plate_history_requested.connect(self.plates.show_history)
        self.bridge.event_received.connect(self.on_bus_event)
        self._health_timer.timeout.connect(self._on_health_tick)
        self.quit_action.triggered.connect(self.close)
        self.find_action.triggered.connect(self.on_find_camera)
        self.fullscreen_action.toggled.connect(self.on_fullscreen_toggled)
        self.reset_layout_action.triggered.connect(self.on_reset_layout)
        self.about_action.triggered.connect(self.on_about)
        self.audit_action.triggered.connect(self.on_audit_trail)
        self.playback.bind_timeline(self.timeline, self.grid)
        self.wall.window_opened.connect(self.playback.attach_window)  # playback keys work in detached views too
        self.playback.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.hops.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.hops.follow_changed.connect(self._note_trail)
        self.hops.known_plate = self.response.selected_hit_plate
        self.hops.current_case_id = lambda: case.id if (case := self.case_panel.current_case()) else None
        self.play_alert_action.triggered.connect(self.response.play_back_selected)
        self.playback.mode_changed.connect(lambda _grid, on: self.timeline_dock.show() if on else None)

    # -- behaviour ------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load cameras, alerts and reads from the store off the GUI thread."""
        services, actor = self.services, self.actor

        def load() -> tuple[list[Camera], list[Alert], list[LprRead]]:
            # The live reads are a feed, not a query: no plate_query record (the store audits only a refusal).
            return services.cameras.list(), services.alerts.recent(200), latest_reads(services.plate_reads, actor)

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
            self.map_view.set_alerts(map_worthy(alerts, datetime.now(UTC)))
            self.live_reads.set_reads(reads)
            streets = self._streets
            run_in_background(lambda: NeighbourGraph.build(cameras, streets), self.hops.set_graph,
                              lambda exc: log.warning("camera neighbours unavailable: %s", exc))

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
            actor = self.analytics_actor()  # the person steers: their client checks CONTROL_PTZ
            run_in_background(lambda: self._ptz_client(camera, actor), lambda c: self.ptz_panel.set_camera(camera, c),
                              lambda exc: self.ptz_panel.set_camera(camera, None))

    def on_ptz_center(self, camera: Camera, x: int, y: int, width: int, height: int) -> None:
        """Ctrl+click on a PTZ tile: the panel (already on that camera, the click selected it) centres there."""
        if self.ptz_panel.camera is not None and self.ptz_panel.camera.id == camera.id:
            self.ptz_panel.center_on(x, y, width, height)

    def on_ptz_zoom(self, camera: Camera, steps: int) -> None:
        if self.ptz_panel.camera is not None and self.ptz_panel.camera.id == camera.id:
            self.ptz_panel.zoom_step(steps)

    def _ptz_client(self, camera: Camera, actor: Actor | None = None) -> PtzClient | None:
        """A PTZ client with the camera's login from the keyring. Runs off the GUI thread (keyring may block).
        With ``actor`` it steers for that person (CONTROL_PTZ on every command, refusals audited); without, for
        the centre's auto-slew (see ui.ptz.auto_slew)."""
        if camera.ptz_protocol is PtzProtocol.NONE or self._data_dir is None:
            return None
        login = camera_login(self._data_dir, camera.credential_ref)
        if login is None:
            return None
        client = client_for(camera, *login)
        return client if actor is None else GuardedPtz(client, actor=actor, db=self.services.db, camera_id=camera.id)

    def site_cameras(self) -> list[Camera]:
        """The site's cameras as last loaded (``reload`` replaces them when the site changes)."""
        return list(self._cameras.values())

    def request_switch_user(self) -> None:
        """Close this window so the workstation can log the next person in (shift change, supervisor review)."""
        self.switch_user_requested = True
        self.close()

    def analytics_actor(self) -> Actor:
        """Who the analytics views act as. Until the workstation's login hands the window an ``actor``, the
        window's user counts as an analyst: the least role that may view reports (services still check it)."""
        actor = getattr(self, "actor", None)
        return actor if isinstance(actor, Actor) else Actor(self._user, Role.ANALYST, socket.gethostname())

    def _note_trail(self, trail_id: object) -> None:
        if isinstance(trail_id, int):
            self.session_work.note_trail(trail_id, datetime.now(UTC))

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
            self.response.on_new_alert(event.alert)
        elif isinstance(event, AlertChanged):
            self.alert_queue.upsert(event.alert)
            self.map_view.update_alert(event.alert)
        elif isinstance(event, PlateRead):
            self.live_reads.add_read(event.read)  # dropped for a role that may not see reads
        elif isinstance(event, CamerasChanged):
            self.reload()
        elif isinstance(event, (CaseChanged, ClipChanged, ClipTagged)):
            self.case_panel.on_bus_event(event)
            self.review_panel.on_bus_event(event)

    def on_clip_request(self, tile: VideoView | None, what: str) -> None:
        """I, O, T, Shift+T, B on ``tile`` (see ui/clip_requests.py)."""
        self.clip_requests.handle(tile, what)

    def _on_bookmarked(self, mark: Bookmark) -> None:
        reveal_on_timeline(self.timeline, mark.at)
        if mark.case_id is not None:
            self.case_panel.detail.reload()  # the case's timeline lists its bookmarks

    def on_audit_trail(self) -> None:
        """The audit viewer in its own window (reading it is itself audited)."""
        db, data_dir = self.services.db, self._data_dir
        viewer = AuditViewer(self.services.audit, self.actor, self,
                             anchors=(lambda: check_published(db, data_dir)) if data_dir is not None else None)
        viewer.setWindowFlag(Qt.WindowType.Window)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.resize(1100, 600)
        viewer.show()
        viewer.load()

    def on_show_cases(self) -> None:
        self.cases_dock.show()
        self.cases_dock.raise_()
        if self.timeline_dock.isVisible() and not self.timeline_dock.isFloating() and not self.cases_dock.isFloating():
            # Beside the timeline (in playback) the case would get a sliver of the width, its tabs and buttons cut
            # off: it takes two thirds, the timeline keeps a third.
            third = self.width() // 3
            self.resizeDocks([self.timeline_dock, self.cases_dock], [third, 2 * third], Qt.Orientation.Horizontal)

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
        # Geometry is applied once the window is shown: before that, hidden tabbed docks still count toward the
        # layout's minimum and a restored size would come back taller than it was saved.
        self._pending_geometry = geometry
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

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        geometry, self._pending_geometry = self._pending_geometry, None
        if geometry is not None:
            self.restoreGeometry(geometry)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.ptz_panel.shutdown(wait_ms=2000)
        self._health_timer.stop()
        self.wall.close()
        self.bridge.close()
        super().closeEvent(event)
