"""The window's plate work: Ctrl+L (the plate search, or the selected hit's plate searched at once), a plate's
history brought to the front, a plate's reads drawn as a trail on the map, and Ctrl+B (a new BOLO).

Everything is asked of the store for the person logged in (``PlateSearchPanel`` and ``BoloDialog`` pass their
actor; the store checks SEARCH_PLATES / EDIT_BOLO and audits). A plate whose history is asked counts as worked on
for the next new case (``SessionWork``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDockWidget, QTabWidget, QWidget

from c4desk.domain.camera import Camera
from c4desk.domain.permissions import Actor
from c4desk.domain.plates import LprRead
from c4desk.integrations.owner_lookup import OwnerLookupClient
from c4desk.store.hotlists import HotlistRepository
from c4desk.ui.cases.session_work import SessionWork
from c4desk.ui.lpr.bolo_dialog import BoloDialog
from c4desk.ui.lpr.search_panel import PlateSearchPanel
from c4desk.ui.map.map_view import MapView
from c4desk.ui.timefmt import local_time

OwnerLookup = Callable[[], OwnerLookupClient | None]


def owner_lookup_for(url: str) -> OwnerLookup:
    """The search panel's owner look-up (called on a worker thread): a client of the registration service at
    ``url``, or none when the centre has none configured (``lpr.owner_lookup_url`` empty)."""
    def lookup() -> OwnerLookupClient | None:
        return OwnerLookupClient(url) if url else None

    return lookup


def trail_id(plate: str) -> str:
    """The map's id of a plate's trail (one per plate: showing it again replaces it)."""
    return f"plate-{plate}"


class PlateDesk(QObject):
    message = Signal(str, int)  # text, milliseconds to show it

    def __init__(self, *, search: PlateSearchPanel, tabs: QTabWidget, dock: QDockWidget, map_view: MapView,
                 hotlists: HotlistRepository, actor: Actor, session_work: SessionWork,
                 cameras: Callable[[], Sequence[Camera]], selected_plate: Callable[[], str],
                 window: QWidget) -> None:
        """``search`` sits in ``tabs`` in ``dock``. ``cameras``: the site's cameras now. ``selected_plate``: the
        plate of the hit selected in the alert queue, or "". ``window``: the BOLO dialog's parent (and this
        controller's)."""
        super().__init__(window)
        self._search = search
        self._tabs = tabs
        self._dock = dock
        self._map = map_view
        self._hotlists = hotlists
        self._actor = actor
        self._work = session_work
        self._cameras = cameras
        self._selected_plate = selected_plate
        self._window = window

    def search(self) -> None:
        """Ctrl+L: the plate search; on the selected hit's plate, searched at once, when a hit is selected."""
        plate = self._selected_plate()
        if plate:
            self.show_history(plate)
            return
        self._bring_search_forward()
        self._search.pattern.setFocus()
        self._search.pattern.selectAll()

    def show_history(self, plate: str) -> None:
        """Every read of ``plate`` in the Plates dock (first/last seen, owner lookup), searched now."""
        self._work.note_plate(plate, datetime.now(UTC))
        self._bring_search_forward()
        self._search.pattern.setText(plate)
        self._search.run_search()

    def show_trail(self, plate: str, reads: Sequence[LprRead]) -> None:
        """The plate's reads as a time-ordered trail on the map (reads of cameras the site no longer has are left
        out: they have no place)."""
        cameras = {c.id: c for c in self._cameras()}
        points = [(c.lat, c.lon, f"{local_time(r.read_at)} {c.id}") for r in reads
                  if (c := cameras.get(r.camera_id)) is not None]
        self._map.show_trail(trail_id(plate), points)

    def new_bolo(self) -> None:
        """Ctrl+B: the BOLO form, on the plate in the search field; the status bar says when it is stored."""
        dialog = BoloDialog(self._hotlists, self._actor, self._window, plate=self._search.pattern.text())
        if dialog.exec() and dialog.stored is not None:
            self.message.emit(f"BOLO {dialog.stored.plate} saved; reads are matched against it now", 8000)

    def _bring_search_forward(self) -> None:
        self._dock.show()
        self._dock.raise_()
        self._tabs.setCurrentWidget(self._search)
