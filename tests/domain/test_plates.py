"""Plate normalisation and the LPR read record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c4desk.domain.errors import ValidationError
from c4desk.domain.plates import LprRead, normalise_plate

NOW = datetime(2026, 7, 4, 21, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6pz-193", "6PZ193"),
        (" ab 123.cd ", "AB123CD"),
        ("8KD\u20134410", "8KD4410"),
        ("AB\t12\n34", "AB1234"),
        ("A\u00a0B", "AB"),
        ("---", ""),
        ("", ""),
        ("ÄÖ-1", "ÄÖ1"),
    ],
)
def test_normalise_plate(raw: str, expected: str) -> None:
    assert normalise_plate(raw) == expected


@given(st.text(max_size=20))
def test_normalise_plate_is_idempotent_and_separator_free(text: str) -> None:
    once = normalise_plate(text)
    assert normalise_plate(once) == once
    assert not any(c in once for c in " -.\t\n")


def test_read_plate_norm() -> None:
    read = LprRead(camera_id="lpr-1", plate_raw="6pz 193", read_at=NOW, confidence=0.9, direction="out")
    assert read.plate_norm == "6PZ193" and read.id is None


def test_read_validation_lists_every_problem() -> None:
    with pytest.raises(ValidationError) as info:
        LprRead(
            camera_id=" ", plate_raw=" - ", read_at=datetime(2026, 7, 4), confidence=1.5, direction="north"
        )
    assert [str(e) for e in info.value.errors] == [
        "camera_id: required",
        "plate: no plate characters",
        "read_at: must carry a time zone (UTC)",
        "confidence: 1.5 is outside [0, 1]",
        "direction: 'north' not one of in, out or empty",
    ]


def test_read_confidence_must_be_finite() -> None:
    with pytest.raises(ValidationError, match="confidence: nan is outside"):
        LprRead(camera_id="lpr-1", plate_raw="AB1", read_at=NOW, confidence=float("nan"))
