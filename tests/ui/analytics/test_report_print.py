"""Printable reports: a real PDF from Qt's writer (checked by its structure) and self-contained HTML."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from c4desk.ui.analytics.report_print import Report


def chart() -> QImage:
    image = QImage(400, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("#3d8bfd"))
    return image


def sample_report() -> Report:
    report = Report("Solvability <test>", "cases opened 2025")
    report.heading("Clearance rates")
    report.table(["Group", "Cases", "Rate"], [["With video", 61, "49.2%"], ["Without video", 92, "37.0%"]])
    report.paragraph("Relative increase: +33% & p = 0.180")
    report.image(chart(), "Figure 1")
    return report


def test_html_is_escaped_and_carries_the_image_inline(qtbot: QtBot, tmp_path: Path) -> None:
    path = sample_report().write(tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "Solvability &lt;test&gt;" in text and "+33% &amp; p = 0.180" in text
    assert '<td class="num">61</td>' in text and "<td>With video</td>" in text
    src = re.search(r'src="data:image/png;base64,([^"]+)"', text)
    assert src is not None
    image = QImage.fromData(QByteArray(base64.b64decode(src.group(1))))
    assert (image.width(), image.height()) == (400, 200)


def test_pdf_has_pages_text_and_the_image(qtbot: QtBot, tmp_path: Path) -> None:
    report = sample_report()
    for i in range(40):  # long enough to need a second page
        report.paragraph(f"Line {i} of a long appendix.")
    path = report.write(tmp_path / "r.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 2
    assert re.search(rb"/Subtype\s*/Image", data)
    # The text itself is glyph ids in compressed streams; the document info carries the title as UTF-16.
    assert "Solvability <test>".encode("utf-16-be") in data


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"use \.pdf or \.html"):
        sample_report().write(tmp_path / "r.docx")
    assert not (tmp_path / "r.docx").exists()

