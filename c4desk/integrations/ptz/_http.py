"""The HTTP policy both PTZ clients share: timeouts, retries on connection failures only, plain errors."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
import urllib3.exceptions

from c4desk.integrations.ptz.base import PtzError

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = (3.05, 5.0)  # (connect, read) seconds


def never_sent(exc: requests.ConnectionError) -> bool:
    """True when the request cannot have reached the camera (so even a relative move may be retried)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."


def send(session: requests.Session, method: str, url: str, *, host: str, timeout: tuple[float, float],
         retries: int, backoff_s: float, idempotent: bool, **kwargs: Any) -> requests.Response:
    """One request with the retry policy: connection failures are retried (``retries`` times, exponential
    backoff), and for non-idempotent commands only when the request cannot have been sent; an HTTP answer of
    any status and a read timeout are never retried. Raises PtzError."""
    attempt = 0
    while True:
        try:
            return session.request(method, url, timeout=timeout, **kwargs)
        except requests.ConnectionError as exc:
            if attempt < retries and (idempotent or never_sent(exc)):
                delay = backoff_s * (2 ** attempt)
                log.debug("camera %s unreachable (%s); retry in %.2fs", host, exc, delay)
                attempt += 1
                time.sleep(delay)
                continue
            raise PtzError(f"cannot reach camera at {host}: {short(exc)}") from exc
        except requests.Timeout as exc:
            raise PtzError(f"camera at {host} did not answer within {timeout[1]:g} s") from exc
        except requests.RequestException as exc:
            raise PtzError(f"request to camera at {host} failed: {short(exc)}") from exc
