"""Plate crops from the hub's media folder, decoded off the GUI thread, for tables and the hit view.

The hub stores every image an LPR camera sends content-addressed (``<sha256>.<ext>``, see
``integrations.axis_lpr.save_image``) and keeps only that name in the read. A name therefore never changes
meaning: a picture decoded once stays right for ever, so a bounded cache is all the bookkeeping needed.
Names are checked against that exact shape before any file is opened, so a reference from the database can
never make the workstation read outside the media folder.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from c4desk.config import Paths
from c4desk.hub.lpr_routes import MEDIA_SUBDIR
from c4desk.ui.background import run_in_background

IMAGE_REF = re.compile(r"[0-9a-f]{64}\.(?:jpg|png|bmp)")
THUMB_HEIGHT = 26
CACHE_SIZE = 2000  # ~2000 x 100x26 px thumbnails: about 20 MB at most


def plate_media_dir(data_dir: Path) -> Path:
    """Where the hub of this data directory keeps plate and vehicle images."""
    return Paths(data_dir).media_dir / MEDIA_SUBDIR


def _decode(path: Path, height: int | None) -> QImage | None:
    """Runs on a worker thread: QImage (unlike QPixmap) may be used off the GUI thread."""
    image = QImage(str(path))
    if image.isNull():
        return None
    if height is not None and image.height() != height:
        image = image.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation)
    return image


class PlateImages(QObject):
    """Thumbnails and full crops by reference. ``thumbnail`` never blocks: it answers from the cache or starts
    a background load and returns None; ``loaded(ref)`` is emitted when the thumbnail is ready (or known to be
    missing), so a view repaints the rows that show it."""

    loaded = Signal(str)

    def __init__(self, media_dir: Path, *, thumb_height: int = THUMB_HEIGHT, cache_size: int = CACHE_SIZE,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.media_dir = media_dir
        self.thumb_height = thumb_height
        self._cache_size = cache_size
        self._thumbs: OrderedDict[str, QPixmap | None] = OrderedDict()  # None: unreadable or missing
        self._icons: dict[str, QIcon] = {}
        self._pending: set[str] = set()

    def path(self, ref: str) -> Path | None:
        """The file of a well-formed reference (it may not exist); None for anything else."""
        return self.media_dir / ref if IMAGE_REF.fullmatch(ref) else None

    def is_missing(self, ref: str) -> bool:
        """True once a load found no readable image under that reference."""
        return ref in self._thumbs and self._thumbs[ref] is None

    def thumbnail(self, ref: str) -> QPixmap | None:
        if ref in self._thumbs:
            self._thumbs.move_to_end(ref)
            return self._thumbs[ref]
        path = self.path(ref)
        if path is None:
            self._remember(ref, None)
            return None
        if ref not in self._pending:
            self._pending.add(ref)
            height = self.thumb_height
            run_in_background(lambda: _decode(path, height), lambda image: self._on_thumb(ref, image),
                              lambda _exc: self._on_thumb(ref, None))
        return None

    def icon(self, ref: str) -> QIcon | None:
        """The thumbnail as an icon that looks the same in a selected row (Qt would tint it otherwise: a
        plate's colours are evidence)."""
        pixmap = self.thumbnail(ref)
        if pixmap is None:
            return None
        icon = self._icons.get(ref)
        if icon is None:
            icon = QIcon()
            for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
                icon.addPixmap(pixmap, mode)
            self._icons[ref] = icon
        return icon

    def load(self, ref: str, done: Callable[[QPixmap | None], None], *, height: int | None = None,
             owner: QWidget | None = None) -> None:
        """Decode one image at ``height`` (its own size if None) in the background; ``done(pixmap or None)``
        on the GUI thread. With ``owner``, nothing is called once that widget is gone."""
        path = self.path(ref)
        if path is None:
            done(None)
            return

        def deliver(image: QImage | None) -> None:
            if owner is not None and not isValid(owner):
                return
            done(None if image is None else QPixmap.fromImage(image))

        run_in_background(lambda: _decode(path, height), deliver, lambda _exc: deliver(None))

    def _on_thumb(self, ref: str, image: QImage | None) -> None:
        self._pending.discard(ref)
        self._remember(ref, None if image is None else QPixmap.fromImage(image))
        self.loaded.emit(ref)

    def _remember(self, ref: str, pixmap: QPixmap | None) -> None:
        self._thumbs[ref] = pixmap
        self._thumbs.move_to_end(ref)
        while len(self._thumbs) > self._cache_size:
            old, _ = self._thumbs.popitem(last=False)
            self._icons.pop(old, None)

