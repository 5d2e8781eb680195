"""The package's readable summary (report.html): one self-contained page, built from the manifest alone.

Everything shown comes from the manifest, so the report can never say something the manifest does not; every
value is HTML-escaped. Stills are shown from the package's own stills/ folder by relative links.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1b1f24; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { border: 1px solid #c8ccd0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f4; } .mono { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.warn { color: #9a3412; } .muted { color: #57606a; } img { max-width: 320px; border: 1px solid #c8ccd0; }
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _t(iso: Any) -> str:
    """An ISO 8601 instant as 'YYYY-MM-DD HH:MM:SS.mmm' UTC (the tables say UTC); anything else unchanged."""
    try:
        at = datetime.fromisoformat(str(iso)).astimezone(UTC)
    except ValueError:
        return "" if iso is None else str(iso)
    return at.strftime("%Y-%m-%d %H:%M:%S.") + f"{at.microsecond // 1000:03d}"


def _row(*cells: Any, mono: tuple[int, ...] = (), markup: tuple[int, ...] = ()) -> str:
    """One table row; cells are escaped, except those at ``markup`` indices (already-escaped HTML)."""
    out = []
    for i, cell in enumerate(cells):
        css = " class=\"mono\"" if i in mono else ""
        out.append(f"<td{css}>{cell if i in markup else _e(cell)}</td>")
    return "<tr>" + "".join(out) + "</tr>"


def _table(headers: tuple[str, ...], rows: list[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render_report(manifest: dict[str, Any], files: list[dict[str, Any]]) -> str:
    case = manifest["case"]
    exported = manifest["exported_by"]
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>Evidence package, case {_e(case['number'])}</title><style>{_STYLE}</style></head><body>",
             f"<h1>Evidence package &mdash; case {_e(case['number'])}</h1>",
             f"<p class=\"muted\">{_e(case.get('title'))}</p>",
             _table(("Case type", "Status", "Lead investigator", "Opened (UTC)"),
                    [_row(case.get("case_type"), case.get("status"), case.get("lead_investigator"),
                          _t(case.get("opened_at")))]),
             "<h2>Export</h2>",
             _table(("Exported by", "Role", "Workstation", "When (UTC)", "Tool", "Package id"),
                    [_row(exported["username"], exported["role"], exported["workstation"], _t(manifest["exported_at"]),
                          f"{manifest['tool']['name']} {manifest['tool']['version']}", manifest["package_id"],
                          mono=(5,))])]
    signed = manifest.get("signed_by")
    if isinstance(signed, dict):
        parts.append(f"<p>Signed: <code>{_e(signed.get('signature'))}</code> is the centre's "
                     f"{_e(signed.get('algorithm'))} signature of <code>manifest.json</code>, by the key with "
                     f"fingerprint <span class=\"mono\">{_e(signed.get('key_fingerprint'))}</span> (public key "
                     f"<code>{_e(signed.get('public_key'))}</code>). Compare this fingerprint with the ones the centre "
                     "publishes (its key history lists every key it has used, and any it revoked): a package can "
                     "carry any key.</p>")
    else:
        parts.append("<p class=\"warn\">This package is not signed.</p>")
    if manifest.get("require_approval"):
        parts.append("<p>Only clips approved by a supervisor are included (agency setting).</p>")

    parts.append(f"<h2>Clips ({len(manifest['clips'])})</h2>")
    rows = []
    for clip in manifest["clips"]:
        reviewer = clip.get("reviewer") or {}
        review = f"{reviewer['username']} at {_t(reviewer.get('at'))}" if reviewer.get("username") else "not reviewed"
        if reviewer.get("comment"):
            review += f": {reviewer['comment']}"
        offset = clip.get("recorder_clock_offset_s")
        span = f"{_t(clip['actual']['start'])} to {_t(clip['actual']['end'])}"
        if not clip.get("covers_request"):
            span += " (does not cover all of the requested span: see gaps)"
        clip_files = "<br>".join(_e(v) for v in clip["files"].values() if v)
        rows.append(_row(clip["id"], f"{clip['camera']['name']} ({clip['camera']['id']})",
                         f"{_t(clip['requested']['start'])} to {_t(clip['requested']['end'])}", span,
                         "unknown" if offset is None else f"{offset:+.3f} s", ", ".join(clip.get("tags", [])),
                         clip.get("note"), f"{clip['tagged_by']} at {_t(clip['tagged_at'])}", review, clip_files,
                         mono=(9,), markup=(9,)))
    parts.append(_table(("Clip", "Camera", "Requested (UTC)", "In the file (UTC)", "Clock offset", "Tags", "Note",
                         "Tagged", "Review", "Files"), rows))
    gaps = [(clip["id"], g) for clip in manifest["clips"] for g in clip.get("gaps", [])]
    if gaps:
        holes = "; ".join(f"clip {_e(cid)}: {_e(_t(g['start']))} to {_e(_t(g['end']))}" for cid, g in gaps)
        parts.append(f"<p class=\"warn\">Parts of requested spans have no recorded video: {holes}</p>")
    parts.append("<p class=\"muted\">Clips are cut from the recorder's native MPEG-TS segments by stream copy "
                 "(no re-encoding), so a clip starts at the keyframe at or before the requested start; the actual "
                 "span is given. The .mp4 files hold the same coded pictures in an MP4 container for easy "
                 "playback.</p>")

    if manifest.get("left_out"):
        parts.append("<h2>Left out</h2>")
        parts.append(_table(("Item", "Id", "Why"), [_row(x["kind"], x["id"], x["reason"])
                                                     for x in manifest["left_out"]]))

    if manifest.get("stills"):
        parts.append(f"<h2>Stills ({len(manifest['stills'])})</h2>")
        rows = []
        for still in manifest["stills"]:
            img = f"<img src=\"{_e(still['file'])}\" alt=\"still {_e(still['id'])}\">"
            rows.append("<tr>" + f"<td>{img}</td>" + "".join(
                f"<td>{_e(v)}</td>" for v in (still["camera"]["name"] or still["camera"]["id"], _t(still["taken_at"]),
                                              still["taken_by"], still.get("note"))) + "</tr>")
        parts.append(_table(("Still", "Camera", "Taken (UTC)", "By", "Note"), rows))

    parts.append("<h2>Files</h2>")
    parts.append(_table(("File", "Bytes", "SHA-256"), [_row(f["path"], f["bytes"], f["sha256"], mono=(0, 2))
                                                       for f in files]))
    parts.append("<h2>Checking this package</h2><p>Every file's SHA-256 is in <code>manifest.json</code>; "
                 "<code>manifest.sha256</code> holds the manifest's own hash and the same file hashes in "
                 "<code>sha256sum</code> format. Check with <code>c4desk evidence verify FOLDER</code>, or "
                 "<code>sha256sum -c manifest.sha256</code> in this folder. A rewritten manifest is ruled out by "
                 "its signature checked against the centre's published key: <code>c4desk evidence verify FOLDER "
                 "--fingerprint HEX</code> (or <code>--key FILE</code>; for a key rotated since, <code>--keys "
                 "centre-signing-keys.json</code>, the centre's published key history), or <code>openssl pkeyutl "
                 "-verify -pubin -inkey CENTRE.pub -rawin -in manifest.json -sigfile manifest.sig</code> with the "
                 "centre's public key file; or by comparing the manifest's SHA-256 with the one recorded at export "
                 "(custody form, or the c4desk database).</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
