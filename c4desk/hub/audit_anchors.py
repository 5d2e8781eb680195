"""Signed anchors for the audit trail: the chain's head, signed with the centre's key, kept outside the database.

Why: the audit chain (``c4desk.domain.audit.chain_hash``) has no secret key. Someone with write access to the
database can change a record and recompute every later hash, or delete the newest records, and the chain still
checks out. An anchor is the head at a moment (the newest record's id and hash, the record count, the UTC time)
signed with the centre's Ed25519 key (``c4desk.evidence.signing``) and appended as one JSON line to
``DATA_DIR/audit/anchors.jsonl``. ``check_anchors`` then proves that the database still holds every anchored record
with the anchored hash, and at least the anchored number of records: a chain rewritten or cut back before the
newest anchor fails, because the anchored hash covers every record before it through the chain.

Rotated and revoked keys: each anchor names the key that signed it (``key``, its fingerprint; every line has it),
and is checked against that key, found in the centre's published key history (``evidence/key_history.py``) when it
is no longer the current key. ``check_published`` (the audit viewer) and ``c4desk audit verify`` use the history by
default when the data directory has one. An anchor signed by a revoked key is a problem (whoever holds the key can
sign anything), named with the revocation's date and reason; so is one dated after its key was retired (the
retired key's private key was deleted then).

What anchors cannot prove: anything newer than the newest anchor (an attacker who acts between two anchors and the
next verify), anything against an attacker who also holds the private key (they can sign new anchors), and an
anchors file deleted or cut back by someone with write access to the data directory: keep a copy elsewhere and
check against it (``c4desk audit verify --anchors COPY``). The hub appends every anchor to the files listed in
``audit.anchor_copies`` too (another disk, a mounted share); a copy that is away misses those anchors only.

Writing an anchor writes no audit record. The record would itself become the new head, so no anchor could ever
sign the head it was written for; and the hub's anchor every ten minutes would add a record every ten minutes
forever, so the head would never stand still and a quiet trail could never skip an anchor. The anchors file is the
log of anchors: each line names who asked for it (``hub``, or the user of ``c4desk audit anchor``, whose logon is
audited and is the record that anchor signs).

A line (keys sorted; the signature covers the canonical JSON of every other field, so no field can be changed)::

    {"at": "2026-07-04T21:10:00Z", "by": "hub", "hash": "9f2c...", "key": "3a1b 77c0 ...", "record_id": 5812,
     "records": 5812, "signature": "base64...", "v": 1}
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from c4desk.domain.permissions import Action, Actor
from c4desk.evidence.key_history import KeyHistory, KeyHistoryError, iso, read_history
from c4desk.evidence.signing import (
    PackageSigner,
    SigningKeyError,
    centre_key,
    fingerprint,
    load_public_key,
    public_key_path,
    signature_valid,
)
from c4desk.store.audit import require_audited
from c4desk.store.audit_log import AuditHead, AuditLog
from c4desk.store.db import Database

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
ANCHORS_DIR = "audit"  # under the data directory, beside (never inside) the database
ANCHORS_FILE = "anchors.jsonl"
HUB_SIGNER = "hub"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FIELDS = ("v", "record_id", "hash", "records", "at", "by", "key", "signature")


def anchors_path(data_dir: Path) -> Path:
    return data_dir / ANCHORS_DIR / ANCHORS_FILE


@dataclass(frozen=True, kw_only=True)
class Anchor:
    """One signed head of the chain. ``line`` is its line number in the file it was read from (0 when new)."""

    record_id: int
    hash: str
    records: int
    at: datetime
    by: str
    key: str  # the signing key's fingerprint
    signature: bytes = field(repr=False)
    line: int = 0

    def payload(self) -> dict[str, Any]:
        """Every field but the signature, as stored: what the signature covers."""
        return {"v": FORMAT_VERSION, "record_id": self.record_id, "hash": self.hash, "records": self.records,
                "at": _iso(self.at), "by": self.by, "key": self.key}

    def as_dict(self) -> dict[str, Any]:
        return self.payload() | {"signature": base64.b64encode(self.signature).decode("ascii")}

    def to_line(self) -> str:
        return _canonical(self.as_dict()).decode("ascii")


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _canonical(value: dict[str, Any]) -> bytes:
    """The exact bytes signed: sorted keys, no spaces, ASCII. A reader re-serialises what it parsed the same way."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


# -- writing ---------------------------------------------------------------------------------------------------------


