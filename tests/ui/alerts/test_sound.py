"""The alert chime is our own synthesis, and on a headless Qt platform the sound is off without a Qt warning."""

from __future__ import annotations

import io
import wave

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from c4desk.ui.alerts.sound import SOUND_FILE, SilentSound, default_alert_sound, synthesise_chime


def test_shipped_wav_is_exactly_the_synthesised_chime() -> None:
    data = synthesise_chime()
    assert SOUND_FILE.read_bytes() == data
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert 0.5 < w.getnframes() / w.getframerate() < 1.0


def test_headless_platform_gets_a_silent_sound(qtbot: QtBot) -> None:
    # The suite runs on the offscreen platform, where QtMultimedia logs warnings just by loading (measured).
    parent = QObject()
    sound = default_alert_sound(parent)
    assert isinstance(sound, SilentSound)
    assert "headless" in sound.reason
    sound.play()
    assert sound.plays == 1
