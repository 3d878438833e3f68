"""Export calls to a file: what, which calls, why and where; then a progress bar and a result.

The filters start as the call list's own (what is on screen is what gets exported) and can be
changed here; the number of matching calls is counted as they change. The purpose and recipient
is required: every export is a disclosure, audited with its filters, profile, format, row count
and the file's SHA-256 (:func:`supportline.exports.service.export` does the checking, writing
and auditing, on a task runner of the dialog's own, so the call list and the forms carry on while
a long export runs). Cancel stops the writer at the next call: the temporary file
goes and a file already at the target is left as it was.
"""

from __future__ import annotations

import errno
import importlib.util
import threading
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.exports import service
from supportline.exports.common import (
    DEFAULT_MARKING,
    MARKING_MAX,
    PURPOSE_MAX,
    ExportCancelled,
    ExportFormat,
    ExportOptions,
    ExportResult,
    Profile,
    count_matching,
)
from supportline.services import accounts
from supportline.services.actor import Actor, Permission
from supportline.services.call_types import CallQuery
from supportline.services.errors import ServiceError, ValidationError
from ui.tasks import TaskRunner
from ui.views.filter_bar import DEBOUNCE_MS, FilterFields, read_filters, show_filters
from ui.widgets.fields import ErrorLabel, Section, sentence
from ui.widgets.fitting import FittingScrollArea

PROFILE_LABELS = {
    Profile.FULL: "Full: every field of every call",
    Profile.PSEUDONYMISED: "Pseudonymised: no names, numbers or free text",
    Profile.FIGURES: "Figures only: totals, no row per call",
}
PROFILE_HINTS = {
    Profile.FULL: "Names, phone numbers, narratives and notes: share only with those who need them.",
    Profile.PSEUDONYMISED: "Names, phones, emails and collar numbers become stable pseudonyms "
    "(P-…); summaries, narratives and notes are left out.",
    Profile.FIGURES: "The published-statistics tables for the period; nothing about any one call.",
}
_WRITER_MODULES = {
    ExportFormat.CSV: "supportline.exports.csv_export",
    ExportFormat.JSONL: "supportline.exports.jsonl_export",
    ExportFormat.XLSX: "supportline.exports.xlsx_export",
    ExportFormat.PDF: "supportline.exports.pdf_report",
}


def available_formats() -> list[ExportFormat]:
    """The formats whose writer is installed, in the enum's order."""
    return [f for f in ExportFormat if importlib.util.find_spec(_WRITER_MODULES[f]) is not None]


def allowed_profiles(actor: Actor) -> list[Profile]:
    """The profiles ``actor`` may export: a row per call is personal data, figures are not."""
    profiles = []
    if actor.can(Permission.EXPORT_PERSONAL):
        profiles += [Profile.FULL, Profile.PSEUDONYMISED]
    if actor.can(Permission.EXPORT_FIGURES):
        profiles.append(Profile.FIGURES)
    return profiles


def default_file_name(
    profile: Profile, format: ExportFormat, first: date | None, last: date | None, today: date
) -> str:
    """``supportline-calls-2026-11-01-to-2026-11-28.csv`` and the like: what, which days, what kind."""
    what = {Profile.FULL: "calls", Profile.PSEUDONYMISED: "calls-pseudonymised", Profile.FIGURES: "figures"}
    if first is not None and last is not None:
        span = f"{first.isoformat()}-to-{last.isoformat()}"
    elif first is not None:
        span = f"from-{first.isoformat()}"
    elif last is not None:
        span = f"to-{last.isoformat()}"
    else:
        span = f"all-to-{today.isoformat()}"
    return f"supportline-{what[profile]}-{span}{format.suffix}"