def sign_anchor(head: AuditHead, key: PackageSigner, *, by: str, at: datetime | None = None) -> Anchor:
    """An anchor of ``head``, signed now (or at ``at``, an aware time) by ``key``."""
    when = (at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    unsigned = Anchor(record_id=head.record_id, hash=head.hash, records=head.records, at=when, by=by,
                      key=key.fingerprint, signature=b"")
    return Anchor(record_id=head.record_id, hash=head.hash, records=head.records, at=when, by=by,
                  key=key.fingerprint, signature=key.sign(_canonical(unsigned.payload())))


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append ``anchor`` as one line and fsync it: once this returns, the anchor survives a power cut.

    One ``write`` on a file opened for appending, so a hub and a ``c4desk audit anchor`` writing at once do not
    interleave. A last line torn by a crash (no newline) is closed first, so it spoils only itself.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = anchor.to_line().encode("ascii") + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and not _ends_with_newline(path, size):
            data = b"\n" + data
        written = os.write(fd, data)
        if written != len(data):  # a full disk: say so rather than leave half a line looking like an anchor
            raise OSError(f"only {written} of {len(data)} bytes of the anchor were written to {path}")
        os.fsync(fd)
    finally:
        os.close(fd)
    if size == 0:
        _fsync_directory(path.parent)  # the new file's name must survive a power cut too


def _ends_with_newline(path: Path, size: int) -> bool:
    with path.open("rb") as f:
        f.seek(size - 1)
        return f.read(1) == b"\n"


def _fsync_directory(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory for fsync; NTFS journals the name itself
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_anchor(db: Database, key: PackageSigner, path: Path, *, by: str) -> Anchor | None:
    """Read the head (one query), sign it and append it to ``path``; None when the trail is still empty."""
    head = AuditLog(db).head()
    if head is None:
        return None
    anchor = sign_anchor(head, key, by=by)
    append_anchor(path, anchor)
    return anchor


def anchor_as(db: Database, actor: Actor, data_dir: Path, *, path: Path | None = None,
              copies: Sequence[Path] = ()) -> Anchor | None:
    """A person's anchor (``c4desk audit anchor``): the trail's custodians (READ_AUDIT: supervisors, admins) only;
    a refusal is audited. Raises SigningKeyError when the centre's key cannot be used. The anchor is also appended
    to each of ``copies`` (see ``append_to_copies``)."""
    require_audited(db, actor, Action.READ_AUDIT, "audit_events", {"action": "anchor"})
    anchor = write_anchor(db, centre_key(data_dir), path or anchors_path(data_dir), by=actor.username)
    if anchor is not None:
        append_to_copies(anchor, copies)
    return anchor


def append_to_copies(anchor: Anchor, copies: Sequence[Path]) -> list[tuple[Path, str]]:
    """Append ``anchor`` to every copy of the anchors file (``audit.anchor_copies``); the copies that could not be
    written, with why. A copy is a safeguard, not the record: one that is away (a share unmounted) is logged and
    skipped, and misses this anchor only (anchors are independent lines; a copy with gaps still verifies)."""
    failed: list[tuple[Path, str]] = []
    for copy in copies:
        try:
            append_anchor(copy, anchor)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            log.warning("audit anchor not copied to %s: %s", copy, reason)
            failed.append((copy, reason))
    return failed


class AuditAnchorer:
    """The hub's anchors: when it starts, every ``interval_s`` while it runs, and when it stops.

    A trail whose head has not moved since this anchorer's last anchor is not anchored again (a quiet night adds no
    lines). ``interval_s`` 0 leaves only the anchor at stop. Failures (the key unusable, the disk full, the database
    away) are logged and tried again at the next tick: they must never stop the hub.
    """

    def __init__(self, db: Database, data_dir: Path, *, interval_s: float, path: Path | None = None,
                 copies: Sequence[Path] = (), by: str = HUB_SIGNER) -> None:
        self._db = db
        self._data_dir = data_dir
        self.interval_s = interval_s
        self.path = path or anchors_path(data_dir)
        self.copies = tuple(copies)
        self.copy_failures = 0  # anchors a copy missed (each logged with its reason)
        self.by = by
        self.last: Anchor | None = None
        self.written = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> AuditAnchorer:
        if self._thread is None and self.interval_s > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="audit-anchors", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the periodic anchor, then anchor the head the hub leaves behind."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._anchor_logged()

    def anchor(self) -> Anchor | None:
        """Anchor the head now, unless it is the one this anchorer signed last (then None, as on an empty trail)."""
        with self._lock:
            head = AuditLog(self._db).head()
            if head is None or self._same_head(head):
                return None
            # Loaded for each anchor, never kept: the key may have been rotated since the last one (and a retired
            # key refuses to sign: CentreKey.sign checks the key history under the key lock).
            anchor = sign_anchor(head, centre_key(self._data_dir), by=self.by)
            append_anchor(self.path, anchor)
            self.last = anchor
            self.written += 1
            self.copy_failures += len(append_to_copies(anchor, self.copies))
            return anchor

    def _same_head(self, head: AuditHead) -> bool:
        last = self.last
        return last is not None and (last.record_id, last.hash, last.records) == (head.record_id, head.hash,
                                                                                  head.records)

    def _loop(self) -> None:
        while True:
            self._anchor_logged()
            if self._stop.wait(self.interval_s):
                return

    def _anchor_logged(self) -> None:
        try:
            self.anchor()
        except SigningKeyError as exc:
            log.error("audit anchor not written: %s", exc)
        except Exception:
            log.exception("audit anchor not written; trying again at the next one")


# -- checking --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorProblem:
    """What is wrong with one anchor line (``line``), or with the anchors as a whole (``line`` None)."""

    line: int | None
    record_id: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"anchors: {self.message}"
        record = f" (record {self.record_id})" if self.record_id is not None else ""
        return f"anchor line {self.line}{record}: {self.message}"


@dataclass(frozen=True)
class AnchorReport:
    path: Path
    present: bool  # the anchors file exists
    checked: int  # anchor lines read
    newest: Anchor | None  # the newest anchor with a valid signature
    problems: list[AnchorProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.present:
            return f"no anchors: {self.path} does not exist"
        if self.newest is None:
            return f"anchors: {self.checked} checked, none valid ({self.path})"
        return (f"anchors: {self.checked} checked, newest at {_iso(self.newest.at)} "
                f"(record {self.newest.record_id})")


def parse_anchor(text: str, line: int = 0) -> tuple[Anchor, bytes]:
    """An anchor line -> (the anchor, the exact bytes its signature must cover); ValueError naming the field."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    missing = [name for name in _FIELDS if name not in raw]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if raw["v"] != FORMAT_VERSION:
        raise ValueError(f"v: format {raw['v']!r} is not one this version reads ({FORMAT_VERSION})")
    for name in ("record_id", "records"):
        if not isinstance(raw[name], int) or isinstance(raw[name], bool) or raw[name] < 1:
            raise ValueError(f"{name}: a positive whole number")
    if not isinstance(raw["hash"], str) or not _HEX64.fullmatch(raw["hash"]):
        raise ValueError("hash: 64 lower-case hex digits")
    for name in ("by", "key", "at", "signature"):
        if not isinstance(raw[name], str):
            raise ValueError(f"{name}: text")
    try:
        at = datetime.fromisoformat(raw["at"])
    except ValueError:
        raise ValueError("at: an ISO 8601 time") from None
    if at.utcoffset() is None:
        raise ValueError("at: a time with a zone")
    try:
        signature = base64.b64decode(raw["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("signature: base64") from None
    signed = _canonical({k: v for k, v in raw.items() if k != "signature"})
    anchor = Anchor(record_id=raw["record_id"], hash=raw["hash"], records=raw["records"], at=at, by=raw["by"],
                    key=raw["key"], signature=signature, line=line)
    return anchor, signed


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8", errors="replace") as f:
        for number, text in enumerate(f, start=1):
            if text.strip():
                yield number, text.strip()


def check_anchors(db: Database, path: Path, public_key: Ed25519PublicKey | None, *,
                  no_key_reason: str = "no public key given", history: KeyHistory | None = None) -> AnchorReport:
    """Check every anchor in ``path``: signed by ``public_key`` (the centre's published key) or, with ``history``
    (the centre's key history; then ``public_key`` is not used), by the key of the history it names, not revoked;
    and still true of the database (the record is there with the anchored hash; at least the anchored number of
    records).

    ``public_key`` and ``history`` None (the published key is missing) leaves the signatures unchecked, which is a
    problem in itself (``no_key_reason`` says why): an anchor that nobody can check proves nothing.
    """
    if not path.exists():
        return AnchorReport(path, False, 0, None, [])
    problems: list[AnchorProblem] = []
    signed_ok: list[Anchor] = []
    expected = fingerprint(public_key) if public_key is not None else ""
    lines = 0
    for number, text in _lines(path):
        lines += 1
        try:
            anchor, signed = parse_anchor(text, number)
        except ValueError as exc:
            problems.append(AnchorProblem(number, None, f"not an anchor: {exc}"))
            continue
        if history is not None:
            refused = _refusal_by_history(anchor, signed, history)
            if refused:
                problems.append(AnchorProblem(number, anchor.record_id, refused))
            else:
                signed_ok.append(anchor)
            continue
        if public_key is None:
            continue
        if anchor.key != expected:
            problems.append(AnchorProblem(number, anchor.record_id, f"signed by key {anchor.key}, not the centre's "
                                                                    f"key {expected}: refused"))
        elif not signature_valid(public_key, signed, anchor.signature):
            problems.append(AnchorProblem(number, anchor.record_id, "its signature does not match the centre's "
                                                                    "key: forged or altered, refused"))
        else:
            signed_ok.append(anchor)
    if lines and public_key is None and history is None:
        problems.insert(0, AnchorProblem(None, None, f"{lines} anchor(s) cannot be checked: {no_key_reason}"))
    problems.extend(_against_database(db, signed_ok))
    newest = max(signed_ok, key=lambda a: (a.at, a.record_id), default=None)
    return AnchorReport(path, True, lines, newest, problems)


def _refusal_by_history(anchor: Anchor, signed: bytes, history: KeyHistory) -> str:
    """Why ``anchor`` is refused by the key history ("" when its key's signature holds)."""
    entry = history.find(anchor.key)
    if entry is None:
        return (f"signed by key {anchor.key}, which is not one of the centre's {len(history.entries)} key(s) in its "
                "key history: refused")
    if entry.revoked_at is not None:
        return (f"signed by the centre's key {entry.fingerprint}, which was {entry.revocation()}: whoever holds it "
                "can sign anything, refused")
    if not signature_valid(entry.public_key(), signed, anchor.signature):
        return f"its signature does not match the centre's key {entry.fingerprint}: forged or altered, refused"
    if entry.signed_after_retirement(anchor.at):
        assert entry.retired_at is not None
        return (f"dated {_iso(anchor.at)}, after its key {entry.fingerprint} was retired at {iso(entry.retired_at)} "
                "(and its private key deleted): refused")
    return ""


def _against_database(db: Database, anchors: list[Anchor]) -> list[AnchorProblem]:
    if not anchors:
        return []
    audit = AuditLog(db)
    head = audit.head()
    records = head.records if head is not None else 0
    newest = f"the newest record is now {head.record_id}" if head is not None else "the trail is now empty"
    stored = audit.hashes(a.record_id for a in anchors)
    problems = []
    for a in anchors:
        have = stored.get(a.record_id)
        if have is None:
            message = (f"record {a.record_id} is gone ({newest}): the trail was cut back or records deleted since "
                       f"this anchor of {_iso(a.at)}")
        elif have != a.hash:
            message = (f"record {a.record_id} no longer has the hash anchored at {_iso(a.at)}: the trail up to it "
                       "was rewritten")
        elif records < a.records:
            message = (f"{records} records now, {a.records} when anchored at {_iso(a.at)}: records were deleted")
        else:
            continue
        problems.append(AnchorProblem(a.line, a.record_id, message))
    return problems


def published_key(data_dir: Path) -> tuple[Ed25519PublicKey | None, str]:
    """The centre's published public key; (None, why) when it is missing or unreadable (anchors then stay unchecked,
    which ``check_anchors`` reports as a problem)."""
    published = public_key_path(data_dir)
    if not published.is_file():
        return None, (f"the centre's public key {published} is missing, and so is the key history (give --keys "
                      "HISTORY or --key FILE)")
    try:
        return load_public_key(published.read_bytes()), ""
    except (OSError, ValueError) as exc:
        return None, f"the centre's public key {published} is unreadable ({exc})"


def published_history(data_dir: Path) -> tuple[KeyHistory | None, str]:
    """The centre's key history, when the data directory has one; (None, why) when it is unusable, (None, "") when
    there is none (a data directory whose key was never used since histories exist: check with the public key)."""
    try:
        return read_history(data_dir), ""
    except KeyHistoryError as exc:
        return None, f"the centre's key history is unusable: {exc}"


def check_published(db: Database, data_dir: Path, *, path: Path | None = None) -> AnchorReport:
    """The data directory's anchors (or those in ``path``) checked against its key history, else its published key
    (what the audit viewer's Verify shows). A history that is there but unusable leaves every anchor unchecked,
    which is a problem: it is never quietly replaced by the single published key."""
    anchors = path or anchors_path(data_dir)
    history, why = published_history(data_dir)
    if history is not None:
        return check_anchors(db, anchors, None, history=history)
    if why:
        return check_anchors(db, anchors, None, no_key_reason=why)
    key, why = published_key(data_dir)
    return check_anchors(db, anchors, key, no_key_reason=why or "no public key given")

