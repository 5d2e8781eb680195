"""Plate crops in the read tables: thumbnails decoded from the hub's content-addressed media folder.

Real files written by the hub's own ``save_image``, real JPEG decoding, real Qt item views.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPixmap
from pytestqt.qtbot import QtBot

from c4desk.demo.render import plate_crop_jpeg
from c4desk.domain.camera import parse_camera
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.integrations.axis_lpr import save_image
from c4desk.ui.lpr.plate_images import PlateImages, plate_media_dir
from c4desk.ui.lpr.read_table import IMAGE_COLUMN, IMAGE_HEADER, MISSING_IMAGE, NO_IMAGE, PlateReadTable

NOW = datetime.now(UTC)


@pytest.fixture
def media(data_dir: Path) -> Path:
    return plate_media_dir(data_dir)


def read(plate: str, ref: str = "", minutes_ago: int = 1, read_id: int | None = None) -> LprRead:
    return LprRead(id=read_id, camera_id="lprA", plate_raw=plate, read_at=NOW - timedelta(minutes=minutes_ago),
                   region="CT", plate_image_ref=ref)


def pixels(pixmap: QPixmap) -> np.ndarray:
    image = pixmap.toImage().convertToFormat(pixmap.toImage().Format.Format_RGB888)
    ptr = image.constBits()
    return np.frombuffer(ptr, np.uint8, image.sizeInBytes()).reshape(image.height(), image.bytesPerLine())[
        :, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_thumbnail_appears_beside_the_plate(qtbot: QtBot, media: Path) -> None:
    ref = save_image(media, plate_crop_jpeg("6PZ193"))
    images = PlateImages(media)
    table = PlateReadTable(images=images)
    qtbot.addWidget(table)
    table.records.set_records([read("6PZ193", ref, read_id=1), read("AB1234", "", read_id=2)])
    assert table.records.headerData(IMAGE_COLUMN, Qt.Orientation.Horizontal) == IMAGE_HEADER
    cell = table.records.index(0, IMAGE_COLUMN)
    # The first ask starts a background decode; the model repaints the cell when it is done.
    assert table.records.data(cell, Qt.ItemDataRole.DecorationRole) is None
    with qtbot.waitSignal(table.records.dataChanged, timeout=5000):
        pass
    icon = table.records.data(cell, Qt.ItemDataRole.DecorationRole)
    assert isinstance(icon, QIcon)
    thumb = images.thumbnail(ref)
    assert isinstance(thumb, QPixmap) and thumb.height() == images.thumb_height
    assert 80 <= thumb.width() <= 110  # a 240x64 crop keeps its shape
    rgb = pixels(thumb)
    assert rgb[2:-2, 2:-2].mean() > 150  # the light plate, with dark characters on it
    assert (rgb.min(axis=2) < 80).any()
    assert table.records.data(table.records.index(1, IMAGE_COLUMN)) == NO_IMAGE


def test_missing_and_malformed_references_read_as_missing(qtbot: QtBot, media: Path) -> None:
    images = PlateImages(media)
    table = PlateReadTable(images=images)
    qtbot.addWidget(table)
    gone = "0" * 64 + ".jpg"
    table.records.set_records([read("6PZ193", gone, read_id=1), read("AB1234", "../../etc/passwd", read_id=2)])
    with qtbot.waitSignal(images.loaded, timeout=5000):
        table.records.data(table.records.index(0, IMAGE_COLUMN), Qt.ItemDataRole.DecorationRole)
    assert table.records.data(table.records.index(0, IMAGE_COLUMN)) == MISSING_IMAGE
    # Never opened: a reference must look like <sha256>.<ext> before it becomes a path.
    assert images.path("../../etc/passwd") is None
    assert table.records.data(table.records.index(1, IMAGE_COLUMN), Qt.ItemDataRole.DecorationRole) is None
    assert table.records.data(table.records.index(1, IMAGE_COLUMN)) == MISSING_IMAGE


def test_one_image_shown_by_many_rows_is_decoded_once(qtbot: QtBot, media: Path) -> None:
    ref = save_image(media, plate_crop_jpeg("6PZ193"))
    images = PlateImages(media)
    table = PlateReadTable(images=images)
    qtbot.addWidget(table)
    table.records.set_records([read("6PZ193", ref, m, read_id=m) for m in range(1, 6)])
    loads: list[str] = []
    images.loaded.connect(loads.append)
    for row in range(5):
        table.records.data(table.records.index(row, IMAGE_COLUMN), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: loads == [ref], timeout=5000)
    assert all(isinstance(table.records.data(table.records.index(r, IMAGE_COLUMN), Qt.ItemDataRole.DecorationRole),
                          QIcon) for r in range(5))
    qtbot.wait(100)
    assert loads == [ref]


def test_table_without_images_has_no_image_column(qtbot: QtBot, services: Services) -> None:
    table = PlateReadTable()
    qtbot.addWidget(table)
    headers = [table.records.headerData(c, Qt.Orientation.Horizontal) for c in range(table.records.columnCount())]
    assert IMAGE_HEADER not in headers and headers[:2] == ["Read", "Plate"]


def test_live_reads_get_thumbnails_as_they_arrive(qtbot: QtBot, services: Services, media: Path) -> None:
    services.cameras.upsert_many([parse_camera({"id": "lprA", "name": "lprA", "lat": 41.76, "lon": -72.67,
                                                "kind": "lpr"})])
    ref = save_image(media, plate_crop_jpeg("8KD4410"))
    images = PlateImages(media)
    table = PlateReadTable(images=images)
    qtbot.addWidget(table)
    table.show()
    stored = services.plate_reads.add(read("8KD4410", ref))
    table.records.upsert(stored)  # as the main window does on a PlateRead event
    cell = table.records.index(0, IMAGE_COLUMN)
    qtbot.waitUntil(lambda: isinstance(table.records.data(cell, Qt.ItemDataRole.DecorationRole), QIcon),
                    timeout=5000)