def default_folder() -> Path:
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def problem_text(exc: BaseException) -> str:
    """An export's failure in words a supervisor can act on."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "The disk is full: nothing was written. Free some space or choose another folder."
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return "This folder cannot be written to. Choose another one (Browse…)."
        if exc.errno == errno.ENOENT:
            return "The folder does not exist. Choose another one (Browse…)."
        return f"The file could not be written: {exc.strerror or exc}."
    if isinstance(exc, ServiceError):
        return sentence(str(exc))
    return f"The export failed: {exc or type(exc).__name__}."


class ExportDialog(QDialog, FilterFields):
    """Export the calls the filters match (``result`` holds the last export's outcome)."""

    #: F1 opens this help page (``resources/help/export.md``; ``views/help_window``).
    help_topic = "export"

    #: The matching calls were counted (the number is on show).
    counted = Signal(int)
    #: An export finished: the file is in place and audited.
    exported = Signal(object)
    #: An export stopped: cancelled or failed (the message is on show).
    stopped = Signal(str)
    # Progress from the worker thread (queued to the GUI thread by Qt).
    _progressed = Signal(int, int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        *,
        query: CallQuery | None = None,
        handlers: Sequence[tuple[uuid.UUID, str]] | None = None,
        folder: Path | None = None,
        marking: str = DEFAULT_MARKING,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._default_marking = marking.strip() or DEFAULT_MARKING
        self._db = db
        self._actor = actor
        self._tasks = tasks
        self._zone = db.zone
        self._folder = folder or default_folder()
        self._count_request = 0
        self._running = False
        self._cancel = threading.Event()  # set by Cancel, read by the writer on the worker thread
        # The export has a worker of its own: a long one (a year of calls) must not hold up the
        # call list and the forms, whose work waits its turn on the shared runner. It only reads,
        # and writes one audit event at the end.
        self._export_runner = TaskRunner(self)
        self._path_edited = False
        self.count: int | None = None
        self.last_result: ExportResult | None = None
        self.setWindowTitle(self.tr("Export calls – Supportline"))
        self.setModal(True)
        self._build()
        self.set_query(query or CallQuery())
        if handlers is None:
            self._load_handlers()
        else:
            self.set_handlers(handlers)
        self._progressed.connect(self._show_progress)
        self._format_changed()
        self._update_path()
        self.purpose.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        em = self.fontMetrics().height()
        heading = QLabel(self.tr("Export calls"))
        heading.setObjectName("heading")
        intro = QLabel(
            self.tr(
                "An export is a disclosure: it is recorded in the audit log with its purpose, "
                "filters, profile, number of calls and the file's fingerprint."
            )
        )
        intro.setObjectName("subheading")
        intro.setWordWrap(True)

        # What: format and profile.
        self.format = QComboBox()
        for fmt in available_formats():
            self.format.addItem(fmt.label, fmt)
        self.profile = QComboBox()
        for profile in allowed_profiles(self._actor):
            self.profile.addItem(PROFILE_LABELS[profile], profile)
        self.profile_hint = QLabel()
        self.profile_hint.setObjectName("muted")
        self.profile_hint.setWordWrap(True)
        what = Section(self.tr("What"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(em)
        grid.setVerticalSpacing(int(em * 0.4))
        self._add_labelled(grid, 0, 0, self.tr("F&ormat"), self.format)
        self._add_labelled(grid, 0, 1, self.tr("&Profile"), self.profile)
        grid.addWidget(self.profile_hint, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        what.body.addLayout(grid)

        # Which calls: the call list's filters.
        self._make_filter_fields(
            (self._actor.user_id, self._actor.display_name),
            self.fontMetrics(),
            exploitation_chars=None,
            outcome_chars=18,
        )
        self.text = QLineEdit()
        self.text.setPlaceholderText(self.tr("Words every call must contain (as in the call list's search)"))
        self.text.setClearButtonEnabled(True)
        self.count_label = QLabel(self.tr("Counting…"))
        self.count_label.setObjectName("countPreview")
        self.count_label.setAccessibleName(self.tr("Matching calls"))
        font = self.count_label.font()
        font.setBold(True)
        self.count_label.setFont(font)
        which = Section(self.tr("Which calls"))
        head = QHBoxLayout()
        which.body.removeWidget(which.heading)
        head.addWidget(which.heading)
        head.addStretch(1)
        head.addWidget(self.count_label)
        which.body.addLayout(head)
        grid = QGridLayout()
        grid.setHorizontalSpacing(em)
        grid.setVerticalSpacing(int(em * 0.4))
        dates = QWidget()
        dates_row = QHBoxLayout(dates)
        dates_row.setContentsMargins(0, 0, 0, 0)
        dates_row.addWidget(self.date_from, 1)
        to = QLabel(self.tr("&to"))
        to.setObjectName("muted")
        to.setBuddy(self.date_to)
        dates_row.addWidget(to)
        dates_row.addWidget(self.date_to, 1)
        self.date_from.setAccessibleName(self.tr("Opened from (local date)"))
        self.date_to.setAccessibleName(self.tr("Opened up to and including (local date)"))
        self._add_labelled(grid, 0, 0, self.tr("Opened &from (local days)"), dates, buddy=self.date_from)
        self._add_labelled(grid, 0, 1, self.tr("&Status"), self.status)
        self._add_labelled(grid, 0, 2, self.tr("&Urgency"), self.urgency)
        self._add_labelled(grid, 2, 0, self.tr("&Route"), self.route)
        self._add_labelled(grid, 2, 1, self.tr("Caller a&gency"), self.agency)
        self._add_labelled(grid, 2, 2, self.tr("E&xploitation type"), self.exploitation)
        self._add_labelled(grid, 4, 0, self.tr("Out&come"), self.outcome)
        self._add_labelled(grid, 4, 1, self.tr("Force &area"), self.force)
        self._add_labelled(grid, 4, 2, self.tr("&Handler"), self.handler)
        self._add_labelled(grid, 6, 0, self.tr("Search &words"), self.text, span=2)
        self._add_labelled(grid, 6, 2, self.tr("Hour of the &day (local)"), self.hour)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        which.body.addLayout(grid)

        # The chosen format's options, under its profile (a page per format; none for some).
        self.bom = QCheckBox(
            self.tr("Start with a byte-order &mark (spreadsheet programs then read accents)")
        )
        self.marking = QLineEdit(self._default_marking)
        self.marking.setMaxLength(MARKING_MAX)
        self.marking.setAccessibleName(self.tr("Protective marking"))
        self.marking.setMinimumWidth(self.fontMetrics().horizontalAdvance(self._default_marking) + 40)
        self.marking_label = QLabel(self.tr("Protective mar&king"))
        self.marking_label.setBuddy(self.marking)
        self.marking_error = ErrorLabel()
        self.appendix = QCheckBox(self.tr("Appe&ndix: one block per call after the figures"))
        self.no_options = QLabel(self.tr("No options for this format."))
        self.no_options.setObjectName("muted")
        csv_page, pdf_page, none_page = QWidget(), QWidget(), QWidget()
        csv_row = QHBoxLayout(csv_page)
        csv_row.addWidget(self.bom)
        pdf_row = QHBoxLayout(pdf_page)
        pdf_row.setSpacing(8)
        pdf_row.addWidget(self.marking_label)
        pdf_row.addWidget(self.marking)
        pdf_row.addSpacing(em)
        pdf_row.addWidget(self.appendix)
        pdf_row.addStretch(1)
        none_row = QHBoxLayout(none_page)
        none_row.addWidget(self.no_options)
        self.options_pages = QStackedWidget()
        for page, row_layout in ((csv_page, csv_row), (pdf_page, pdf_row), (none_page, none_row)):
            row_layout.setContentsMargins(0, 0, 0, 0)
            self.options_pages.addWidget(page)
        self._options_page = {ExportFormat.CSV: csv_page, ExportFormat.PDF: pdf_page}
        self._no_options_page = none_page
        what.body.addWidget(self.options_pages)
        what.body.addWidget(self.marking_error)

        # Why and where.
        self.purpose = QLineEdit()
        self.purpose.setMaxLength(PURPOSE_MAX)
        self.purpose.setPlaceholderText(
            self.tr("e.g. Quarterly figures for the regional anti-slavery partnership (to its chair)")
        )
        self.purpose.setAccessibleName(self.tr("Purpose and recipient"))
        self.purpose.setAccessibleDescription(self.tr("Required"))
        self.purpose_error = ErrorLabel()
        self.path = QLineEdit()
        self.path.setAccessibleName(self.tr("File"))
        self.path_error = ErrorLabel()
        self.browse_button = QPushButton(self.tr("&Browse…"))
        self.browse_button.setAccessibleName(self.tr("Choose the file"))
        why = Section(self.tr("Why and where"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(em)
        grid.setVerticalSpacing(int(em * 0.3))
        purpose_label = QLabel(self.tr("Purpose and recip&ient *"))
        purpose_label.setBuddy(self.purpose)
        grid.addWidget(purpose_label, 0, 0)
        grid.addWidget(self.purpose, 0, 1, 1, 2)
        grid.addWidget(self.purpose_error, 1, 1, 1, 2)
        path_label = QLabel(self.tr("Fi&le"))
        path_label.setBuddy(self.path)
        grid.addWidget(path_label, 2, 0)
        grid.addWidget(self.path, 2, 1)
        grid.addWidget(self.browse_button, 2, 2)
        grid.addWidget(self.path_error, 3, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        why.body.addLayout(grid)

        self.inputs = QWidget()
        inputs = QVBoxLayout(self.inputs)
        inputs.setContentsMargins(0, 0, 0, 0)
        inputs.setSpacing(int(em * 0.6))
        for section in (what, which, why):
            inputs.addWidget(section)

        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Export progress"))
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setAccessibleName(self.tr("Export status"))
        self.status_label.hide()

        self.open_folder_button = QPushButton(self.tr("Open fol&der"))
        self.open_folder_button.hide()
        self.close_button = QPushButton(self.tr("Cancel"))
        self.close_button.setAutoDefault(False)
        self.export_button = QPushButton(self.tr("&Export"))
        self.export_button.setObjectName("primary")
        self.export_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 14)
        layout.setSpacing(int(em * 0.5))
        layout.addWidget(heading)
        layout.addWidget(intro)
        # The fields scroll rather than run off a small screen (1366x768 with large fonts).
        self.inputs_area = FittingScrollArea(self.inputs)
        self.inputs_area.setAccessibleName(self.tr("Export calls"))
        layout.addWidget(self.inputs_area, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self.setMinimumWidth(em * 46)

        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(DEBOUNCE_MS)
        self._count_timer.timeout.connect(self.recount)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self._filters_changed())
        for combo in self._filter_combos():
            combo.currentIndexChanged.connect(lambda _i: self._filters_changed())
        self.force.textChanged.connect(lambda _t: self._filters_changed())
        self.text.textChanged.connect(lambda _t: self._filters_changed())
        self.format.currentIndexChanged.connect(lambda _i: self._format_changed())
        self.profile.currentIndexChanged.connect(lambda _i: self._format_changed())
        self.path.textEdited.connect(self._path_typed)
        self.purpose.textEdited.connect(lambda _t: self.purpose_error.clear_message())
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.start_export)
        self.close_button.clicked.connect(self.reject)
        self.open_folder_button.clicked.connect(self.open_folder)

    def _add_labelled(
        self,
        grid: QGridLayout,
        row: int,
        column: int,
        text: str,
        widget: QWidget,
        *,
        buddy: QWidget | None = None,
        span: int = 1,
    ) -> None:
        """``text`` above ``widget`` (the label's mnemonic focuses ``buddy`` or the widget)."""
        label = QLabel(text)
        label.setObjectName("fieldLabel")
        label.setBuddy(buddy or widget)
        if not (buddy or widget).accessibleName():
            (buddy or widget).setAccessibleName(text.replace("&", "").split(" (")[0])
        grid.addWidget(label, row, column, 1, span)
        grid.addWidget(widget, row + 1, column, 1, span)

    # --- the filters ------------------------------------------------------------------------

    def query(self) -> CallQuery:
        return read_filters(self, self.text.text(), self._zone)

    def set_query(self, query: CallQuery) -> None:
        """Show ``query``'s filters (the call list's, when the dialog opens)."""
        show_filters(self, query, self._zone)
        self.text.setText(query.text)
        self.recount()

    def _load_handlers(self) -> None:
        db, actor = self._db, self._actor
        self._tasks.run(
            lambda: [(h.id, h.display_name) for h in accounts.list_handlers(db, actor)],
            on_success=self.set_handlers,
            on_failure=lambda _exc: None,
            owner=self,
        )

    def _filters_changed(self) -> None:
        self.count_label.setText(self.tr("Counting…"))
        self._count_timer.start()
        self._update_path()

    def recount(self) -> None:
        """Count the matching calls on the runner (a later count supersedes an earlier one)."""
        self._count_timer.stop()
        self._count_request += 1
        request = self._count_request
        self.count = None
        self.count_label.setText(self.tr("Counting…"))
        db, query = self._db, self.query()
        self._tasks.run(
            lambda: count_matching(db, query),
            on_success=lambda n: self._counted(request, n),
            on_failure=lambda exc: self._count_failed(request, exc),
            owner=self,
        )

    def _counted(self, request: int, count: int) -> None:
        if request != self._count_request:
            return
        self.count = count
        if count == 0:
            text = self.tr("No calls match")
        elif count == 1:
            text = self.tr("1 call matches")
        else:
            text = self.tr("%s calls match") % f"{count:,}"
        self.count_label.setText(text)
        self.counted.emit(count)

    def _count_failed(self, request: int, exc: BaseException) -> None:
        if request == self._count_request:
            self.count_label.setText(self.tr("The calls could not be counted: %s") % exc)

    # --- format, profile and file ------------------------------------------------------------

    def chosen_format(self) -> ExportFormat:
        return ExportFormat(self.format.currentData())

    def chosen_profile(self) -> Profile:
        return Profile(self.profile.currentData())

    def _format_changed(self) -> None:
        fmt, profile = self.chosen_format(), self.chosen_profile()
        self.profile_hint.setText(PROFILE_HINTS[profile])
        self.options_pages.setCurrentWidget(self._options_page.get(fmt, self._no_options_page))
        self.bom.setEnabled(fmt is ExportFormat.CSV)
        pdf = fmt is ExportFormat.PDF
        self.marking.setEnabled(pdf)
        self.marking_label.setEnabled(pdf)
        self.appendix.setEnabled(pdf and profile is not Profile.FIGURES)
        if profile is Profile.FIGURES:
            self.appendix.setChecked(False)
        for widget, tip in (
            (self.bom, self.tr("CSV files only")),
            (self.marking, self.tr("Printed in the header and footer of every PDF page")),
            (
                self.appendix,
                self.tr("PDF reports with a row per call only (not the figures profile)"),
            ),
        ):
            widget.setToolTip(tip)
        if self._path_edited:
            text = self.path.text().strip()
            if text:
                self.path.setText(str(Path(text).with_suffix(fmt.suffix)))
        self._update_path()

    def _path_typed(self, _text: str) -> None:
        self._path_edited = True
        self.path_error.clear_message()

    def _update_path(self) -> None:
        if self._path_edited:
            return
        name = default_file_name(
            self.chosen_profile(),
            self.chosen_format(),
            self.date_from.value(),
            self.date_to.value(),
            datetime.now(self._zone).date(),
        )
        self.path.setText(str(self._folder / name))

    def target(self) -> Path:
        return Path(self.path.text().strip()).expanduser()

    def browse(self) -> None:
        chosen = self.choose_file(self.target(), self.chosen_format())
        if chosen is not None:
            if chosen.suffix.lower() != self.chosen_format().suffix:
                chosen = chosen.with_name(chosen.name + self.chosen_format().suffix)
            self.path.setText(str(chosen))
            self._path_edited = True
            self.path_error.clear_message()

    def choose_file(self, start: Path, fmt: ExportFormat) -> Path | None:
        """The save-file chooser (tests replace this)."""
        name, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Export to"),
            str(start),
            f"{fmt.label} (*{fmt.suffix})",
        )
        return Path(name) if name else None

    def confirm_replace(self, path: Path) -> bool:
        """Ask before an existing file is replaced (tests replace this)."""
        answer = QMessageBox.question(
            self,
            self.tr("Replace the file?"),
            self.tr("%s already exists. Replace it with this export?") % path.name,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    # --- exporting --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    def options(self) -> ExportOptions:
        fmt = self.chosen_format()
        return ExportOptions(
            bom=self.bom.isChecked() and fmt is ExportFormat.CSV,
            marking=self.marking.text().strip() if fmt is ExportFormat.PDF else DEFAULT_MARKING,
            appendix=self.appendix.isChecked() and self.appendix.isEnabled(),
        )

    def start_export(self) -> None:
        if self._running:
            return
        self._clear_errors()
        purpose = self.purpose.text().strip()
        path = self.target()
        problems = False
        if not purpose:
            self.purpose_error.show_message(self.tr("Required: say why the calls are exported and to whom."))
            problems = True
        if not self.path.text().strip():
            self.path_error.show_message(self.tr("Required: the file to write."))
            problems = True
        elif path.is_dir():
            self.path_error.show_message(self.tr("This is a folder: give a file name too."))
            problems = True
        elif not path.parent.is_dir():
            self.path_error.show_message(self.tr("The folder %s does not exist.") % path.parent)
            problems = True
        if problems:
            (self.purpose if not purpose else self.path).setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if path.exists() and not self.confirm_replace(path):
            self.path.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._set_running(True)
        self._cancel = cancel = threading.Event()
        db, actor = self._db, self._actor
        fmt, profile, query, options = (
            self.chosen_format(),
            self.chosen_profile(),
            self.query(),
            self.options(),
        )

        def work() -> ExportResult:
            return service.export(
                db, actor, format=fmt, query=query, profile=profile, path=path, purpose=purpose,
                options=options, progress=self._progressed.emit, cancelled=cancel.is_set,
            )  # fmt: skip

        self._export_runner.run(work, on_success=self._done, on_failure=self._failed, owner=self)

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the export running (if any) has finished and reported (shutdown)."""
        return self._export_runner.wait_until_idle(timeout_ms)

    def cancel_export(self) -> None:
        """Stop the export at the next call written; nothing is left at the target."""
        if self._running:
            self._cancel.set()
            self.close_button.setEnabled(False)
            self._show_status(self.tr("Cancelling…"))

    def _show_progress(self, done: int, total: int) -> None:
        if not self._running:
            return
        if self.chosen_profile() is Profile.FIGURES or total <= 0:
            self.progress.setRange(0, 0)  # busy: figures are counted, not written call by call
            return
        self.progress.setRange(0, total)
        self.progress.setValue(min(done, total))
        self.progress.setFormat(self.tr("%s of %s calls") % (f"{done:,}", f"{total:,}"))

    def _done(self, result: ExportResult) -> None:
        self.last_result = result
        self._set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat(self.tr("Done"))
        if result.profile is Profile.FIGURES:
            what = self.tr("Figures for %s calls") % f"{result.rows:,}"
        elif result.rows == 1:
            what = self.tr("1 call")
        else:
            what = self.tr("%s calls") % f"{result.rows:,}"
        self._show_status(
            self.tr("%s exported to %s\nSHA-256 %s (recorded in the audit log)")
            % (what, result.path, result.sha256)
        )
        self.open_folder_button.show()
        self.close_button.setText(self.tr("Close"))
        self.close_button.setDefault(True)
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.exported.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._set_running(False)
        self.progress.hide()
        if isinstance(exc, ExportCancelled):
            message = self.tr("Cancelled: no file was written")
            if self.target().exists():
                message += self.tr("; the file already there is unchanged")
            message += "."
            self._show_status(message)
        elif isinstance(exc, ValidationError):
            general = []
            for error in exc.errors:
                label = {
                    "purpose": self.purpose_error,
                    "marking": self.marking_error,
                    "path": self.path_error,
                }.get(error.field)
                if label is None:
                    general.append(str(error))
                else:
                    label.show_message(error.message)
            message = "\n".join(general) or self.tr("Nothing was exported: see the messages above.")
            self._show_status(message, error=True)
        else:
            message = problem_text(exc)
            self._show_status(self.tr("Nothing was exported. %s") % message, error=True)
        self.stopped.emit(self.status_label.text())

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.inputs.setEnabled(not running)
        self.export_button.setEnabled(not running)
        self.close_button.setEnabled(True)
        self.close_button.setText(self.tr("&Cancel export") if running else self.tr("Cancel"))
        if running:
            self.open_folder_button.hide()
            self.progress.setRange(0, 0)
            self.progress.setFormat("")
            self.progress.show()
            self._show_status(self.tr("Exporting…"))
            self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("error" if error else "")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(text)
        self.status_label.show()

    def _clear_errors(self) -> None:
        for label in (self.purpose_error, self.path_error, self.marking_error):
            label.clear_message()
        self.status_label.hide()

    def open_folder(self) -> None:
        if self.last_result is not None:
            self.reveal(self.last_result.path.parent)

    def reveal(self, folder: Path) -> None:
        """Show the folder in the desktop's file manager (tests replace this)."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def reject(self) -> None:
        """Esc or Cancel: while exporting, stop the export (the dialog stays to say so)."""
        if self._running:
            self.cancel_export()
            return
        super().reject()
