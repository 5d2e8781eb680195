"""Check an evidence package against its manifest, on any machine: no database, no c4desk settings.

Reports every changed, missing and extra file, an edited manifest (see ``manifest`` for what can and cannot be
detected from the package alone), a signature that does not match the manifest and, when the caller has them,
whether this is the very manifest that was exported (``expected_manifest_sha256``) and whether it was signed by
the centre's key (``known_key`` or ``known_fingerprint``) or by any key of the centre's published key history
(``known_keys``, ``key_history.KeyHistory``: the key that signed an old package may have been rotated since). Without
a known key the signature is checked with the package's own public key: that shows the manifest is unchanged since
it was signed, not who signed it, and ``Verification.signature`` says so.

Against the history, a package signed by a revoked key fails (the problem names the revocation's date and reason:
whoever stole the key can sign anything), and so does one whose manifest says it was exported after its key was
retired (the retired key's private key was deleted then: only a copy of it could have signed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from c4desk.evidence.hashing import sha256_file
from c4desk.evidence.key_history import KeyEntry, KeyHistory, iso
from c4desk.evidence.manifest import (
    FORMAT,
    MANIFEST,
    MANIFEST_HASH,
    PACKAGE_KEY,
    RESERVED,
    SIGNATURE,
    read_sums,
    safe_relative,
)
from c4desk.evidence.signing import fingerprint, load_public_key, normalize_fingerprint, signature_valid

# Kinds of problem, in the order they are listed.
MANIFEST_PROBLEM = "manifest"
SIGNATURE_PROBLEM = "signature"
CHANGED = "changed"
MISSING = "missing"
EXTRA = "extra"
_ORDER = {MANIFEST_PROBLEM: 0, SIGNATURE_PROBLEM: 1, MISSING: 2, CHANGED: 3, EXTRA: 4}

# What the signature check found.
UNSIGNED = "unsigned"  # no signature, and the manifest does not claim one (exported before packages were signed)
VALID = "valid"
INVALID = "invalid"  # see the problems
REVOKED = "revoked"  # signed by a key the centre revoked: a problem, whatever else is right


@dataclass(frozen=True)
class Problem:
    kind: str  # manifest | signature | missing | changed | extra
    path: str  # relative to the package
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "detail": self.detail}


@dataclass(frozen=True)
class SignatureCheck:
    status: str  # unsigned | valid | invalid | revoked
    fingerprint: str | None  # the key the signature was checked with (valid: the signer)
    known_key: bool  # checked against a key the caller knows, not only the package's own
    key: KeyEntry | None = None  # the signer's entry in the centre's key history, when checked against one

    def as_dict(self) -> dict[str, object]:
        shown: dict[str, object] = {"status": self.status, "fingerprint": self.fingerprint,
                                    "known_key": self.known_key}
        if self.key is not None:  # only with a key history: the JSON of the other checks keeps its shape
            shown["key"] = self.key.summary()
        return shown


@dataclass(frozen=True)
class Verification:
    problems: tuple[Problem, ...]
    manifest_sha256: str | None  # of manifest.json as found (None when it is missing)
    files_checked: int
    signature: SignatureCheck = SignatureCheck(UNSIGNED, None, False)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(package: Path | str, expected_manifest_sha256: str | None = None, *,
                   known_key: Ed25519PublicKey | None = None, known_fingerprint: str | None = None,
                   known_keys: KeyHistory | None = None) -> list[Problem]:
    """The problems found in ``package`` (an empty list: every file matches)."""
    return list(check_package(package, expected_manifest_sha256, known_key=known_key,
                              known_fingerprint=known_fingerprint, known_keys=known_keys).problems)


def check_package(package: Path | str, expected_manifest_sha256: str | None = None, *,
                  known_key: Ed25519PublicKey | None = None, known_fingerprint: str | None = None,
                  known_keys: KeyHistory | None = None) -> Verification:
    """Check ``package``. With ``known_key`` or ``known_fingerprint`` (the centre's), a package that is unsigned or
    signed by any other key fails; with ``known_keys`` (the centre's key history), one that is unsigned, signed by
    a key not in it, or by a revoked key fails. ValueError for a malformed ``known_fingerprint``, one that is not
    ``known_key``'s, or ``known_keys`` given with either."""
    if known_keys is not None and (known_key is not None or known_fingerprint is not None):
        raise ValueError("check against one key (known_key, known_fingerprint) or the key history (known_keys), "
                         "not both")
    expected_signer = _expected_signer(known_key, known_fingerprint)
    root = Path(package)
    if not root.is_dir():
        return Verification((Problem(MISSING, str(root), "no such package folder"),), None, 0)
    problems: list[Problem] = []
    sums = _read_sums(root, problems)
    manifest, manifest_sha, manifest_data = _read_manifest(root, problems)
    if known_keys is not None:
        signature = _check_against_history(root, manifest, manifest_data, problems, known_keys)
    else:
        signature = _check_signature(root, manifest, manifest_data, problems, known_key, expected_signer)

    if manifest_sha is not None and sums is not None:
        recorded = sums.get(MANIFEST)
        if recorded is None:
            problems.append(Problem(MANIFEST_PROBLEM, MANIFEST_HASH, f"has no line for {MANIFEST}"))
        elif recorded != manifest_sha:
            problems.append(Problem(MANIFEST_PROBLEM, MANIFEST, f"edited: its SHA-256 is {manifest_sha}, "
                                                                f"{MANIFEST_HASH} records {recorded}"))
    if expected_manifest_sha256 and manifest_sha is not None \
            and manifest_sha != expected_manifest_sha256.strip().lower():
        problems.append(Problem(MANIFEST_PROBLEM, MANIFEST, f"not the manifest that was exported: its SHA-256 is "
                                                            f"{manifest_sha}, expected {expected_manifest_sha256}"))

    # Which files should be here: the manifest's list; with no readable manifest, manifest.sha256's.
    expected: dict[str, dict[str, Any]] = {}
    if manifest is not None:
        for entry in manifest.get("files", []):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                expected[entry["path"]] = entry
    elif sums is not None:
        expected = {p: {"path": p, "sha256": h} for p, h in sums.items() if p != MANIFEST}
    if manifest is not None and sums is not None:
        for path in sorted(set(expected) | (set(sums) - {MANIFEST})):
            if expected.get(path, {}).get("sha256") != sums.get(path):
                problems.append(Problem(MANIFEST_PROBLEM, path, f"{MANIFEST} and {MANIFEST_HASH} disagree about "
                                                                "this file (one of them was edited)"))

    checked = 0
    for path, entry in sorted(expected.items()):
        if not safe_relative(path):
            problems.append(Problem(MANIFEST_PROBLEM, path, "path leaves the package"))
            continue
        target = root / path
        if not target.is_file():
            problems.append(Problem(MISSING, path, "listed in the manifest, not in the package"))
            continue
        checked += 1
        size = target.stat().st_size
        digest = sha256_file(target)
        if "bytes" in entry and entry["bytes"] != size:
            problems.append(Problem(CHANGED, path, f"{size} bytes, the manifest says {entry['bytes']}"))
        elif digest != str(entry.get("sha256", "")).lower():
            problems.append(Problem(CHANGED, path, f"SHA-256 {digest}, the manifest says {entry.get('sha256')}"))

    for found in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        rel = found.relative_to(root).as_posix()
        if rel not in expected and rel not in RESERVED:
            problems.append(Problem(EXTRA, rel, "in the package, not in the manifest"))
    problems.sort(key=lambda p: (_ORDER.get(p.kind, 9), p.path not in RESERVED, p.path))
    return Verification(tuple(problems), manifest_sha, checked, signature)


def _expected_signer(known_key: Ed25519PublicKey | None, known_fingerprint: str | None) -> str | None:
    expected = None if known_fingerprint is None else normalize_fingerprint(known_fingerprint)
    if known_key is not None:
        if expected is not None and expected != fingerprint(known_key):
            raise ValueError(f"the fingerprint {expected} is not the given key's ({fingerprint(known_key)})")
        expected = fingerprint(known_key)
    return expected


def _check_signature(root: Path, manifest: dict[str, Any] | None, data: bytes | None, problems: list[Problem],
                     known_key: Ed25519PublicKey | None, expected: str | None) -> SignatureCheck:
    """Check manifest.sig over manifest.json's bytes: with the known key when there is one, else the package's."""
    known = expected is not None
    declared = manifest.get("signed_by") if manifest is not None else None
    claimed = str(declared.get("key_fingerprint", "")) if isinstance(declared, dict) else None
    if not (root / SIGNATURE).is_file():
        if claimed is not None:
            problems.append(Problem(MISSING, SIGNATURE, "the manifest says it is signed; the signature is gone"))
            return SignatureCheck(INVALID, None, known)
        if known:
            problems.append(Problem(SIGNATURE_PROBLEM, SIGNATURE, "the package is not signed: nothing shows that it "
                                                                  f"comes from the key {expected}"))
        return SignatureCheck(UNSIGNED, None, known)
    if data is None:
        return SignatureCheck(INVALID, None, known)  # the missing manifest is reported already
    signature = (root / SIGNATURE).read_bytes()
    own_key = _package_key(root, problems)
    key = known_key or own_key
    if key is None:
        problems.append(Problem(SIGNATURE_PROBLEM, SIGNATURE, f"cannot be checked: the package has no usable "
                                                              f"{PACKAGE_KEY}; check it against the centre's key"))
        return SignatureCheck(INVALID, None, known)
    signer = fingerprint(key)
    if not signature_valid(key, data, signature):
        if known_key is not None and own_key is not None and signature_valid(own_key, data, signature):
            detail = f"signed by key {fingerprint(own_key)}, not by the expected key {signer}"
        else:
            detail = (f"does not match {MANIFEST}: the manifest was changed after it was signed, or the signature "
                      f"was not made by key {signer}")
        problems.append(Problem(SIGNATURE_PROBLEM, SIGNATURE, detail))
        return SignatureCheck(INVALID, signer, known)
    if expected is not None and signer != expected:
        problems.append(Problem(SIGNATURE_PROBLEM, SIGNATURE, f"signed by key {signer}, not by the expected key "
                                                              f"{expected}"))
        return SignatureCheck(INVALID, signer, known)
    if claimed is not None and not _same_key(claimed, signer):
        problems.append(Problem(SIGNATURE_PROBLEM, MANIFEST, f"names key {claimed} as its signer, but was signed "
                                                             f"by key {signer}"))
        return SignatureCheck(INVALID, signer, known)
    return SignatureCheck(VALID, signer, known)


def _check_against_history(root: Path, manifest: dict[str, Any] | None, data: bytes | None, problems: list[Problem],
                           history: KeyHistory) -> SignatureCheck:
    """Check manifest.sig with the key of the history that made it (found by the fingerprint the package claims,
    else by trying each key: the package's own key file proves nothing), then that key's standing."""
    declared = manifest.get("signed_by") if manifest is not None else None
    claimed = str(declared.get("key_fingerprint", "")) if isinstance(declared, dict) else None
    if not (root / SIGNATURE).is_file():
        if claimed is not None:
            problems.append(Problem(MISSING, SIGNATURE, "the manifest says it is signed; the signature is gone"))
            return SignatureCheck(INVALID, None, True)
        problems.append(Problem(SIGNATURE_PROBLEM, SIGNATURE, "the package is not signed: nothing shows that it "
                                                              "comes from one of the centre's keys"))
        return SignatureCheck(UNSIGNED, None, True)
    if data is None:
        return SignatureCheck(INVALID, None, True)  # the missing manifest is reported already
    signature = (root / SIGNATURE).read_bytes()
    own_key = _package_key(root, problems)
    hints = [h for h in (claimed, None if own_key is None else fingerprint(own_key)) if h]
    candidates = [e for h in hints if (e := history.find(h)) is not None]
    candidates += [e for e in history.entries if e not in candidates]
    signer = next((e for e in candidates if signature_valid(e.public_key(), data, signature)), None)
    if signer is None:
        if own_key is not None and signature_valid(own_key, data, signature):
            detail = (f"signed by key {fingerprint(own_key)}, which is not one of the centre's "
                      f"{len(history.entries)} key(s) in its key history")
        else:
            detail = (f"does not match {MANIFEST} with any of the centre's {len(history.entries)} key(s): the manifest "
                      "was changed after it was signed, or another key signed it")
        problems.append(Problem(SIGNATURE_PROBLEM, SIGNATURE, detail))
        return SignatureCheck(INVALID, None if own_key is None else fingerprint(own_key), True)
    if signer.revoked_at is not None:
        problems.append(Problem(SIGNATURE_PROBLEM, SIGNATURE, f"signed by the centre's key {signer.fingerprint}, "
                                                              f"which was {signer.revocation()} (whoever holds it "
                                                              "can sign anything: this signature proves nothing)"))
        return SignatureCheck(REVOKED, signer.fingerprint, True, signer)
    if claimed is not None and not _same_key(claimed, signer.fingerprint):
        problems.append(Problem(SIGNATURE_PROBLEM, MANIFEST, f"names key {claimed} as its signer, but was signed "
                                                             f"by key {signer.fingerprint}"))
        return SignatureCheck(INVALID, signer.fingerprint, True, signer)
    exported = _exported_at(manifest)
    if exported is not None and signer.signed_after_retirement(exported):
        assert signer.retired_at is not None
        problems.append(Problem(SIGNATURE_PROBLEM, SIGNATURE, f"signed by the centre's key {signer.fingerprint}, "
                                                              f"retired at {iso(signer.retired_at)}, but the manifest "
                                                              f"says it was exported at {iso(exported)}: a retired key "
                                                              "signs nothing (its private key was deleted)"))
        return SignatureCheck(INVALID, signer.fingerprint, True, signer)
    return SignatureCheck(VALID, signer.fingerprint, True, signer)


def _exported_at(manifest: dict[str, Any] | None) -> datetime | None:
    value = manifest.get("exported_at") if manifest is not None else None
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return at if at is not None and at.utcoffset() is not None else None


def _package_key(root: Path, problems: list[Problem]) -> Ed25519PublicKey | None:
    path = root / PACKAGE_KEY
    if not path.is_file():
        return None
    try:
        return load_public_key(path.read_bytes())
    except ValueError as exc:
        problems.append(Problem(SIGNATURE_PROBLEM, PACKAGE_KEY, f"unusable: {exc}"))
        return None


def _same_key(claimed: str, signer: str) -> bool:
    try:
        return normalize_fingerprint(claimed) == signer
    except ValueError:
        return False


def _read_sums(root: Path, problems: list[Problem]) -> dict[str, str] | None:
    try:
        text = (root / MANIFEST_HASH).read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(MISSING, MANIFEST_HASH, "the manifest's own hash is gone: edits to the manifest "
                                                        "cannot be detected"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(MANIFEST_PROBLEM, MANIFEST_HASH, f"unreadable: {exc}"))
        return None
    sums, bad = read_sums(text)
    for line in bad[:5]:
        problems.append(Problem(MANIFEST_PROBLEM, MANIFEST_HASH, f"not a checksum line: {line[:80]!r}"))
    return sums


def _read_manifest(root: Path, problems: list[Problem]) -> tuple[dict[str, Any] | None, str | None, bytes | None]:
    """The manifest, its SHA-256 and its bytes, read once: the hash and the signature are checked on the same bytes."""
    path = root / MANIFEST
    if not path.is_file():
        problems.append(Problem(MISSING, MANIFEST, "the package has no manifest"))
        return None, None, None
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Problem(MANIFEST_PROBLEM, MANIFEST, f"not valid JSON: {exc}"))
        return None, digest, data
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        problems.append(Problem(MANIFEST_PROBLEM, MANIFEST, f"not a {FORMAT} manifest"))
        return None, digest, data
    return manifest, digest, data
