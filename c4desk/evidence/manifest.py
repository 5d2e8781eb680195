"""The evidence package's layout and its integrity files.

A package is one folder::

    manifest.json     what the package is: case, clips (requested and actual spans, camera, tags, reviewer),
                      stills, who exported it and when, the tool's version, which key signed it, and the SHA-256
                      and size of every other file
    manifest.sig      the centre's Ed25519 signature over the exact bytes of manifest.json (64 raw bytes)
    manifest.sha256   ``sha256sum`` lines for manifest.json (first) and every other file: ``sha256sum -c
                      manifest.sha256`` checks a package on any machine without c4desk
    signing-key.pub   the public key that made manifest.sig (PEM), listed in the manifest like any file
    custody.log       the chain of custody (from the audit trail, plus this export)
    report.html       a readable summary
    clips/            per clip: the native recording cut by stream copy (.ts) and, optionally, an .mp4 copy
    stills/           the case's still images (PNG), byte for byte as captured

What this protects, and what it cannot: any change to a file (a flipped byte, a deletion, an added file) is
found by comparing it with manifest.json; an edit of manifest.json itself is found through manifest.sha256, even
when the editor updated a file's hash inside the manifest to match a changed file. Someone who rewrites BOTH
manifest.json and manifest.sha256 consistently produces a package that checks out against its hashes; the
signature exposes that rewrite unless the forger also re-signs the manifest, which needs the centre's private key
or a key of their own (and then their own signing-key.pub). Only a check against the centre's known key or its
fingerprint (``c4desk evidence verify DIR --key FILE | --fingerprint HEX``; see ``signing``) rules that out.
Without the signature (packages exported before signing existed) the rewrite is caught only against a copy of
the manifest's SHA-256 kept outside the package: it is stored in the database (``evidence_exports.manifest_sha256``
and the chained ``export`` audit record), printed when the package is written (for the property/custody form),
and checked by ``verify_package`` with ``expected_manifest_sha256`` (``--expect HASH`` or ``--registered``).
Outside c4desk: ``openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in manifest.json -sigfile manifest.sig``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from c4desk.evidence.hashing import sha256_file, write_new

FORMAT = "c4desk-evidence/1"
MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"
SIGNATURE = "manifest.sig"
PACKAGE_KEY = "signing-key.pub"
CUSTODY = "custody.log"
REPORT = "report.html"
CLIPS_DIR = "clips"
STILLS_DIR = "stills"
RESERVED = frozenset({MANIFEST, MANIFEST_HASH, SIGNATURE})  # not listed in the manifest
_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


def file_entries(root: Path) -> list[dict[str, Any]]:
    """Every regular file under ``root`` except the integrity files: relative path, size and SHA-256."""
    entries = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel in RESERVED:
            continue
        entries.append({"path": rel, "bytes": path.stat().st_size, "sha256": sha256_file(path)})
    return entries


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as written: indented UTF-8 JSON (readable in any editor), keys in the order built."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False, default=_default) + "\n").encode("utf-8")


def sums_text(manifest_sha256: str, files: list[dict[str, Any]]) -> str:
    lines = [f"{manifest_sha256}  {MANIFEST}"] + [f"{f['sha256']}  {f['path']}" for f in files]
    return "\n".join(lines) + "\n"


def write_manifest(root: Path, manifest: dict[str, Any], sign: Callable[[bytes], bytes] | None = None) -> str:
    """Write manifest.json, manifest.sig (when ``sign`` is given: over the very bytes written) and manifest.sha256
    into ``root``; returns the manifest's SHA-256."""
    data = manifest_bytes(manifest)
    write_new(root / MANIFEST, data)
    if sign is not None:
        write_new(root / SIGNATURE, sign(data))
    digest = sha256_file(root / MANIFEST)
    write_new(root / MANIFEST_HASH, sums_text(digest, list(manifest.get("files", []))).encode("utf-8"))
    return digest


def read_sums(text: str) -> tuple[dict[str, str], list[str]]:
    """``sha256sum`` lines -> ({path: sha256}, [lines that are not sum lines])."""
    sums: dict[str, str] = {}
    bad: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if match is None:
            bad.append(line)
        else:
            sums[match.group(2)] = match.group(1).lower()
    return sums, bad


def safe_relative(path: str) -> bool:
    """A manifest path that stays inside the package (no absolute paths, no ``..``)."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path \
        and ":" not in path
