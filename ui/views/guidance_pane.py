"""One advice route worked through on one call: the guidance, its checklist, the advice given.

The template's Markdown is rendered read-only (Qt's Markdown support); everything typed on the
call (the advice summary, a reason for skipping) stays plain text and is never rendered. The
route can be closed once every required item is ticked, or skipped with a reason.

Provenance: the first time a template is shown its full text is stored (``provenance.remember``
on the task runner, queued before any save can be). A route that already names a content hash
is shown from the stored text, exactly as it was when the advice was given, even if the file
has changed since.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QMouseEvent, QTextDocument
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.enums import ChecklistState
from supportline.guidance import provenance
from supportline.guidance.model import ChecklistItem, Template
from supportline.services.actor import Actor, Permission
from supportline.services.call_types import ChecklistEntry, RouteData
from supportline.services.permissions import Action, allowed_roles
from ui import style
from ui.tasks import TaskRunner
from ui.widgets.choices import ToggleCheckBox
from ui.widgets.fields import sentence

_FIND = QKeySequence("Ctrl+F")


def _now() -> datetime:
    return datetime.now(UTC)


_HEADING = re.compile(r"^(#{1,6})(\s)", re.MULTILINE)


def _pane_headings(body: str) -> str:
    """The template's own top heading repeats the title shown above the pane, so it goes; the rest
    drop two levels, so section titles read as sections of a side pane, not as page titles."""
    lines = body.strip().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# "):
            del lines[i]
            break
        if line.strip() and not line.startswith(">"):
            break  # the body starts with prose: keep it all
    return _HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + 2) + m.group(2), "\n".join(lines))


def template_markdown(template: Template, *, with_checklist: bool = False) -> str:
    """The body, then (for browsing) the checklist, then the sources, as Markdown."""
    parts = [_pane_headings(template.body)]
    if with_checklist:
        lines = [f"- {i.text}" + (" **(required)**" if i.required else "") for i in template.checklist]
        parts.append("#### Checklist\n\n" + "\n".join(lines))
    if template.sources:
        parts.append("---\n\n**Sources**\n\n" + "\n".join(f"- {s}" for s in template.sources))
    return "\n\n".join(parts) + "\n"


def header_text(template: Template) -> str:
    return f"Version {template.version} · last reviewed {template.reviewed:%d %b %Y}"


def sample_badge(parent: QWidget | None = None) -> QLabel:
    badge = QLabel("Sample content", parent)
    badge.setObjectName("sampleBadge")
    badge.setToolTip("Shipped sample guidance: replace it with your organisation's reviewed content")
    t = style.current()
    badge.setStyleSheet(
        f"QLabel#sampleBadge {{ color: {t.warning}; border: 1px solid {t.warning}; border-radius: 3px;"
        " padding: 1px 6px; font-weight: 600; }"
    )
    badge.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
    return badge


class _ClickLabel(QLabel):
    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


class FindBar(QFrame):
    """Find in a text browser: Enter or F3 for the next match, Shift+Enter or Shift+F3 back, Esc closes."""

    def __init__(self, browser: QTextBrowser, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = browser
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.tr("Find in the guidance"))
        self.edit.setAccessibleName(self.tr("Find in the guidance"))
        self.edit.setClearButtonEnabled(True)
        self.result = QLabel()
        self.result.setObjectName("muted")
        self.previous_button = QPushButton(self.tr("Previous"))
        self.next_button = QPushButton(self.tr("Next"))
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setAccessibleName(self.tr("Close find"))
        self.close_button.setAutoRaise(True)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.result)
        row.addWidget(self.previous_button)
        row.addWidget(self.next_button)
        row.addWidget(self.close_button)
        self.edit.returnPressed.connect(self.find_next)
        self.edit.textEdited.connect(lambda _t: self.find_next(from_start=True))
        self.next_button.clicked.connect(lambda: self.find_next())
        self.previous_button.clicked.connect(self.find_previous)
        self.close_button.clicked.connect(self.close_bar)
        self.edit.installEventFilter(self)
        self.hide()

    def open_bar(self) -> None:
        self.show()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.browser.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and shift:
                self.find_previous()
                return True
        return False

    def find_next(self, *, from_start: bool = False) -> bool:
        if from_start:
            cursor = self.browser.textCursor()
            cursor.setPosition(min(cursor.selectionStart(), cursor.position()))
            self.browser.setTextCursor(cursor)
        return self._find(QTextDocument.FindFlag(0))

    def find_previous(self) -> bool:
        return self._find(QTextDocument.FindFlag.FindBackward)

    def _find(self, flags: QTextDocument.FindFlag) -> bool:
        text = self.edit.text()
        if not text:
            self.result.setText("")
            return False
        found = self.browser.find(text, flags)
        if not found:  # wrap around
            cursor = self.browser.textCursor()
            backward = bool(flags & QTextDocument.FindFlag.FindBackward)
            cursor.movePosition(cursor.MoveOperation.End if backward else cursor.MoveOperation.Start)
            self.browser.setTextCursor(cursor)
            found = self.browser.find(text, flags)
        self.result.setText("" if found else self.tr("Not found"))
        return found


class ChecklistRow(QWidget):
    """One item: a tick box, its text, "Skip…" and (while skipping) the reason, which is required."""

    changed = Signal()

    def __init__(self, item: ChecklistItem, entry: ChecklistEntry | None) -> None:
        super().__init__()
        self.item = item
        self.entry = entry
        em = self.fontMetrics().height()
        self.box = ToggleCheckBox()
        name = item.text + (" (required)" if item.required else "")
        self.box.setAccessibleName(name)
        # A no-break space ties the "*" to the last word: it never wraps onto a line of its own.
        self.label = _ClickLabel(item.text + ("\u00a0*" if item.required else ""))
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setBuddy(self.box)
        if item.required:
            self.label.setToolTip(self.tr("Required: tick it, or skip it with a reason"))
        self.skip_button = QPushButton(self.tr("Skip…"))
        self.skip_button.setAccessibleName(self.tr("Skip: %s") % item.text)
        self.skip_button.setCheckable(True)
        self.skip_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Why is this skipped? (required)"))
        self.reason.setAccessibleName(self.tr("Reason for skipping: %s") % item.text)
        self.reason.hide()
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(int(em * 0.4))
        layout.setVerticalSpacing(2)
        layout.addWidget(self.box, 0, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 0, 1)
        layout.addWidget(self.skip_button, 0, 2, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.reason, 1, 1, 1, 2)
        layout.setColumnStretch(1, 1)
        if entry is not None and entry.state is ChecklistState.TICKED:
            self.box.setChecked(True)
        elif entry is not None and entry.state is ChecklistState.SKIPPED:
            self.skip_button.setChecked(True)
            self.reason.setText(entry.skip_reason)
            self.reason.show()
        self.box.toggled.connect(self._ticked)
        self.label.clicked.connect(self._label_clicked)
        self.skip_button.toggled.connect(self._skip_toggled)
        self.reason.textEdited.connect(self._reason_edited)

    def focus_widgets(self) -> list[QWidget]:
        return [self.box, self.skip_button, self.reason]

    def set_editable(self, editable: bool) -> None:
        for widget in (self.box, self.skip_button, self.reason):
            widget.setEnabled(editable)

    def done(self) -> bool:
        return self.entry is not None and (
            self.entry.state is ChecklistState.TICKED or bool(self.entry.skip_reason.strip())
        )

    def _label_clicked(self) -> None:
        if self.box.isEnabled():
            self.box.toggle()
            self.box.setFocus(Qt.FocusReason.MouseFocusReason)

    def _ticked(self, on: bool) -> None:
        if on:
            self.entry = ChecklistEntry(self.item.id, ChecklistState.TICKED, _now())
            if self.skip_button.isChecked():
                self.skip_button.blockSignals(True)
                self.skip_button.setChecked(False)
                self.skip_button.blockSignals(False)
                self.reason.clear()
                self.reason.hide()
        else:
            self.entry = None
        self.changed.emit()

    def _skip_toggled(self, on: bool) -> None:
        if on:
            if self.box.isChecked():
                self.box.blockSignals(True)
                self.box.setChecked(False)
                self.box.blockSignals(False)
                self.entry = None
            self.reason.show()
            self.reason.setFocus(Qt.FocusReason.OtherFocusReason)
            self.skip_button.setText(self.tr("Don't skip"))
        else:
            self.reason.clear()
            self.reason.hide()
            self.entry = None
            self.skip_button.setText(self.tr("Skip…"))
        self.changed.emit()

    def _reason_edited(self, text: str) -> None:
        reason = text.strip()
        if not reason:
            self.entry = None
        elif self.entry is not None and self.entry.state is ChecklistState.SKIPPED:
            self.entry = dataclasses.replace(self.entry, skip_reason=reason)
        else:
            self.entry = ChecklistEntry(self.item.id, ChecklistState.SKIPPED, _now(), reason)
        self.changed.emit()


class GuidancePane(QWidget):
    """The guidance for one route on one call, and what the adviser did with it."""

    #: Anything recorded changed (a tick, a skip, the advice, closing).
    changed = Signal()
    #: The template is on show (from the library, or the stored text of a saved call).
    template_shown = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        zone: ZoneInfo,
        data: RouteData,
        *,
        template: Template | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner, self._zone = db, actor, runner, zone
        self._data = data
        # Recording advice (ticks, skips, the advice, closing) needs ADVICE_WRITE; without it the
        # pane is for reading, and what the call holds goes back to the save as it came.
        self.editable = actor.can(Permission.ADVICE_WRITE)
        self._given = data
        self._template: Template | None = None
        self._stored = False
        self._entries: dict[str, ChecklistEntry] = {e.item_id: e for e in data.checklist}
        self.rows: list[ChecklistRow] = []
        self.setAccessibleName(self.tr("Guidance: %s") % data.route.label)
        self._build()
        self.advice.setPlainText(data.advice_summary)
        self.advice.textChanged.connect(self._advice_changed)
        self.close_button.clicked.connect(self._close_clicked)
        self._show_adviser()
        if data.template_hash and (template is None or template.content_hash != data.template_hash):
            self._load_stored(data.template_hash)
        elif template is not None:
            self._use(template)
        else:
            self._show_missing(self.tr("The guidance library has no template for this route."))

    # --- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        em = self.fontMetrics().height()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.meta = QLabel()
        self.meta.setObjectName("muted")
        self.meta.setTextFormat(Qt.TextFormat.PlainText)
        self.badge = sample_badge()
        self.badge.hide()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        meta_row = QHBoxLayout()
        meta_row.addWidget(self.meta)
        meta_row.addWidget(self.badge)
        meta_row.addStretch(1)
        titles.addLayout(meta_row)
        # Who to escalate this route to now (the rota), set by the form: set_escalation.
        self.escalation = QLabel()
        self.escalation.setTextFormat(Qt.TextFormat.PlainText)
        self.escalation.setWordWrap(True)
        self.escalation.setAccessibleName(self.tr("Escalate to now"))
        self.escalation.hide()
        titles.addWidget(self.escalation)

        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName(self.tr("Guidance text"))
        self.browser.setMinimumHeight(em * 18)
        self.browser.setTabChangesFocus(True)
        self.find_bar = FindBar(self.browser)

        left = QVBoxLayout()
        left.setSpacing(int(em * 0.4))
        left.addLayout(titles)
        left.addWidget(self.find_bar)
        left.addWidget(self.browser, 1)

        checklist_title = QLabel(self.tr("Checklist  (* required)"))
        checklist_title.setObjectName("fieldLabel")
        self.checklist_box = QVBoxLayout()
        self.checklist_box.setSpacing(int(em * 0.45))
        self.advice = QPlainTextEdit()
        self.advice.setTabChangesFocus(True)
        self.advice.setAccessibleName(self.tr("Advice given"))
        self.advice.setPlaceholderText(self.tr("What was advised, in a few lines"))
        self.advice.setMinimumHeight(em * 4)
        self.advice.setMaximumHeight(em * 7)
        advice_label = QLabel(self.tr("Advice given"))
        advice_label.setObjectName("fieldLabel")
        advice_label.setBuddy(self.advice)
        self.adviser = QLabel()
        self.adviser.setObjectName("muted")
        self.adviser.setTextFormat(Qt.TextFormat.PlainText)
        self.missing = QLabel()
        self.missing.setObjectName("muted")
        self.missing.setWordWrap(True)
        self.missing.setTextFormat(Qt.TextFormat.PlainText)
        self.close_button = QPushButton(self.tr("Close route"))
        self.close_button.setAccessibleName(self.tr("Close route"))
        right = QVBoxLayout()
        right.setSpacing(int(em * 0.5))
        right.addWidget(checklist_title)
        right.addLayout(self.checklist_box)
        right.addWidget(advice_label)
        right.addWidget(self.advice)
        right.addWidget(self.adviser)
        right.addWidget(self.missing)
        close_row = QHBoxLayout()
        close_row.addStretch(1)
        close_row.addWidget(self.close_button)
        right.addLayout(close_row)
        # The room the guidance text leaves goes below everything, not between the adviser and
        # the route's state (a large empty gap once the route was closed, issue 11).
        right.addStretch(1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(int(em * 0.5), int(em * 0.5), int(em * 0.5), int(em * 0.5))
        layout.setSpacing(em)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

        # Ctrl+F is claimed by the pane's own inputs (see eventFilter), so inside the pane it finds
        # in the guidance even where a window has its own Ctrl+F; the action names the key.
        self.find_action = self._shortcut(self.find_bar.open_bar, "Ctrl+F")
        self._claim_keys(self.browser, self.advice, self.close_button, self.find_bar.edit)
        self.find_next_action = self._shortcut(lambda: self.find_bar.find_next(), "F3")
        self.find_previous_action = self._shortcut(self.find_bar.find_previous, "Shift+F3")

    def set_escalation(self, line: str) -> None:
        """The rota's line for this route ("Legal: duty adviser A. Khan until 07:00, then J. Osei")."""
        self.escalation.setText(self.tr("Escalate to: %s") % line if line else "")
        self.escalation.setVisible(bool(line))

    def _shortcut(self, slot: object, key: str) -> QAction:
        action = QAction(self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _claim_keys(self, *widgets: QWidget) -> None:
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            boxes = [row.box for row in self.rows]
            if watched in boxes:
                # Down and Up walk the checklist's boxes (Tab still visits every Skip button).
                i = boxes.index(watched) + (1 if event.key() == Qt.Key.Key_Down else -1)
                if i >= len(boxes):
                    self.advice.setFocus(Qt.FocusReason.TabFocusReason)
                elif i >= 0:
                    boxes[i].setFocus(Qt.FocusReason.TabFocusReason)
                return True
        if isinstance(event, QKeyEvent) and event.type() in (
            QEvent.Type.ShortcutOverride,
            QEvent.Type.KeyPress,
        ):
            pressed = QKeySequence(event.keyCombination())
            if pressed.matches(_FIND) == QKeySequence.SequenceMatch.ExactMatch:
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    self.find_bar.open_bar()
                return True
        return False

    def focus_checklist(self) -> None:
        """On to what the route needs next: the first required item not done yet; once all are
        done, the advice given (the guidance text while the template is still loading)."""
        pending = [row for row in self.rows if row.item.required and not row.done() and row.box.isEnabled()]
        target: QWidget = pending[0].box if pending else (self.advice if self.rows else self.browser)
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = [self.browser]
        for row in self.rows:
            widgets += row.focus_widgets()
        return [*widgets, self.advice, self.close_button]

    # --- the template ---------------------------------------------------------------------

    @property
    def template(self) -> Template | None:
        return self._template

    @property
    def shows_stored_text(self) -> bool:
        return self._stored

    def touched(self) -> bool:
        """Has anything been recorded on this route (so its template must not change under it)?"""
        return bool(self._entries or self.advice.toPlainText().strip() or self._data.closed_at)

    def offer_template(self, template: Template) -> None:
        """A better-matching template (e.g. the child one once a child is added): taken only while
        nothing has been recorded against the one on show."""
        if self._stored or self.touched() or self._template is None:
            return
        if template.id != self._template.id or template.content_hash != self._template.content_hash:
            self._use(template)
            self.changed.emit()

    def _use(self, template: Template) -> None:
        self._data = dataclasses.replace(
            self._data, template_id=template.id, template_hash=template.content_hash
        )
        db = self._db
        self._runner.run(
            lambda: provenance.remember(db, template),
            on_failure=lambda exc: self._show_problem(
                self.tr("The guidance version could not be stored: %s") % (str(exc) or type(exc).__name__)
            ),
            owner=self,
        )
        self._show(template)

    def _load_stored(self, content_hash: str) -> None:
        self.title.setText(self.tr("Loading the guidance as it was given…"))
        db = self._db

        def load() -> Template:
            found = provenance.stored(db, content_hash)
            return provenance.parse_stored(found.text, found.template_id)

        def loaded(template: Template) -> None:
            self._stored = True
            self._show(template)

        self._runner.run(
            load,
            on_success=loaded,
            on_failure=lambda exc: self._show_missing(
                self.tr("The stored guidance could not be loaded: %s") % (str(exc) or type(exc).__name__)
            ),
            owner=self,
        )

    def _show(self, template: Template) -> None:
        self._template = template
        self.title.setText(template.title)
        meta = header_text(template)
        if self._stored:
            meta += " · " + self.tr("as given on this call")
        self.meta.setText(meta)
        self.badge.setVisible(template.sample)
        self.browser.setMarkdown(template_markdown(template))
        for row in self.rows:
            self.checklist_box.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for item in template.checklist:
            row = ChecklistRow(item, self._entries.get(item.id))
            row.changed.connect(lambda r=row: self._row_changed(r))
            self._claim_keys(*row.focus_widgets())
            self.checklist_box.addWidget(row)
            self.rows.append(row)
        self._update_gate()
        self.template_shown.emit()

    def _show_missing(self, text: str) -> None:
        self.title.setText(self._data.route.label)
        self.meta.setText(text)
        self.browser.setPlainText(text)
        self._update_gate()

    def _show_problem(self, text: str) -> None:
        self.meta.setText(sentence(text))

    # --- what the adviser records ---------------------------------------------------------

    def _claim(self) -> None:
        if self._data.adviser_id != self._actor.user_id:
            self._data = dataclasses.replace(self._data, adviser_id=self._actor.user_id)
            self._show_adviser()

    def _show_adviser(self) -> None:
        if self._data.adviser_id is None and not self.editable:
            text = self.tr("Adviser: none recorded yet")
        elif self._data.adviser_id is None:
            text = self.tr("Adviser: you, once you tick or write")
        elif self._data.adviser_id == self._actor.user_id:
            text = self.tr("Adviser: %s") % self._actor.display_name
        else:
            text = self.tr("Adviser: recorded by another user")
        self.adviser.setText(text)

    def _row_changed(self, row: ChecklistRow) -> None:
        if not self.editable:
            return
        if row.entry is None:
            self._entries.pop(row.item.id, None)
        else:
            self._entries[row.item.id] = row.entry
        self._claim()
        self._update_gate()
        self.changed.emit()

    def _advice_changed(self) -> None:
        if not self.editable:
            return
        self._claim()
        self._update_gate()
        self.changed.emit()

    def missing_items(self) -> list[ChecklistItem]:
        """Required items neither ticked nor skipped with a reason."""
        return [row.item for row in self.rows if row.item.required and not row.done()]

    def can_close(self) -> bool:
        return self._template is not None and not self.missing_items()

    def _update_gate(self) -> None:
        if not self.editable:
            self._read_only()
            return
        closed = self._data.closed_at is not None
        for row in self.rows:
            row.set_editable(not closed)
        self.advice.setReadOnly(closed)
        if closed:
            assert self._data.closed_at is not None
            at = self._data.closed_at.astimezone(self._zone)
            self.close_button.setText(self.tr("Reopen route"))
            self.close_button.setEnabled(True)
            self.missing.setText(self.tr("Route closed at %s") % f"{at:%H:%M, %d %b}")
            return
        self.close_button.setText(self.tr("Close route"))
        missing = self.missing_items()
        self.close_button.setEnabled(self.can_close())
        if self._template is None:
            self.missing.setText("")
        elif missing:
            names = "; ".join(item.text for item in missing)
            self.missing.setText(self.tr("To close: tick, or skip with a reason: %s") % names)
        else:
            self.missing.setText(self.tr("Every required item is done; the route can be closed."))
        self.close_button.setToolTip(self.missing.text())

    def _read_only(self) -> None:
        for row in self.rows:
            row.set_editable(False)
        self.advice.setReadOnly(True)
        self.close_button.setEnabled(False)
        roles = ", ".join(role.label.lower() + "s" for role in allowed_roles(Action.ADVICE_RECORD))
        self.missing.setText(
            self.tr("You can read this guidance; advice and ticks are recorded by %s.") % roles
        )
        self.close_button.setToolTip(self.missing.text())

    def _close_clicked(self) -> None:
        if not self.editable:
            return
        if self._data.closed_at is not None:
            self._data = dataclasses.replace(self._data, closed_at=None)
        elif self.can_close():
            self._data = dataclasses.replace(self._data, closed_at=_now())
            self._claim()
        else:
            return
        self._update_gate()
        self.changed.emit()

    def close_route(self) -> bool:
        """Close the route now (as the button does); False while something required is missing."""
        if self._data.closed_at is None:
            self._close_clicked()
        return self._data.closed_at is not None

    def route_data(self) -> RouteData:
        """What was recorded: the template and its hash, ticks and skips with times, advice, adviser.
        Without the permission to record advice: the route as the call held it."""
        if not self.editable:
            return self._given
        order = [item.id for item in self._template.checklist] if self._template else []
        entries = [self._entries[i] for i in order if i in self._entries]
        entries += [e for i, e in self._entries.items() if i not in order]
        return dataclasses.replace(
            self._data, checklist=tuple(entries), advice_summary=self.advice.toPlainText()
        )
