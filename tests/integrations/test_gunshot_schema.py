"""The JSON Schema documenting the gunshot payload and the parser agree: on hand-picked examples and on
generated payloads, a payload is valid by the schema exactly when ``parse_gunshot`` accepts it.

The venv has no JSON Schema library, so ``schema_errors`` below evaluates the keywords the schema uses (and
fails on any other, so a keyword added to the schema cannot be silently ignored). ECMAScript regex semantics
are kept where they differ from Python's: ``$`` is the end of input only, and ``\\d`` is [0-9].
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c4desk.domain.errors import ValidationError
from c4desk.integrations.gunshot import SCHEMA_RESOURCE, parse_gunshot

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "resources" / SCHEMA_RESOURCE
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
ANNOTATIONS = {"$schema", "$id", "title", "description", "examples", "format"}
RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))", re.ASCII)


def _type_ok(value: Any, name: str) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if name == "number":
        return True
    if name == "integer":
        return isinstance(value, int) or value.is_integer()
    raise AssertionError(f"unknown type {name}")


def _date_time_ok(text: str) -> bool:
    """RFC 3339 section 5.6 date-time, semantically (the ``format`` keyword, asserted here)."""
    m = RFC3339.fullmatch(text)
    if m is None:
        return False
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    try:
        datetime(y, mo, d)
    except ValueError:
        return False
    if h > 23 or mi > 59 or s > 60:
        return False
    return m.group(9) is None or (int(m.group(9)) <= 23 and int(m.group(10)) <= 59)


def schema_errors(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    out: list[str] = []
    unknown = set(schema) - ANNOTATIONS - {"type", "enum", "required", "properties", "additionalProperties",
                                           "minLength", "maxLength", "pattern", "minimum", "maximum"}
    assert not unknown, f"schema keyword(s) this test does not evaluate: {unknown}"
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, t) for t in types):
            return [f"{path}: type"]
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        out.append(f"{path}: enum")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            out.append(f"{path}: length")
        if "pattern" in schema:
            pattern = schema["pattern"]
            pattern = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
            if not re.search(pattern, value, re.ASCII):
                out.append(f"{path}: pattern")
        if schema.get("format") == "date-time" and not _date_time_ok(value):
            out.append(f"{path}: format")
    if _type_ok(value, "number"):
        if "minimum" in schema and not value >= schema["minimum"]:
            out.append(f"{path}: minimum")
        if "maximum" in schema and not value <= schema["maximum"]:
            out.append(f"{path}: maximum")
    if isinstance(value, dict):
        out += [f"{path}.{k}: required" for k in schema.get("required", []) if k not in value]
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                out += schema_errors(props[k], v, f"{path}.{k}")
            elif schema.get("additionalProperties", True) is False:
                out.append(f"{path}.{k}: additional")
    return out


def parser_accepts(value: Any) -> bool:
    try:
        parse_gunshot(value)
    except ValidationError:
        return False
    return True


VALID: list[dict[str, Any]] = [
    *SCHEMA["examples"],
    {"id": "1", "type": "other", "rounds": 0, "lat": -90, "lon": 180, "detected_at": "1999-12-31T23:59:59.999-12:00"},
    {"id": "A b", "type": "probable_gunfire", "rounds": 2.0, "lat": 0.5, "lon": -0.5,
     "detected_at": "2024-02-29t00:00:00z", "address": None, "beat": "", "district": None, "status": None,
     "extra": None},
]
INVALID: list[Any] = [
    [],
    "x",
    {},
    {**VALID[1], "id": " 1"},
    {**VALID[1], "id": "1\n"},
    {**VALID[1], "type": "Other"},
    {**VALID[1], "rounds": True},
    {**VALID[1], "rounds": 1.5},
    {**VALID[1], "rounds": -1},
    {**VALID[1], "lat": 90.5},
    {**VALID[1], "lat": "1"},
    {**VALID[1], "detected_at": "2024-02-29T00:00:00"},
    {**VALID[1], "detected_at": "2023-02-29T00:00:00Z"},
    {**VALID[1], "detected_at": "2023-01-01T00:00:60Z"},
    {**VALID[1], "status": "closed"},
    {**VALID[1], "extra": []},
    {**VALID[1], "lng": 1.0},
]


def test_schema_file_is_json_schema_2020_12_and_lists_the_parsers_fields() -> None:
    from c4desk.integrations.gunshot import KNOWN, REQUIRED

    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(SCHEMA["properties"]) == set(KNOWN)
    assert SCHEMA["required"] == list(REQUIRED)


@pytest.mark.parametrize("payload", VALID)
def test_valid_examples(payload: dict[str, Any]) -> None:
    assert schema_errors(SCHEMA, payload) == []
    assert parser_accepts(payload)


@pytest.mark.parametrize("payload", INVALID)
def test_invalid_examples(payload: Any) -> None:
    assert schema_errors(SCHEMA, payload) != []
    assert not parser_accepts(payload)


# --- every field's edge values, one at a time, on every valid base --------------------------------------

ABSENT = object()
EDGES: dict[str, list[Any]] = {
    "id": ["", "a", "~", " a", "a ", "a b", "a\n", "\ta", "é", "x" * 128, "x" * 129, 5, None, ABSENT],
    "type": ["single_gunshot", "multiple_gunshots", "probable_gunfire", "other", "Other", "", 1, None, ABSENT],
    "rounds": [0, 1, 10_000, 10_001, -1, 4.0, 4.5, True, False, "4", 1e308, float("inf"), None, ABSENT],
    "lat": [-90, 90, 90.0000001, -90.0000001, 0, 0.0, 1e-300, True, "1", 10**400, float("-inf"), None, ABSENT],
    "lon": [-180, 180, 180.0000001, -180.0000001, 179.999999, False, [1], None, ABSENT],
    "detected_at": ["2026-07-04T21:14:05Z", "2026-07-04T21:14:05.1+05:30", "2026-07-04T21:14:05",
                    "2026-07-04T21:14:05+0530", "2026-07-04 21:14:05Z", "2026-07-04T21:14Z",
                    "2026-13-04T21:14:05Z", "2026-02-29T21:14:05Z", "2028-02-29T21:14:05Z", "2026-07-04T21:14:60Z",
                    "2026-07-04T24:00:00Z", "2026-07-04T21:14:05+24:00", "2026-07-04T21:14:05-00:60",
                    "0000-01-01T00:00:00Z", "2026-07-04T21:14:05.Z", "2026-07-04T21:14:05Z ", 1751663645, None,
                    ABSENT],
    "address": ["", "a" * 200, "a" * 201, None, 5, ABSENT],
    "beat": ["b" * 32, "b" * 33, None, True, ABSENT],
    "district": ["d" * 64, "d" * 65, None, {}, ABSENT],
    "status": ["new", "update", "New", "", None, 1, ABSENT],
    "extra": [{}, {"a": [1, {"b": None}]}, [], "x", 0, None, ABSENT],
}


def test_schema_and_parser_agree_on_each_fields_edges() -> None:
    disagreements = []
    for base in VALID:
        for name, values in EDGES.items():
            for value in values:
                payload = {k: v for k, v in base.items() if k != name}
                if value is not ABSENT:
                    payload[name] = value
                by_schema = schema_errors(SCHEMA, payload) == []
                if by_schema != parser_accepts(payload):
                    disagreements.append((name, value, "schema accepts" if by_schema else "parser accepts"))
    assert disagreements == []


# --- generated payloads: mostly plausible values, some hostile --------------------------------------------

junk = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False),
                 st.text(max_size=5), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
times = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
    st.builds(lambda d, frac, zone: d.strftime("%Y-%m-%dT%H:%M:%S") + frac + zone,
              st.datetimes(min_value=datetime(1000, 1, 1)), st.sampled_from(["", ".5", ".123456789"]),
              st.sampled_from(["Z", "z", "+00:00", "-05:00", "+14:00", "+23:59", "+24:00", "-05:60", "+0500", ""])),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z"),
    st.text(max_size=25),
)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(st.text(max_size=6), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=130),
                    st.sampled_from(["SST-1", " SST", "SST ", "é"]), junk),
    "type": st.one_of(st.sampled_from(["single_gunshot", "multiple_gunshots", "probable_gunfire", "other",
                                       "Single_Gunshot", ""]), junk),
    "rounds": st.one_of(st.integers(-3, 10_003), st.floats(-2, 10_002), st.sampled_from([4.0, 10_000.0]), junk),
    "lat": st.one_of(st.floats(-91, 91), st.integers(-91, 91), st.sampled_from([90, -90, 90.0000001]), junk),
    "lon": st.one_of(st.floats(-181, 181), st.integers(-181, 181), st.sampled_from([180, -180.0]), junk),
    "detected_at": st.one_of(times, junk),
    "address": st.one_of(st.text(max_size=3), st.text(min_size=199, max_size=202), junk),
    "beat": st.one_of(st.text(max_size=3), st.text(min_size=31, max_size=33), junk),
    "district": st.one_of(st.text(max_size=3), st.text(min_size=63, max_size=65), junk),
    "status": st.one_of(st.sampled_from(["new", "update", "New"]), junk),
    "extra": st.one_of(st.dictionaries(st.text(max_size=3), junk, max_size=2), junk),
}


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A valid payload with one field (sometimes two) drawn or removed: a disagreement on any single field's
    rule shows up, which fully random payloads (nearly always invalid twice over) would hide."""
    out: dict[str, Any] = dict(draw(st.sampled_from(VALID)))
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=2, unique=True))
    for name in names:
        if draw(st.integers(0, 7)) == 0:
            out.pop(name, None)
        else:
            out[name] = draw(FIELDS[name])
    if draw(st.integers(0, 9)) == 0:
        out[draw(st.sampled_from(["lng", "adress", "Type", "x"]))] = draw(junk)
    return out


@settings(max_examples=1000)
@given(payloads())
def test_schema_and_parser_agree_on_generated_payloads(payload: dict[str, Any]) -> None:
    by_schema = schema_errors(SCHEMA, payload) == []
    assert by_schema == parser_accepts(payload), schema_errors(SCHEMA, payload)
