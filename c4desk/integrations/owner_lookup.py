"""Registered-owner look-up over HTTP: ``GET {base}/owners/{plate}`` -> name, address, position, vehicle.

One client per service, with bounded timeouts, and every failure turned into one message an analyst can act on
(unreachable, too slow, refused, broken answer). A plate with no record is ``None``, not an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from c4desk.domain.plates import normalise_plate

DEFAULT_TIMEOUT = (3.05, 10.0)  # (connect, read) seconds


class OwnerLookupError(Exception):
    """The look-up failed; ``str(exc)`` says why in one line."""


@dataclass(frozen=True)
class OwnerRecord:
    plate: str
    name: str
    address: str
    lat: float | None = None
    lon: float | None = None
    vehicle: Mapping[str, str] = field(default_factory=dict)


def _coordinate(data: Mapping[str, Any], name: str, limit: float) -> float | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise OwnerLookupError(f"bad {name}: {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise OwnerLookupError(f"bad {name}: {value!r}") from None
    if not (math.isfinite(number) and -limit <= number <= limit):
        raise OwnerLookupError(f"bad {name}: {value!r}")
    return number


def parse_owner(plate: str, data: Any) -> OwnerRecord:
    """An answer's record; raises OwnerLookupError naming what is wrong with it."""
    if not isinstance(data, dict):
        raise OwnerLookupError("the answer is not a JSON object")
    for name in ("name", "address"):
        if not isinstance(data.get(name), str):
            raise OwnerLookupError(f"the answer lacks {name}")
    vehicle = data.get("vehicle") or {}
    if isinstance(vehicle, str):
        vehicle = {"description": vehicle}
    if not isinstance(vehicle, dict):
        raise OwnerLookupError("the vehicle is neither text nor an object")
    return OwnerRecord(plate=plate, name=data["name"], address=data["address"],
                       lat=_coordinate(data, "lat", 90), lon=_coordinate(data, "lon", 180),
                       vehicle={str(k): "" if v is None else str(v) for k, v in vehicle.items()})


class OwnerLookupClient:
    def __init__(self, base_url: str, *, token: str | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"owner look-up URL {base_url!r}: expected http(s)://host[:port][/path]")
        self.base_url = base_url.rstrip("/")
        self._where = parts.netloc
        self._timeout = timeout
        self._session = session or requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._session.headers["Accept"] = "application/json"

    def lookup(self, plate: str) -> OwnerRecord | None:
        """The owner of ``plate``, or None when the service has no record (HTTP 404)."""
        norm = normalise_plate(plate)
        if not norm:
            raise ValueError("no plate characters to look up")
        url = f"{self.base_url}/owners/{quote(norm, safe='')}"
        try:
            response = self._session.get(url, timeout=self._timeout, allow_redirects=False)
        except requests.Timeout:
            seconds = self._timeout if isinstance(self._timeout, int | float) else sum(self._timeout)
            raise OwnerLookupError(f"owner look-up at {self._where} did not answer within {seconds:g} s") from None
        except requests.ConnectionError as exc:
            raise OwnerLookupError(f"owner look-up at {self._where} is unreachable ({_root(exc)})") from None
        except requests.RequestException as exc:
            raise OwnerLookupError(f"owner look-up at {self._where} failed: {exc}") from None
        with response:
            if response.status_code == 404:
                return None
            if response.status_code in (401, 403):
                raise OwnerLookupError(f"owner look-up at {self._where} refused the request "
                                       f"(HTTP {response.status_code}): check the token")
            if not 200 <= response.status_code < 300:
                raise OwnerLookupError(f"owner look-up at {self._where} answered HTTP {response.status_code}")
            try:
                data = response.json()
            except ValueError:
                raise OwnerLookupError(f"owner look-up at {self._where} answered something that is not JSON") \
                    from None
        try:
            return parse_owner(norm, data)
        except OwnerLookupError as exc:
            raise OwnerLookupError(f"owner look-up at {self._where} answered badly: {exc}") from None

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> OwnerLookupClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _root(exc: BaseException) -> str:
    """The innermost cause's message (e.g. "Connection refused"), not urllib3's nested repr."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc)
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text
