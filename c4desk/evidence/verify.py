"""Check an evidence package against its manifest, on any machine: no database, no c4desk settings.

Reports every changed, missing and extra file, an edited manifest (see ``manifest`` for what can and cannot be
detected without a copy of the manifest's hash kept outside the package), and, when the caller has that copy
(``expected_manifest_sha256``), whether this is the very manifest that was exported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c4desk.evidence.hashing import sha256_file
from c4desk.evidence.manifest import FORMAT, MANIFEST, MANIFEST_HASH, RESERVED, read_sums, safe_relative

# Kinds of problem, in the order they are listed.
MANIFEST_PROBLEM = "manifest"
CHANGED = "changed"
MISSING = "missing"
EXTRA = "extra"
_ORDER = {MANIFEST_PROBLEM: 0, MISSING: 1, CHANGED: 2, EXTRA: 3}


@dataclass(frozen=True)
class Problem:
    kind: str  # manifest | missing | changed | extra
    path: str  # relative to the package
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "detail": self.detail}


@dataclass(frozen=True)
class Verification:
    problems: tuple[Problem, ...]
    manifest_sha256: str | None  # of manifest.json as found (None when it is missing)
    files_checked: int

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(package: Path | str, expected_manifest_sha256: str | None = None) -> list[Problem]:
    """The problems found in ``package`` (an empty list: every file matches)."""
    return list(check_package(package, expected_manifest_sha256).problems)


def check_package(package: Path | str, expected_manifest_sha256: str | None = None) -> Verification:
    root = Path(package)
    if not root.is_dir():
        return Verification((Problem(MISSING, str(root), "no such package folder"),), None, 0)
    problems: list[Problem] = []
    sums = _read_sums(root, problems)
    manifest, manifest_sha = _read_manifest(root, problems)

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
    return Verification(tuple(problems), manifest_sha, checked)


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


def _read_manifest(root: Path, problems: list[Problem]) -> tuple[dict[str, Any] | None, str | None]:
    path = root / MANIFEST
    if not path.is_file():
        problems.append(Problem(MISSING, MANIFEST, "the package has no manifest"))
        return None, None
    digest = sha256_file(path)
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Problem(MANIFEST_PROBLEM, MANIFEST, f"not valid JSON: {exc}"))
        return None, digest
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        problems.append(Problem(MANIFEST_PROBLEM, MANIFEST, f"not a {FORMAT} manifest"))
        return None, digest
    return manifest, digest
