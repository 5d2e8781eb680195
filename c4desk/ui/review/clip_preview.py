"""A clip played from the recording, for the reviewer: the real recorded frames of its span, looping.

It uses the wall's own playback engine (``c4desk.media.playback.PlaybackPlayer`` on a private ``MediaClock``):
the player decodes on its own thread into pictures of the preview's size; a GUI timer takes the newest one.
The clock starts paused at the clip's in point, so the first thing shown is the still frame the clip starts
on; Play runs it at 1x and it loops back to the in point at the out point. Where nothing is recorded the
player's notice ("no recording") is shown instead of an old picture.

The player is stopped when the preview is hidden or shows another clip, so a closed review tab costs nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QHideEvent, QImage, QPixmap, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from c4desk.media.playback import MediaClock, PlaybackPlayer, SegmentSource
from c4desk.media.player import Frame
from c4desk.store.clips import Clip
from c4desk.ui import theme

POLL_MS = 50


def _time(clip: Clip, ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone().strftime("%H:%M:%S.%f")[:-3] + \
        f"  ({ts - clip.start_at.timestamp():+.1f} s of {clip.duration_s:.1f} s)"


class ClipPreview(QWidget):
    def __init__(self, recordings: SegmentSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._recordings = recordings
        self.clip: Clip | None = None
        self.player: PlaybackPlayer | None = None
        self.clock: MediaClock | None = None
        self._seq = -1
        self.frames_shown = 0
        self.picture = QLabel("Select a clip to preview it")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 180)
        # Ignored: the picture is scaled to the label, so its size must never feed back into the layout.
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setStyleSheet(f"background: #000; color: {theme.MUTED};")
        self.caption = QLabel()
        self.caption.setStyleSheet(f"color: {theme.MUTED};")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the clip from its in point, looping (Space)")
        self.restart_button = QPushButton("From the start")
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.restart_button)
        controls.addWidget(self.caption, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, 1)
        layout.addLayout(controls)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.restart_button.clicked.connect(self.restart)
        self._enable(False)

    def sizeHint(self) -> QSize:
        return QSize(480, 320)

    def _enable(self, on: bool) -> None:
        self.play_button.setEnabled(on)
        self.restart_button.setEnabled(on)

    def set_clip(self, clip: Clip | None) -> None:
        """Show ``clip`` (paused at its in point); None clears the preview."""
        self.stop()
        self.clip = clip
        self.frames_shown = 0
        self.play_button.setChecked(False)
        if clip is None:
            self.picture.setPixmap(QPixmap())
            self.picture.setText("Select a clip to preview it")
            self.caption.setText("")
            self._enable(False)
            return
        self.picture.setText("Loading the recording ...")
        self.clock = MediaClock(clip.start_at)
        self.player = PlaybackPlayer(clip.camera_id, self._recordings, self.clock, target_size=self._box())
        self.player.start()
        self._enable(True)
        self._timer.start()

    def stop(self) -> None:
        """Stop decoding (the player's thread ends); the last picture stays on screen."""
        self._timer.stop()
        player, self.player = self.player, None
        if player is not None:
            player.stop()
        self._seq = -1

    def play(self) -> None:
        self.play_button.setChecked(True)

    def pause(self) -> None:
        self.play_button.setChecked(False)

    def restart(self) -> None:
        if self.clock is not None and self.clip is not None:
            self.clock.seek(self.clip.start_at)

    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if self.clip is not None and self.player is None:  # hidden and shown again: start where it was
            self.set_clip(self.clip)
            self.play_button.setChecked(on)
            return
        if self.clock is not None:
            self.clock.play(1.0) if on else self.clock.pause()

    def _box(self) -> tuple[int, int]:
        size = self.picture.size()
        return max(64, size.width()), max(36, size.height())

    def _poll(self) -> None:
        player, clock, clip = self.player, self.clock, self.clip
        if player is None or clock is None or clip is None:
            return
        if clock.playing and clock.position() >= clip.end_at:
            clock.seek(clip.start_at)  # loop the clip's span
        frame = player.latest_frame()
        notice = player.notice
        if notice:
            self.picture.setPixmap(QPixmap())
            self.picture.setText(f"{clip.camera_id}: {notice}")
        elif frame is not None and frame.seq != self._seq:
            self._seq = frame.seq
            self._paint(frame)
        if frame is not None and frame.pts_s is not None:
            self.caption.setText(_time(clip, frame.pts_s))

    def _paint(self, frame: Frame) -> None:
        image = QImage(frame.data, frame.width, frame.height, frame.stride, QImage.Format.Format_RGB32)
        pixmap = QPixmap.fromImage(image)  # a copy: the frame's buffer may go with the frame
        box = self.picture.size()
        if pixmap.width() < box.width() and pixmap.height() < box.height():  # decoders never scale up; Qt does
            pixmap = pixmap.scaled(box, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
        self.picture.setPixmap(pixmap)
        self.frames_shown += 1

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.player is not None:
            width, height = self._box()
            self.player.set_target_size(width, height)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.clip is not None and self.player is None:  # shown again: the in point's frame, paused
            self.set_clip(self.clip)

    def hideEvent(self, event: QHideEvent) -> None:
        self.stop()
        super().hideEvent(event)
