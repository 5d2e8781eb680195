"""Export a case's evidence package from the UI: choose the folder, watch the progress, cancel, read the verdict.

The export (``c4desk.evidence.export.export_case``: stream-copied clips, stills, manifest, custody log, report)
runs on a pool thread. Its progress callback only stores the newest (fraction, message) under a lock; a GUI
timer shows it, so no Qt object is touched from the worker. Cancel sets the export's cancel flag: the export
stops at its next check and removes its hidden work folder, so a cancelled export leaves nothing at the
destination. The package is signed with the centre's key (``c4desk.evidence.signing``), loaded on the worker
too (a keyring may block). When the package is in place it is verified against its manifest and that key (the
same check as ``c4desk evidence verify --fingerprint``) before the result is shown.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from c4desk.domain.permissions import Action
from c4desk.evidence.export import ExportCancelled, ExportResult, ExportSources, default_package_dir, export_case
from c4desk.evidence.signing import centre_key
from c4desk.evidence.verify import Verification, check_package
from c4desk.hub.evidence_sources import export_sources
from c4desk.hub.services import Services
from c4desk.store.clips import Clip
from c4desk.ui import theme
from c4desk.ui.cases.common import ActorSource, EvidenceContext, StatusLine, actor_of, describe_error, guard, run_for

POLL_MS = 100
STEPS = 1000  # progress bar resolution


@dataclass(frozen=True)
class ExportOutcome:
    result: ExportResult
    verification: Verification


class _Progress:
    """The newest progress report; written by the export's thread, read by the GUI timer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = (0.0, "starting")

    def __call__(self, fraction: float, message: str) -> None:
        with self._lock:
            self._value = (fraction, message)

    def read(self) -> tuple[float, str]:
        with self._lock:
            return self._value


def plan_text(clips: list[Clip], require_approval: bool, stills: int | None) -> str:
    """What an export will contain, said before it starts."""
    chosen = [c for c in clips if c.status == "approved" or (not require_approval and c.status != "rejected")]
    left = [c for c in clips if c not in chosen]
    parts = [f"{len(chosen)} clip(s) will be exported" + (" (approved by a supervisor)" if require_approval else "")]
    if stills is not None:
        parts.append(f"{stills} still(s)")
    text = ", ".join(parts) + "."
    if left:
        text += " Left out: " + "; ".join(f"clip {c.id} ({c.status})" for c in left) + "."
    return text


