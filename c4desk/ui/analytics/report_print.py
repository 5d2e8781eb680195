"""Printable reports: a title, paragraphs, tables and chart images, written as PDF (Qt's own PDF writer through a
QTextDocument) or as one self-contained HTML file (images inline), chosen by the file's suffix.

A supervisor hands these to command staff, so they are laid out for paper: black on white, A4, page numbers by
Qt's text layout, charts rendered light (see ``PlotPanel.image(light=True)``).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QUrl
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument

IMAGE_WIDTH = 620  # document pixels: the text width of an A4 page with 15 mm margins
CSS = """
body { font-family: sans-serif; color: #111; }
h1 { font-size: 16pt; margin-bottom: 2px; }
h2 { font-size: 12pt; margin-top: 14px; }
p.meta { color: #555; font-size: 8pt; }
table { border-collapse: collapse; margin: 6px 0; }
th { background: #e8e8e8; text-align: left; }
th, td { border: 1px solid #999; padding: 3px 6px; font-size: 9pt; }
td.num { text-align: right; }
p.caption { color: #555; font-size: 8pt; }
"""


@dataclass
class _Image:
    name: str
    image: QImage
    caption: str


@dataclass
class Report:
    """Build with ``heading``/``paragraph``/``table``/``image``, then ``write(path)`` (.pdf, or .html/.htm)."""

    title: str
    subtitle: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now().astimezone())
    _parts: list[str | _Image] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self._parts.append(f"<h2>{html.escape(text)}</h2>")

    def paragraph(self, text: str) -> None:
        self._parts.append(f"<p>{html.escape(text)}</p>")

    def table(self, headers: list[str], rows: list[list[object]]) -> None:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in rows)
        # QTextDocument ignores CSS borders on tables; the border/cellspacing attributes draw the rules there.
        self._parts.append(f'<table border="1" cellspacing="0" cellpadding="3"><tr>{head}</tr>{body}</table>')

    def image(self, image: QImage, caption: str = "") -> None:
        self._parts.append(_Image(f"chart{len(self._parts)}.png", image, caption))

    # -- output --------------------------------------------------------------------------------------
    def html(self, *, inline_images: bool) -> str:
        """The report as HTML; images inline as data: URIs, or by name (resources of a QTextDocument)."""
        parts = [f"<h1>{html.escape(self.title)}</h1>"]
        if self.subtitle:
            parts.append(f"<p>{html.escape(self.subtitle)}</p>")
        parts.append(f'<p class="meta">Generated {self.generated_at.strftime("%Y-%m-%d %H:%M %Z")} by c4desk</p>')
        for part in self._parts:
            if isinstance(part, _Image):
                src = f"data:image/png;base64,{_png_base64(part.image)}" if inline_images else part.name
                parts.append(f'<p><img src="{src}" width="{IMAGE_WIDTH}"></p>')
                if part.caption:
                    parts.append(f'<p class="caption">{html.escape(part.caption)}</p>')
            else:
                parts.append(part)
        return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(self.title)}</title>"
                f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")

    def write(self, path: Path) -> Path:
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            self.write_pdf(path)
        elif suffix in (".html", ".htm"):
            path.write_text(self.html(inline_images=True), encoding="utf-8")
        else:
            raise ValueError(f"report file: {path.name}: use .pdf or .html")
        return path

    def write_pdf(self, path: Path) -> None:
        writer = QPdfWriter(str(path))
        writer.setTitle(self.title)
        writer.setCreator("c4desk")
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                         QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
        document = QTextDocument()
        document.setDefaultStyleSheet(CSS)
        for part in self._parts:
            if isinstance(part, _Image):
                document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(part.name), part.image)
        document.setHtml(self.html(inline_images=False))
        document.print_(writer)
        if not path.exists() or path.stat().st_size == 0:
            raise OSError(f"could not write {path}")


def _td(value: object) -> str:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return f'<td class="num">{html.escape(str(value))}</td>' if numeric else f"<td>{html.escape(str(value))}</td>"


def _png_base64(image: QImage) -> str:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub wants bytes; the binding wants str
    buffer.close()
    return base64.b64encode(bytes(data.data())).decode("ascii")
