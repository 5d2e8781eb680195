"""The priority-1 alert sound: a two-tone chime synthesised here (no third-party asset), and how it is played.

``resources/sounds/priority1.wav`` is exactly what ``synthesise_chime()`` returns (a test checks it);
``python -m c4desk.ui.alerts.sound`` writes it again.

Playing it: QtMultimedia's QSoundEffect where there is an audio output. Measured on a headless box (offscreen
platform, no PulseAudio/PipeWire): importing QtMultimedia already logs Qt warnings (``Couldn't load pipewire-0.3
library``), and playing logs ``PulseAudioService: pa_context_connect() failed`` and ``QSoundEffect: playback of
this format is not supported``. So on a headless Qt platform QtMultimedia is never imported and the sound is
off (logged once); where Qt has a screen but no audio output, ``QApplication.beep()`` stands in.
"""

from __future__ import annotations

import logging
import math
import struct
import sys
import tempfile
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

SOUND_FILE = Path(__file__).resolve().parents[3] / "resources" / "sounds" / "priority1.wav"
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "vnc"})
RATE = 22_050
# (frequency Hz, seconds): two rising notes, twice. Attention-getting without being a siren.
CHIME = ((880.0, 0.12), (0.0, 0.04), (1320.0, 0.16), (0.0, 0.10), (880.0, 0.12), (0.0, 0.04), (1320.0, 0.16))
AMPLITUDE = 0.45
FADE_S = 0.006  # in and out of every note, so it does not click


def synthesise_chime(rate: int = RATE) -> bytes:
    """The chime as a 16-bit mono PCM WAV file (deterministic: the same bytes every time)."""
    samples: list[int] = []
    for freq, seconds in CHIME:
        n = round(seconds * rate)
        fade = max(1, round(FADE_S * rate))
        for i in range(n):
            if freq == 0.0:
                samples.append(0)
                continue
            envelope = min(1.0, i / fade, (n - 1 - i) / fade)
            samples.append(round(32767 * AMPLITUDE * envelope * math.sin(2 * math.pi * freq * i / rate)))
    data = struct.pack(f"<{len(samples)}h", *samples)
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, 1, rate,
                         rate * 2, 2, 16, b"data", len(data))
    return header + data


def chime_file() -> Path:
    """The shipped WAV, or (when resources/ is not there, e.g. an unusual install) one written to a temp dir."""
    if SOUND_FILE.is_file():
        return SOUND_FILE
    path = Path(tempfile.gettempdir()) / "c4desk-priority1.wav"
    data = synthesise_chime()
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


class AlertSound(Protocol):
    def play(self) -> None: ...


class SilentSound:
    """No sound, for a reason that was logged once (and is kept for the curious: ``reason``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.plays = 0

    def play(self) -> None:
        self.plays += 1


class BeepSound:
    def play(self) -> None:
        QApplication.beep()


class EffectSound:
    """QSoundEffect playing the chime; the system beep when the effect failed to load."""

    def __init__(self, parent: QObject) -> None:
        from PySide6.QtMultimedia import QSoundEffect

        self.effect = QSoundEffect(parent)
        self.effect.setSource(QUrl.fromLocalFile(str(chime_file())))
        self.effect.setVolume(0.8)

    def play(self) -> None:
        from PySide6.QtMultimedia import QSoundEffect

        if self.effect.status() == QSoundEffect.Status.Error:
            QApplication.beep()
        else:
            self.effect.play()


def default_alert_sound(parent: QObject) -> AlertSound:
    """The best sound this machine can make without Qt complaining (see the module docstring)."""
    platform = QGuiApplication.platformName()
    if platform in HEADLESS_PLATFORMS:
        reason = f"Qt platform {platform!r} is headless: alert sound off"
        log.info(reason)
        return SilentSound(reason)
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError as exc:  # a trimmed install without QtMultimedia
        log.info("QtMultimedia unavailable (%s): alert sound is the system beep", exc)
        return BeepSound()
    if not QMediaDevices.audioOutputs():
        log.info("no audio output device: alert sound is the system beep")
        return BeepSound()
    return EffectSound(parent)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SOUND_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(synthesise_chime())
    print(f"wrote {target}")
