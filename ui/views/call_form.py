"""The new-call and edit-call form: what an operator fills in while an officer is on the line.

Built for the keyboard: top-to-bottom tab order, a mnemonic on every label, Enter or Space
toggles a box, Ctrl+S (or Ctrl+Enter) saves, Ctrl+K links the call to the case of the officer's
earlier call, Ctrl+Shift+E closes the call. The service decides what is valid; the form shows
each refusal under its field, focuses the first one and keeps everything typed. Every change is
written as a draft in the database within about two seconds (through the task runner, never a
temp file), so a crash or a power cut loses nothing; while the database does not take drafts
(unreachable, read-only, full) the draft is kept on this computer instead
(``supportline.sync.local_drafts``) and moved to the database when it is back.

The sections (``ui.widgets.call_sections``) lay out the inputs and read them into ``CallData``;
this class holds what the form is editing (a new call, or a saved one at a version), saves it,
keeps the draft, and links the call to an earlier case.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError

from supportline.db import Database, DatabaseUnavailableError
from supportline.enums import AgencyType, CallStatus, Route
from supportline.guidance import routing
from supportline.guidance.loader import GuidanceLibrary
from supportline.guidance.model import Template
from supportline.services import call_codec, calls, drafts
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller, CallRecord, CallSummary, RouteData
from supportline.services.drafts import DraftRecord
from supportline.services.errors import ConflictError, FieldError, ServiceError, ValidationError
from ui import tasks
from ui.tasks import TaskRunner

if TYPE_CHECKING:
    from supportline.sync.journal import JournalEntry
    from supportline.sync.local_drafts import DraftWritten, LocalDrafts
    from ui.escalation import EscalationFeed
    from ui.outage import Outage
from ui.views.earlier_calls import EarlierCallsPanel
from ui.views.guidance_pane import GuidancePane
from ui.widgets.call_sections import AdviceSection, CallerSection, CallSection, CaseSection, Target
from ui.widgets.call_timer import CallTimer
from ui.widgets.fields import ErrorLabel, FieldBlock, Section, sentence
from ui.widgets.local_time import LocalDateTimeEdit

#: A person's list of codes, and the service's value-free message for an unknown entry in it.
_CODE_FIELD = re.compile(r"persons\[(?P<row>\d+)\]\.(?P<list>nationalities|languages)")
_UNKNOWN_CODE = re.compile(r"entry (?P<entry>\d+) is not a known code")

log = logging.getLogger(__name__)

#: A change is written as a draft at most this long after it was made.
AUTOSAVE_MS = 1500
#: Route suggestions follow the form this long after the last change.
SUGGEST_MS = 300


class CallForm(QWidget):
    """One call being taken or edited; lives in a tab of the main window."""

    #: The call was saved (the ``CallRecord`` the service returned).
    saved = Signal(object)
    dirty_changed = Signal(bool)
    title_changed = Signal(str)
    #: A save was refused or failed; the message shown (field messages sit beside their fields).
    save_failed = Signal(str)
    #: A draft was written to the database.
    draft_saved = Signal()
    #: The route suggestions were worked out again (after the form changed).
    suggestions_updated = Signal()
    #: A save conflicted and the conflict view opened (the ``ConflictDialog``).
    conflict_opened = Signal(object)
    #: A save of a call whose journaled saves the database had refused went through: the call's
    #: id (the window forgets those journal entries: this save holds what they held, and more).
    journal_settled = Signal(object)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        zone: ZoneInfo,
        *,
        record: CallRecord | None = None,
        draft: DraftRecord | None = None,
        library: GuidanceLibrary | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner, self._zone = db, actor, runner, zone
        # Without a library the form records routes only (no suggestions, no guidance panes).
        self._library = library
        self._suggestions: dict[Route, routing.Suggestion] = {}
        self.panes: dict[Route, GuidancePane] = {}
        self._filling = False
        self._loading = True
        self._dirty = False
        self._saving = False
        self._discarded = False
        self._last_draft: dict[str, Any] | None = None
        self._title = ""
        self._draft_id = draft.id if draft is not None else uuid.uuid4()
        self._form_opened_at = datetime.now(UTC)
        # What the form edits: a new call, or a saved one at a version.
        self._record = record
        self._escalation: EscalationFeed | None = None  # who is on duty now: set_escalation
        #: Where a save the database did not take goes (set by the main window; ui/outage.py).
        self.outage: Outage | None = None
        #: Where a draft the database did not take goes (set by the main window).
        self.local_drafts: LocalDrafts | None = None
        #: Where the last draft went: "database", "computer" (kept locally), "" (not written).
        self.draft_kept = ""
        self._journal_held = False  # the form holds journaled saves the database refused
        self._last_attempt: tuple[CallData, int | None, uuid.UUID] | None = None
        self._version: int | None = record.version if record else None
        self._reference = record.reference if record else ""
        self._provisional = ""  # PENDING-…: a new call kept in the journal until it is sent
        self._own_case_id: uuid.UUID | None = record.data.case_id if record else None
        self._own_case_reference = record.case_reference if record else ""
        self._case_id = self._own_case_id
        self._linked_reference = ""
        empty = CallData(caller=Caller(name="", agency_type=AgencyType.OTHER), opened_at=self._form_opened_at)
        self._base: CallData = record.data if record else empty
        self._call_id = record.id if record else (draft.call_id if draft else self._base.id)

        self._build()
        self._connect()
        self._fill(self._base, agency_chosen=record is not None)
        if draft is not None:
            self._restore(draft)
        self._loading = False
        self._update_title()
        self._fix_tab_order()
        self._look_up_earlier(now=True)
        self.caller.name.setFocus()

    # === layout ====================================================================================

    def _build(self) -> None:
        em = self.fontMetrics().height()
        self.caller = CallerSection()
        self.earlier = EarlierCallsPanel(
            self._db, self._actor, self._runner, self._zone, exclude_call_id=self._call_id
        )
        earlier_section = Section(self.tr("Repeat caller"))
        earlier_section.body.addWidget(self.earlier, 1)
        self.call = CallSection()
        self.case = CaseSection()
        self.advice = AdviceSection(self._zone)
        self.sections = (self.caller, self.call, self.case, self.advice)

        content = QWidget()
        content.setObjectName("callFormContent")
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, int(em * 0.5), 0)
        body.setSpacing(em)
        top = QHBoxLayout()
        top.setSpacing(em)
        top.addWidget(self.caller, 3)
        top.addWidget(earlier_section, 2)
        body.addLayout(top)
        for section in (self.call, self.case, self.advice):
            body.addWidget(section)
        self.guidance_tabs = QTabWidget()
        self.guidance_tabs.setObjectName("guidanceTabs")
        self.guidance_tabs.setDocumentMode(True)
        self.guidance_tabs.tabBar().setAccessibleName(self.tr("Guidance for the chosen routes"))
        # The tab widget hands its focus to its tab bar (its focus proxy), so Tab stops on it as
        # if it were the bar. It sits in the focus chain after Save (where its panes were made),
        # so Tab from Save went back into the guidance for ever (issue 11). The bar alone is the
        # stop, in its place in the form's order. (A policy set on a widget is set on its proxy
        # too: the bar gets its own back.)
        self.guidance_tabs.setFocusProxy(None)  # type: ignore[arg-type]  # None clears it
        self.guidance_tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.guidance_tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.guidance_section = Section(self.tr("Guidance for the chosen routes"))
        self.guidance_section.body.addWidget(self.guidance_tabs)
        self.guidance_section.hide()
        body.addWidget(self.guidance_section)
        body.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("callFormScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll_area.setWidget(content)

        self.message = ErrorLabel()
        self.message.setAccessibleName(self.tr("Form message"))
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # On a wide screen the form keeps a readable width, centred in its tab.
        column = QWidget()
        column.setMaximumWidth(em * 100)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(em, int(em * 0.7), em, int(em * 0.7))
        layout.setSpacing(int(em * 0.6))
        layout.addLayout(self._build_header(em))
        layout.addWidget(self.message)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(self._build_footer())
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(column)

        self.save_action = self._action(self.tr("Save call"), "Ctrl+S", "Ctrl+Return", "Ctrl+Enter")
        self.close_action = self._action(self.tr("Close call"), "Ctrl+Shift+E")
        self.link_action = self._action(self.tr("Link to this case"), "Ctrl+K")
        self.fill_caller_action = self._action(self.tr("Fill the caller from the earlier call"), "Ctrl+R")
        self.guidance_action = self._action(self.tr("Go to the guidance checklist"), "F6")

    def _build_header(self, em: int) -> QHBoxLayout:
        """What this is, how long the call has run, when it started."""
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.case_label = QLabel()
        self.case_label.setObjectName("muted")
        self.timer = CallTimer()
        self.timer.setToolTip(self.tr("Time since the call started"))
        self.opened = LocalDateTimeEdit(self._zone)
        self.opened_zone = QLabel()
        self.opened_zone.setObjectName("muted")
        opened_row = QWidget()
        row = QHBoxLayout(opened_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.opened)
        row.addWidget(self.opened_zone)
        self.opened_block = FieldBlock(self.tr("Call &started"), opened_row, required=True)
        self.opened_block.label.setBuddy(self.opened)
        self.opened.setAccessibleName(self.tr("Call started"))
        self.opened.setAccessibleDescription(self.tr("Required. Date and time in the line's time zone"))
        legend = QLabel(self.tr("* required"))
        legend.setObjectName("muted")
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.heading)
        titles.addWidget(self.case_label)
        timer_box = QVBoxLayout()
        timer_box.setSpacing(0)
        caption = QLabel(self.tr("Call time"))
        caption.setObjectName("muted")
        timer_box.addWidget(caption)
        timer_box.addWidget(self.timer)
        header = QHBoxLayout()
        header.setSpacing(em * 2)
        header.addLayout(titles, 1)
        header.addLayout(timer_box)
        header.addWidget(self.opened_block)
        header.addWidget(legend, 0, Qt.AlignmentFlag.AlignBottom)
        return header

    def _build_footer(self) -> QHBoxLayout:
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setAccessibleName(self.tr("Form status"))
        self.close_button = QPushButton(self.tr("Close call"))
        self.close_button.setAccessibleName(self.tr("Close call"))
        self.close_button.setToolTip(self.tr("Save the call as finished (Ctrl+Shift+E)"))
        self.save_button = QPushButton(self.tr("Save  (Ctrl+S)"))
        self.save_button.setObjectName("primary")
        self.save_button.setAccessibleName(self.tr("Save"))
        self.save_button.setDefault(True)
        footer = QHBoxLayout()
        footer.addWidget(self.status, 1)
        footer.addWidget(self.close_button)
        footer.addWidget(self.save_button)
        return footer

    def _action(self, text: str, *keys: str) -> QAction:
        # WidgetWithChildrenShortcut: several forms open in tabs each answer only their own keys.
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        return action

    # === wiring ====================================================================================

    def _connect(self) -> None:
        self.save_action.triggered.connect(self.save)
        self.save_button.clicked.connect(self.save)
        self.close_action.triggered.connect(self.close_call)
        self.close_button.clicked.connect(self.close_call)
        self.link_action.triggered.connect(self.earlier.request_link)
        self.fill_caller_action.triggered.connect(self.fill_caller_from_earlier)
        self.earlier.fill_requested.connect(self.fill_caller_from_earlier)
        self.guidance_action.triggered.connect(self.go_to_guidance)
        self.earlier.link_requested.connect(self._link)
        self.earlier.unlink_requested.connect(self._unlink)
        self.opened.moment_changed.connect(self._opened_changed)
        self.caller.collar.textEdited.connect(lambda _t: self._look_up_earlier())
        self.caller.phone.textEdited.connect(lambda _t: self._look_up_earlier())
        self.case.persons.rows_changed.connect(self._fix_tab_order)
        self.advice.referrals.rows_changed.connect(self._fix_tab_order)
        for section in self.sections:
            section.changed.connect(self._changed)
        self._suggest_timer = QTimer(self)
        self._suggest_timer.setSingleShot(True)
        self._suggest_timer.setInterval(SUGGEST_MS)
        self._suggest_timer.timeout.connect(self.update_suggestions)
        if self._library is not None:
            for section in (self.caller, self.call, self.case):
                section.changed.connect(self._suggest_timer.start)
            self.advice.routes.changed.connect(self._sync_panes)
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.flush_draft)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _focus_order(self) -> list[QWidget]:
        return [
            self.opened,
            *self.caller.focus_widgets(),
            self.earlier.list, self.earlier.fill_button, self.earlier.link_button, self.earlier.unlink_button,
            *self.call.focus_widgets(), *self.case.focus_widgets(), *self.advice.focus_widgets(),
            *self._guidance_focus_widgets(),
            self.close_button, self.save_button,
        ]  # fmt: skip

    def _guidance_focus_widgets(self) -> list[QWidget]:
        if not self.panes:
            return []
        widgets: list[QWidget] = [self.guidance_tabs.tabBar()]
        for route in Route:
            if route in self.panes:
                widgets += self.panes[route].focus_widgets()
        return widgets

    def _fix_tab_order(self) -> None:
        order = self._focus_order()
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        for widget in order:
            if isinstance(widget, QLineEdit | QPlainTextEdit):
                widget.removeEventFilter(self)
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Text fields claim some keys before shortcuts see them (Linux key bindings make Ctrl+K
        # "delete to the end of the line"); in this form the form's own shortcuts win.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            for action in (
                self.save_action, self.close_action, self.link_action, self.fill_caller_action,
                self.guidance_action,
            ):  # fmt: skip
                if any(
                    k.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch for k in action.shortcuts()
                ):
                    return True
        return False

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Whatever takes the focus (Tab, a mnemonic, an error) is scrolled into sight."""
        if new is None or not shiboken6.isValid(self) or not shiboken6.isValid(self.scroll_area):
            return
        content = self.scroll_area.widget()
        if content is not None and content.isAncestorOf(new):
            self.bring_into_view(new)
            # A widget that has just appeared (a guidance pane, a new person) is laid out on the
            # next turn of the event loop: look again then.
            QTimer.singleShot(0, lambda: self._bring_focus_into_view(new))

    def _bring_focus_into_view(self, widget: QWidget) -> None:
        if shiboken6.isValid(self) and shiboken6.isValid(widget) and QApplication.focusWidget() is widget:
            self.bring_into_view(widget)

    def label_for(self, widget: QWidget) -> QLabel | None:
        """The label that names ``widget`` on screen (its buddy label), if any."""
        content = self.scroll_area.widget()
        if content is None:
            return None
        for label in content.findChildren(QLabel):
            if label.buddy() is widget and label.isVisible():
                return label
        return None

    def bring_into_view(self, widget: QWidget) -> None:
        """Scroll so that ``widget`` and its label show whole; one taller than the view shows
        from its label down (issue 11: Guidance text had 50 of its 838 px on screen, a field
        scrolled up to its label's last 2 px)."""
        content = self.scroll_area.widget()
        if content is None or not content.isAncestorOf(widget):
            return
        rect = QRect(widget.mapTo(content, QPoint(0, 0)), widget.size())
        label = self.label_for(widget)
        if label is not None:
            rect = rect.united(QRect(label.mapTo(content, QPoint(0, 0)), label.size()))
        margin = self.fontMetrics().height() // 2
        top, bottom = max(0, rect.top() - margin), rect.bottom() + margin
        bar = self.scroll_area.verticalScrollBar()
        view = self.scroll_area.viewport().height()
        value = bar.value()
        if bottom - top > view or top < value:
            value = top
        elif bottom > value + view:
            value = bottom - view
        bar.setValue(value)

    # === state =====================================================================================

    def call_id(self) -> uuid.UUID:
        return self._call_id

    def set_escalation(self, feed: EscalationFeed) -> None:
        """Show who to escalate to now (under the routes, and in each route's guidance pane),
        from the window's feed, as it reads the rota again."""
        self._escalation = feed
        feed.changed.connect(self._show_escalation)
        self._show_escalation()

    def _show_escalation(self) -> None:
        feed = self._escalation
        if feed is None or not shiboken6.isValid(self):
            return
        self.advice.set_escalation(feed.lines, feed.problem)
        for route, pane in self.panes.items():
            pane.set_escalation(feed.line(route))

    def title(self) -> str:
        return self._title

    def has_unsaved_changes(self) -> bool:
        return self._dirty

    def record(self) -> CallRecord | None:
        """The call as last saved (None while a new call has never been saved)."""
        return self._record

    def draft_id(self) -> uuid.UUID:
        return self._draft_id

    def _changed(self, *_args: object) -> None:
        if self._loading:
            return
        self._set_dirty(True)
        if not self._discarded and not self._autosave.isActive():
            self._autosave.start()

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    def _update_title(self) -> None:
        local = self.opened.moment().astimezone(self._zone)
        title = self._reference or self._provisional or self.tr("New call %s") % f"{local:%H:%M}"
        self.heading.setText(self._reference or self._provisional or self.tr("New call"))
        if self._linked_reference:
            case = self.tr("Adds to case %s") % self._linked_reference
        elif self._own_case_reference:
            case = self.tr("Case %s") % self._own_case_reference
        else:
            case = self.tr("Starts a new case")
        if self._record is not None and self._base.status is CallStatus.CLOSED:
            case += "  ·  " + self.tr("closed")
        self.case_label.setText(case)
        if title != self._title:
            self._title = title
            self.title_changed.emit(title)

    def _opened_changed(self) -> None:
        self.timer.set_start(self.opened.moment())
        self.opened_zone.setText(self.opened.zone_abbreviation())
        self._update_title()
        self._changed()

    def _look_up_earlier(self, *, now: bool = False) -> None:
        self.earlier.look_up(self.caller.collar.text(), self.caller.phone.text())
        if now:
            self.earlier.look_up_now()

    def fill_caller_from_earlier(self) -> None:
        """Fill the caller section from the earlier call chosen in the panel (a repeat caller):
        name, rank, agency, organisation, phone and email, as they were recorded then."""
        summary = self.earlier.selected()
        if summary is None:
            self.status.setText(self.tr("No earlier call to fill the caller from."))
            return
        db, actor = self._db, self._actor
        self._runner.run(
            lambda: calls.get_call(db, actor, summary.id),
            on_success=self._fill_caller_from,
            on_failure=lambda exc: self.status.setText(
                self.tr("The earlier call could not be read: %s") % (sentence(str(exc)) or type(exc).__name__)
            ),
            owner=self,
        )

    def _fill_caller_from(self, record: CallRecord) -> None:
        self.caller.fill_from(record.data.caller)
        self._look_up_earlier()
        self.status.setText(self.tr("Caller filled from %s.") % record.reference)

    def go_to_guidance(self) -> None:
        """To the checklist of the guidance on show: its first required item not done yet (else
        its first item, else the guidance text)."""
        pane = self.guidance_tabs.currentWidget()
        if not isinstance(pane, GuidancePane) or not self.guidance_section.isVisible():
            self.status.setText(self.tr("No guidance yet: choose an advice route first."))
            return
        pane.focus_checklist()

    def _link(self, summary: CallSummary) -> None:
        if summary.case_id == self._own_case_id:
            self._unlink()
            return
        self._case_id = summary.case_id
        self._linked_reference = summary.case_reference
        self.earlier.set_linked(summary.case_reference)
        self.status.setText(self.tr("This call will be added to %s.") % summary.case_reference)
        self._update_title()
        self._changed()

    def follow_on_from(self, record: CallRecord) -> None:
        """A new call following up ``record`` (a completed follow-up, issue 14): its caller
        filled in and the call added to its case."""
        self.caller.fill_from(record.data.caller)
        self._case_id = record.data.case_id
        self._linked_reference = record.case_reference
        self.earlier.set_linked(record.case_reference)
        self._look_up_earlier()
        self.status.setText(
            self.tr("Following up %s: this call will be added to %s.")
            % (record.reference, record.case_reference)
        )
        self._update_title()
        self._changed()

    def _unlink(self) -> None:
        self._case_id = self._own_case_id
        self._linked_reference = ""
        self.earlier.set_linked("")
        self.status.setText(self.tr("Unlinked: this call keeps a case of its own."))
        self._update_title()
        self._changed()
        self.earlier.list.setFocus()

    # === widgets ↔ CallData ========================================================================

    def call_data(self) -> CallData:
        """The call as the form holds it now (not validated: the service does that)."""
        return self._collect(for_draft=False)

    def _collect(self, *, for_draft: bool) -> CallData:
        # An unchosen agency goes to the service as "" so it is named with the other problems;
        # a draft must decode, so it holds a valid value and remembers that none was chosen.
        caller = self.caller.caller(agency_fallback=AgencyType.OTHER if for_draft else "")
        return dataclasses.replace(
            self._base,
            id=self._call_id,
            caller=caller,
            opened_at=self.opened.moment(),
            case_id=self._case_id,
            **self.call.values(),
            **self.case.values(),
            **self._advice_values(),
        )

    def _advice_values(self) -> dict[str, Any]:
        values = self.advice.values(self._base)
        if self._library is not None:
            values["routes"] = self._routes(values["routes"])
        return values

    # === guidance ==================================================================================

    def _routes(self, carried: tuple[RouteData, ...]) -> tuple[RouteData, ...]:
        """Every route chosen or suggested (an unchosen suggestion is kept, chosen=False), or
        with advice already recorded; a pane's record for each route that has one."""
        chosen = self.advice.routes.values()
        by_route = {r.route: r for r in carried}
        routes: list[RouteData] = []
        for route in Route:
            pane = self.panes.get(route)
            suggestion = self._suggestions.get(route)
            data = pane.route_data() if pane is not None else by_route.get(route)
            recorded = data is not None and bool(data.checklist or data.advice_summary.strip())
            if route not in chosen and suggestion is None and not recorded:
                continue
            routes.append(
                dataclasses.replace(
                    data or RouteData(route=route),
                    chosen=route in chosen,
                    suggested=suggestion is not None,
                    suggestion_reasons=suggestion.reasons if suggestion is not None else (),
                )
            )
        return tuple(routes)

    def update_suggestions(self) -> None:
        """Work out the suggested routes from the form as it is now (pure CPU: quick)."""
        self._suggest_timer.stop()
        if self._library is None or not shiboken6.isValid(self):
            return
        # As a draft would hold it: an agency not chosen yet reads as "other", not as nothing.
        try:
            facts = routing.facts_from_call(self._collect(for_draft=True))
            found = routing.suggest_routes(facts, self._library.current().templates)
        except Exception:  # a suggestion must never stop a call being taken
            log.exception("route suggestions failed")
            found = ()
        self._suggestions = {s.route: s for s in found}
        self.advice.set_suggestions({s.route: s.reasons for s in found})
        for route, pane in self.panes.items():
            suggestion = self._suggestions.get(route)
            template = self._library.get(suggestion.template_id) if suggestion else None
            if template is not None:
                pane.offer_template(template)
        self.suggestions_updated.emit()

    def suggestions(self) -> dict[Route, routing.Suggestion]:
        return dict(self._suggestions)

    def _template_for(self, route: Route, data: RouteData | None) -> Template | None:
        assert self._library is not None
        if data is not None and data.template_id:
            found = self._library.get(data.template_id)
            if found is not None:
                return found
        suggestion = self._suggestions.get(route)
        if suggestion is not None:
            found = self._library.get(suggestion.template_id)
            if found is not None:
                return found
        candidates = self._library.for_route(route)
        roots = [t for t in candidates if t.parent is None] or list(candidates)
        return min(roots, key=lambda t: t.id) if roots else None

    def _sync_panes(self) -> None:
        """A pane for each chosen route; an unchosen route's pane is hidden (what it holds is kept)."""
        if self._library is None or self._filling:
            return
        chosen = self.advice.routes.values()
        added = False
        for route in Route:
            if route in chosen and route not in self.panes:
                base = next((r for r in self._base.routes if r.route == route), None)
                pane = GuidancePane(
                    self._db, self._actor, self._runner, self._zone,
                    base or RouteData(route=route), template=self._template_for(route, base),
                )  # fmt: skip
                pane.changed.connect(self._changed)
                if self._escalation is not None:
                    pane.set_escalation(self._escalation.line(route))
                pane.template_shown.connect(self._fix_tab_order)
                order = list(Route)
                index = sum(1 for r in self.panes if order.index(r) < order.index(route))
                self.guidance_tabs.insertTab(index, pane, route.label)
                self.panes[route] = pane
                added = True
        for route, pane in self.panes.items():
            self.guidance_tabs.setTabVisible(self.guidance_tabs.indexOf(pane), route in chosen)
        self.guidance_section.setVisible(any(route in chosen for route in self.panes))
        if added:
            self._fix_tab_order()

    def _rebuild_panes(self) -> None:
        for pane in self.panes.values():
            self.guidance_tabs.removeTab(self.guidance_tabs.indexOf(pane))
            pane.deleteLater()
        self.panes = {}
        if self._library is None:
            return
        self.update_suggestions()
        self._sync_panes()

    def _fill(self, data: CallData, *, agency_chosen: bool = True) -> None:
        self.caller.fill(data.caller, agency_chosen=agency_chosen)
        self.opened.set_moment(data.opened_at)
        self.opened_zone.setText(self.opened.zone_abbreviation())
        self.timer.set_start(data.opened_at)
        self.timer.set_end(data.closed_at if data.status is CallStatus.CLOSED else None)
        self.call.fill(data)
        self.case.fill(data)
        self._filling = True
        try:
            self.advice.fill(data)
        finally:
            self._filling = False
        self._rebuild_panes()
        self.close_button.setEnabled(data.status is not CallStatus.CLOSED)

    # === drafts ====================================================================================

    def _draft_payload(self) -> dict[str, Any]:
        ui: dict[str, Any] = {
            "form_opened_at": self._form_opened_at.isoformat(),
            "version": self._version,
            "reference": self._reference,
            "own_case_id": str(self._own_case_id) if self._own_case_id else None,
            "own_case_reference": self._own_case_reference,
            "linked_case_reference": self._linked_reference,
            "agency_chosen": self.caller.agency.value() is not None,
            # Typed text that is not a value yet: a half-typed number, a half-typed country.
            "phone_text": self.caller.phone.text(),
            "persons": [row.texts() for row in self.case.persons.rows],
        }
        return {"call": call_codec.to_jsonable(self._collect(for_draft=True)), "ui": ui}

    def _restore(self, draft: DraftRecord) -> None:
        payload: Mapping[str, Any] = draft.payload
        ui: Mapping[str, Any] = payload.get("ui") or {}
        try:
            data = call_codec.from_jsonable(payload["call"])
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            reason = str(exc) or type(exc).__name__
            self._show_message(self.tr("This draft could not be restored: %s") % reason)
            return
        self._call_id = draft.call_id
        self.earlier.exclude_call_id = draft.call_id
        version = ui.get("version")
        self._version = int(version) if isinstance(version, int) else self._version
        self._reference = str(ui.get("reference") or self._reference)
        own = ui.get("own_case_id")
        self._own_case_id = uuid.UUID(str(own)) if own else self._own_case_id
        self._own_case_reference = str(ui.get("own_case_reference") or self._own_case_reference)
        self._linked_reference = str(ui.get("linked_case_reference") or "")
        self._case_id = data.case_id
        if ui.get("form_opened_at"):
            self._form_opened_at = datetime.fromisoformat(str(ui["form_opened_at"]))
        self._base = data
        self._fill(data, agency_chosen=bool(ui.get("agency_chosen", True)))
        if "phone_text" in ui:
            self.caller.phone.setText(str(ui["phone_text"]))
        for row, texts in zip(self.case.persons.rows, ui.get("persons") or [], strict=False):
            row.set_texts(dict(texts))
        self.earlier.set_linked(self._linked_reference)
        self._last_draft = self._draft_payload()
        self._set_dirty(True)
        saved_at = draft.updated_at.astimezone(self._zone)
        self.status.setText(self.tr("Restored from the draft saved at %s") % f"{saved_at:%H:%M}")

    def flush_draft(self) -> None:
        """Write the draft now, if anything changed since the last one (before the app closes)."""
        self._autosave.stop()
        if not self._dirty or self._discarded or self._saving:
            return
        payload = self._draft_payload()
        if payload == self._last_draft:
            return
        self._last_draft = payload
        db, actor = self._db, self._actor
        draft_id, call_id, is_edit, title = (
            self._draft_id,
            self._call_id,
            self._version is not None,
            self._title,
        )
        local = self.local_drafts

        def write() -> DraftRecord | DraftWritten:
            fields: dict[str, Any] = {"draft_id": draft_id, "call_id": call_id, "is_edit": is_edit}
            if local is not None:  # to this computer if the database does not take it
                return local.save(db, actor, **fields, title=title, payload=payload)
            return drafts.save_draft(db, actor, **fields, title=title, payload=payload)

        self._runner.run(
            write,
            on_success=self._draft_written,
            on_failure=self._draft_failed,
            owner=self,
            lane=tasks.DRAFTS,
        )

    def _draft_written(self, written: DraftRecord | DraftWritten) -> None:
        record = written if isinstance(written, DraftRecord) else written.record
        saved_at = f"{record.updated_at.astimezone(self._zone):%H:%M:%S}"
        if not isinstance(written, DraftRecord) and written.kept_locally:
            self.draft_kept = "computer"
            self.status.setText(
                self.tr("Draft kept on this computer at %s (%s); it goes to the database when it is back")
                % (saved_at, written.kept_locally_because.rstrip("."))
            )
        else:
            self.draft_kept = "database"
            self.status.setText(self.tr("Draft saved at %s") % saved_at)
        self.draft_saved.emit()

    def _draft_failed(self, exc: BaseException) -> None:
        self._last_draft = None
        self.draft_kept = ""
        reason = sentence(str(exc)) or type(exc).__name__
        self.status.setText(self.tr("The draft could not be saved: %s") % reason)

    def discard_draft(self) -> None:
        """Forget the draft (the person closed the form and chose to discard their changes)."""
        self._autosave.stop()
        self._discarded = True
        self._delete_draft()

    def _delete_draft(self) -> None:
        db, actor, draft_id, call_id = self._db, self._actor, self._draft_id, self._call_id
        self._last_draft = None
        self.draft_kept = ""
        local = self.local_drafts
        if local is not None:  # also from this computer; remembered there while the database is away
            self._runner.run(lambda: local.discard(db, actor, draft_id, call_id), lane=tasks.DRAFTS)
            return
        self._runner.run(lambda: drafts.discard_draft(db, actor, draft_id), lane=tasks.DRAFTS)

    # === saving ====================================================================================

    def save(self) -> None:
        """Save the call through the runner; refusals show beside their fields."""
        self._submit(close=False)

    def close_call(self) -> None:
        """Mark the call closed now and save it with everything else on the form."""
        self._submit(close=True)

    def _submit(self, *, close: bool) -> None:
        if self._saving:
            return
        self._clear_errors()
        if self._refuse_unreadable_ages():
            return
        if self._library is not None:
            self.update_suggestions()  # the record keeps the suggestions for the call as saved
        data = self._collect(for_draft=False)
        if close:
            closed_at = max(datetime.now(UTC), data.opened_at)
            data = dataclasses.replace(data, status=CallStatus.CLOSED, closed_at=closed_at)
        self._autosave.stop()
        self._set_saving(True)
        db, actor, expected = self._db, self._actor, self._version
        save_id = uuid.uuid4()  # the same id if this save goes to the journal (ui/outage.py)
        self._last_attempt = (data, expected, save_id)
        self._runner.run(
            lambda: calls.save_call(db, actor, data, expected_version=expected, save_id=save_id),
            on_success=lambda record: self._saved(record, data),
            on_failure=self._save_refused,
            owner=self,
            lane=tasks.SAVES,
        )

    def _saved(self, record: CallRecord, sent: CallData) -> None:
        self._set_saving(False)
        # Typing goes on while the save runs: anything newer stays unsaved (and gets a draft).
        now = self._collect(for_draft=False)
        changed_meanwhile = now != dataclasses.replace(sent, status=now.status, closed_at=now.closed_at)
        self._record = record
        self._version = record.version
        self._reference = record.reference
        self._own_case_id = self._case_id = record.data.case_id
        self._own_case_reference = record.case_reference
        self._linked_reference = ""
        self._base = record.data
        self.earlier.exclude_call_id = record.id
        self.earlier.set_linked("")
        closed = record.data.status is CallStatus.CLOSED
        self.timer.set_end(record.data.closed_at if closed else None)
        self.close_button.setEnabled(not closed)
        self._update_title()
        self._delete_draft()
        if self._journal_held:
            self._journal_held = False
            self.journal_settled.emit(record.id)
        self._set_dirty(changed_meanwhile)
        if changed_meanwhile:
            self._autosave.start()
        self.status.setText(
            (self.tr("Saved and closed %s") if closed else self.tr("Saved %s")) % record.reference
        )
        self.saved.emit(record)

    def _save_refused(self, exc: BaseException) -> None:
        self._set_saving(False)
        if isinstance(exc, ValidationError):
            text = self._show_field_errors(exc.errors)
        else:
            if isinstance(exc, ConflictError):
                text = self.tr(
                    "Not saved: %s. Everything you typed is still here; "
                    "choose between their change and yours, then save again."
                ) % str(exc).rstrip(".")
            elif isinstance(exc, ServiceError):
                text = self.tr("Not saved: %s.") % str(exc).rstrip(".")
            elif isinstance(exc, DatabaseUnavailableError) and (journaled := self._journal(exc)):
                self._show_message(journaled)
                self.save_failed.emit(journaled)
                return
            elif isinstance(exc, DatabaseUnavailableError):
                # Named cause (unreachable, read-only, full …); the draft is written at once, to
                # this computer if the database takes no drafts either.
                self.flush_draft()
                text = self.tr(
                    "Not saved: %s. Everything you typed is kept here and in the draft; "
                    "save again once that is put right."
                ) % str(exc).rstrip(".")
            elif isinstance(exc, SQLAlchemyError):
                text = self.tr(
                    "Not saved: the database cannot be reached just now. "
                    "Your input is kept here and in the draft; try again in a moment."
                )
            else:
                text = self.tr("Not saved: %s") % (str(exc) or type(exc).__name__)
            self._show_message(text)
        if self._dirty:
            self._autosave.start()
        self.save_failed.emit(text)
        if isinstance(exc, ConflictError) and isinstance(exc.theirs, CallRecord):
            self._show_conflict(exc.theirs)

    # === an outage of the shared database (ui/outage.py) ============================================

    def _journal(self, exc: DatabaseUnavailableError) -> str:
        """Keep the failed save in the local journal (same save id); the message, or "" if there
        is no journal here or it cannot be written."""
        if self.outage is None or self._last_attempt is None:
            return ""
        data, expected, save_id = self._last_attempt
        try:
            entry = self.outage.journal_save(data, expected, save_id)
        except Exception:
            log.exception("the save could not be journaled either")
            return ""
        self._set_dirty(False)
        self._delete_draft()  # the journal holds what the draft held (and is as durable)
        self.status.setText(self.tr("Waiting to be sent (%s)") % entry.provisional_reference)
        if not self._reference:
            self._provisional = entry.provisional_reference
            self._update_title()
        return self.tr(
            "Not sent yet: %s. The call is kept on this computer as %s and is sent by itself, "
            "in order, when the shared database is back."
        ) % (str(exc).rstrip("."), entry.provisional_reference)

    def adopt_pushed(self, record: CallRecord) -> None:
        """A journaled save of this call reached the database: the form is at its version now."""
        if record.id != self._call_id:
            return
        self._record, self._version, self._reference = record, record.version, record.reference
        self._own_case_id = self._case_id = record.data.case_id
        self._own_case_reference = record.case_reference
        self._base = record.data
        self.earlier.exclude_call_id = record.id
        self._update_title()
        if not self._dirty:
            self.message.clear_message()
            self.status.setText(self.tr("Sent to the shared database: %s") % record.reference)

    def show_refusal(self, error: Exception) -> None:
        """A journaled save of this call was refused when it was sent: show why, as for a save."""
        self._journal_held = True
        self._set_dirty(True)
        self._save_refused(error)

    def show_conflict(self, theirs: CallRecord) -> None:
        """The conflict view for a journaled save someone else's change refused."""
        self._journal_held = True
        self._set_dirty(True)
        self._show_conflict(theirs)

    def take_over_journaled(self, entry: JournalEntry) -> None:
        """Hold a journaled save the database refused when it was sent, its form no longer open
        (closed, or the app quit or crashed meanwhile): the form shows what that save held, at
        the version the form opened (the call as stored now, or a new call)."""
        data = entry.data
        self._call_id = data.id
        self.earlier.exclude_call_id = data.id
        self._case_id = data.case_id
        self._form_opened_at = data.opened_at
        self._fill(data, agency_chosen=True)
        self._journal_held = True
        self._set_dirty(True)
        if not self._reference:
            self._provisional = entry.provisional_reference
        self._update_title()

    # === changed at another workstation (ui/live_updates.py) ========================================

    def notice_saved_elsewhere(self, saved: Mapping[uuid.UUID, int]) -> bool:
        """Another workstation saved this call past the version the form edits: say so, change
        nothing under the operator's hands (saving will show their change beside theirs)."""
        version = saved.get(self._call_id)
        if self._record is None or version is None or self._version is None or version <= self._version:
            return False
        self._show_message(
            self.tr(
                "Changed at another workstation (now version %d) — review: when you save, their "
                "change is shown beside yours."
            )
            % version
        )
        return True

    # === a conflicting save (ui/views/conflict.py) =================================================

    def _show_conflict(self, theirs: CallRecord) -> None:
        """Their save beside yours; what is chosen goes back into the form, at their version."""
        from ui.views.conflict import ConflictDialog

        dialog = ConflictDialog(self._base, theirs, self._collect(for_draft=False), self._zone, self)
        dialog.accepted.connect(lambda: self._conflict_resolved(dialog))
        dialog.open()
        self.conflict_opened.emit(dialog)

    def _conflict_resolved(self, dialog: Any) -> None:
        merged: CallData | None = dialog.result_data
        if merged is None:
            return
        theirs: CallRecord = dialog.theirs
        self._record, self._version, self._reference = theirs, theirs.version, theirs.reference
        self._base, self._case_id = merged, merged.case_id
        self._fill(merged)
        self._set_dirty(True)
        self._autosave.start()
        self._show_message(self.tr("Their change and yours are in the form now: check it and save again."))

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving)
        self.close_button.setEnabled(not saving and self._base.status is not CallStatus.CLOSED)
        self.save_button.setText(self.tr("Saving…") if saving else self.tr("Save  (Ctrl+S)"))
        if saving:
            self.status.setText(self.tr("Saving…"))

    # === errors ====================================================================================

    def error_text(self, path: str) -> str:
        """The message showing for ``path`` (e.g. "caller.phone", "persons[0].nationalities")."""
        found = self._error_target(path)
        return found[1].message() if found else ""

    def _error_target(self, path: str) -> Target | None:
        if path == "opened_at":
            return self.opened, self.opened_block.error
        for section in self.sections:
            found = section.error_target(path)
            if found is not None:
                return found
        return None

    def _show_field_errors(self, errors: tuple[FieldError, ...]) -> str:
        general: list[str] = []
        shown: list[QWidget] = []
        for error in errors:
            message = error.message
            if error.field == "caller.agency_type" and self.caller.agency.value() is None:
                message = "required"
            message = self._name_unknown_code(error.field, message)
            found = self._error_target(error.field)
            if found is None:
                general.append(f"{error.field}: {message}")
                continue
            widget, label = found
            label.show_message(f"{label.message()}; {message}" if label.message() else message)
            shown.append(widget)
        if len(errors) == 1:
            text = self.tr("Not saved: 1 field needs attention.")
        else:
            text = self.tr("Not saved: %d fields need attention.") % len(errors)
        if general:
            text += " " + " ".join(sentence(g) + "." for g in general)
        self._show_message(text)
        if shown:
            order = self._focus_order()
            first = min(shown, key=lambda w: order.index(w) if w in order else len(order))
            first.setFocus(Qt.FocusReason.OtherFocusReason)
            self.scroll_area.ensureWidgetVisible(first, 0, self.fontMetrics().height() * 3)
        return text

    def _name_unknown_code(self, field: str, message: str) -> str:
        """The service's "entry 2 is not a known code" names no value (an import shows it on a
        terminal); on the form the entry is what this person just typed, so it is named."""
        where, entry = _CODE_FIELD.fullmatch(field), _UNKNOWN_CODE.fullmatch(message)
        rows = self.case.persons.rows
        if where is None or entry is None or int(where["row"]) >= len(rows):
            return message
        edit = getattr(rows[int(where["row"])], where["list"])
        typed = edit.codes()  # the entries as the service got them, unknown ones as typed
        index = int(entry["entry"]) - 1
        if not 0 <= index < len(typed):
            return message
        kind = self.tr("country") if where["list"] == "nationalities" else self.tr("language")
        return self.tr("%s is not a %s this form knows") % (typed[index], kind)

    def _refuse_unreadable_ages(self) -> bool:
        """An age the form cannot read is named under its field and the call is not saved (what
        was typed stays, so nothing is lost; the service never sees a half-read age)."""
        errors = tuple(
            FieldError(f"persons[{i}].age_years", problem)
            for i, row in enumerate(self.case.persons.rows)
            if (problem := row.age_problem())
        )
        if errors:
            text = self._show_field_errors(errors)
            self.save_failed.emit(text)
        return bool(errors)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _clear_errors(self) -> None:
        self.message.clear_message()
        self.opened_block.error.clear_message()
        for section in self.sections:
            section.clear_errors()