class ExportDialog(QDialog):
    """``exported(ExportOutcome)`` when a package is written and verified; ``outcome`` holds it."""

    exported = Signal(object)

    def __init__(self, services: Services, actor: ActorSource, case_number: str, context: EvidenceContext,
                 parent: QWidget | None = None, *, destination: Path | None = None,
                 sources: ExportSources | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._case_number = case_number
        self._context = context
        self._sources = sources or export_sources(services, context.stills_dir)
        self._cancel: threading.Event | None = None
        self._progress = _Progress()
        self._close_when_done = False
        self.outcome: ExportOutcome | None = None
        self.setWindowTitle(f"Export evidence - case {case_number}")
        self.plan = QLabel("Looking at the case's clips ...")
        self.plan.setWordWrap(True)
        self.destination = QLineEdit(str(destination or default_package_dir(context.exports_dir, case_number)))
        self.destination.setToolTip("The package folder to create; it must not exist yet")
        self.choose_button = QPushButton("Choose folder...")
        self.progress = QProgressBar()
        self.progress.setRange(0, STEPS)
        self.progress.setValue(0)
        self.message = QLabel()
        self.message.setStyleSheet(f"color: {theme.MUTED};")
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("The package, its manifest's SHA-256 and the verification appear here")
        self.status = StatusLine()
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._layout()
        self._connect_signals()
        self._update_buttons()
        self._load_plan()

    def _layout(self) -> None:
        where = QHBoxLayout()
        where.addWidget(self.destination, 1)
        where.addWidget(self.choose_button)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.export_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plan)
        layout.addWidget(QLabel("Package folder"))
        layout.addLayout(where)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(720, 440)

    def _connect_signals(self) -> None:
        self.choose_button.clicked.connect(self.on_choose)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.close_button.clicked.connect(self.reject)
        self._timer.timeout.connect(self._show_progress)

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def _update_buttons(self) -> None:
        guard(self.export_button, self._actor, Action.EXPORT_EVIDENCE, "Write the package (Enter)",
              enabled=not self.running and self.outcome is None)
        self.cancel_button.setEnabled(self.running and not (self._cancel and self._cancel.is_set()))
        self.choose_button.setEnabled(not self.running and self.outcome is None)
        self.destination.setReadOnly(self.running or self.outcome is not None)

    def _load_plan(self) -> None:
        services, number, stills = self._services, self._case_number, self._sources.stills
        require = self._context.settings.require_approval

        def work() -> str:
            case = services.cases.find(number)
            count = len(stills.for_case(case.id)) if stills is not None else None
            return plan_text(services.clips.clips_for_case(case.id), require, count)

        run_for(self, work, self.plan.setText, lambda exc: self.plan.setText(describe_error(exc)))

    def on_choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Put the package in", str(self._context.exports_dir))
        if folder:
            self.destination.setText(str(Path(folder) / Path(self.destination.text()).name))

    # -- the export ----------------------------------------------------------------------------------------
    def start_export(self) -> None:
        text = self.destination.text().strip()
        if not text:
            self.status.error("package folder: say where the package goes")
            return
        cancel = threading.Event()
        self._cancel, self._progress = cancel, _Progress()
        sources, actor, number = self._sources, actor_of(self._actor), self._case_number
        settings, progress, destination = self._context.settings, self._progress, Path(text)
        # EvidenceContext.for_data_dir puts exports in DATA_DIR/exports; the context names no data dir of its own.
        data_dir = self._context.exports_dir.parent

        def work() -> ExportOutcome:
            signer = centre_key(data_dir)
            result = export_case(sources, actor, number, destination, settings, progress=progress, cancel=cancel,
                                 signer=signer)
            progress(1.0, "verifying the package")
            return ExportOutcome(result, check_package(result.package, result.manifest_sha256,
                                                       known_fingerprint=signer.fingerprint))

        # The dialog deleted with its window mid-export: the export stops and cleans up rather than run on unseen.
        self.destroyed.connect(lambda *_: cancel.set())
        self.status.info("Exporting ...")
        self.report.clear()
        self.progress.setValue(0)
        self._update_buttons()
        self._timer.start()
        run_for(self, work, self._on_done, self._on_failed)

    def cancel_export(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.status.info("Cancelling: the export stops at its next step and removes what it wrote ...")
            self._update_buttons()

    def _show_progress(self) -> None:
        fraction, message = self._progress.read()
        self.progress.setValue(round(max(0.0, min(1.0, fraction)) * STEPS))
        self.message.setText(message)

    def _finish(self) -> None:
        self._timer.stop()
        self._cancel = None
        self._update_buttons()
        if self._close_when_done:
            super().reject()

    def _on_done(self, outcome: ExportOutcome) -> None:
        self.outcome = outcome
        self._show_progress()
        self.message.setText("done")
        r, v = outcome.result, outcome.verification
        lines = [f"Package: {r.package}",
                 f"{len(r.clips)} clip(s), {len(r.stills)} still(s), {r.files} files, {r.bytes:,} bytes "
                 f"in {r.seconds:.1f} s",
                 f"Manifest SHA-256: {r.manifest_sha256}  (record it on the custody form)",
                 f"Signed by the centre's key: {r.key_fingerprint}"]
        lines += [f"Left out {x.kind} {x.id}: {x.reason}" for x in r.left_out]
        if v.ok:
            lines.append(f"Verify: OK - all {v.files_checked} files match the manifest")
            lines.append("Signature: valid, made by the centre's key")
            self.status.info("Exported and verified")
            self.status.setStyleSheet(f"color: {theme.OK};")
        else:
            lines.append("Verify: FAILED")
            lines += [f"  {p}" for p in v.problems]
            self.status.error("The package does not match its manifest: do not hand it over")
        self.report.setPlainText("\n".join(lines))
        self._finish()
        self.exported.emit(outcome)

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ExportCancelled):
            self.progress.setValue(0)
            self.message.setText("cancelled")
            self.status.info(f"Export cancelled; nothing was written to {self.destination.text()}")
        else:
            self.status.failed(exc)
        self._finish()

    def reject(self) -> None:
        """Closing while exporting cancels the export first; the dialog closes once it has stopped."""
        if self.running:
            self._close_when_done = True
            self.cancel_export()
            return
        super().reject()
