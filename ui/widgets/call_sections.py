"""The four parts of the call form: caller, the call, the case, advice and outcome.

Each section lays out its inputs, reads them into the ``CallData`` fields it owns and fills them
from a ``CallData``. What a section does not show (a route's checklist, a person's notes, a
second follow-up) is carried over from the call it was filled from. Each names its inputs in
focus order and finds the input and message label for a service error's field path.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPlainTextEdit, QSizePolicy, QWidget

from supportline.enums import (
    AgencyType,
    Channel,
    ConsentLevel,
    ExploitationType,
    FollowUpStatus,
    Indicator,
    NrmConsent,
    Outcome,
    Route,
    Urgency,
    WhereExploited,
)
from supportline.reference_data import OTHER_ORGANISATIONS, POLICE_FORCES
from supportline.services.call_types import CallData, Caller, FollowUpData, RouteData
from supportline.services.call_validation import PhoneNumberError, normalise_phone
from ui import style
from ui.widgets.choices import EnumChecks, EnumCombo, ToggleCheckBox
from ui.widgets.completing import CompletingLineEdit
from ui.widgets.fields import ErrorLabel, FieldBlock, Section, sentence
from ui.widgets.local_time import LocalDateTimeEdit
from ui.widgets.persons import PersonList
from ui.widgets.referrals import ReferralList

#: Where a service error's field path points: the input to focus and the label for the message.
Target = tuple[QWidget, ErrorLabel]


def _tr(text: str) -> str:
    return QCoreApplication.translate("CallForm", text)


def display_phone(number: str) -> str:
    """+447700900123 reads as 07700 900123 to a UK caller."""
    if number.startswith("+44") and len(number) == 13:
        national = "0" + number[3:]
        return f"{national[:5]} {national[5:]}"
    return number


def grid(columns: int, em: int) -> QGridLayout:
    layout = QGridLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setHorizontalSpacing(em)
    layout.setVerticalSpacing(int(em * 0.5))
    for column in range(columns):
        layout.setColumnStretch(column, 1)
    return layout


def group_block(text: str, widget: QWidget, first: QWidget) -> FieldBlock:
    """A label over a group of inputs; its buddy (where its mnemonic and errors go) is ``first``."""
    block = FieldBlock(text, widget)
    block.label.setBuddy(first)
    return block


def target(block: FieldBlock) -> Target:
    return block.label.buddy() or block.widget, block.error


class FormSection(Section):
    changed = Signal()

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.blocks: dict[str, FieldBlock] = {}
        self.em = self.fontMetrics().height()

    def focus_widgets(self) -> list[QWidget]:
        raise NotImplementedError

    def error_target(self, path: str) -> Target | None:
        block = self.blocks.get(path)
        return target(block) if block else None

    def clear_errors(self) -> None:
        for block in self.blocks.values():
            block.error.clear_message()

    def _watch(self, *widgets: QWidget) -> None:
        for widget in widgets:
            if isinstance(widget, QLineEdit | QPlainTextEdit):
                widget.textChanged.connect(self.changed)
            elif isinstance(widget, EnumCombo):
                widget.currentIndexChanged.connect(self.changed)
            elif isinstance(widget, EnumChecks | PersonList | ReferralList):
                widget.changed.connect(self.changed)
            elif isinstance(widget, ToggleCheckBox):
                widget.toggled.connect(self.changed)
            elif isinstance(widget, LocalDateTimeEdit):
                widget.moment_changed.connect(self.changed)


#: The agency an organisation on the completer's list belongs to: choosing a force (or another
#: organisation the line knows) fills an agency type not chosen yet.
AGENCY_OF: dict[str, AgencyType] = {
    **dict.fromkeys(POLICE_FORCES, AgencyType.POLICE),
    "Border Force": AgencyType.IMMIGRATION,
    "Immigration Enforcement": AgencyType.IMMIGRATION,
    "UK Visas and Immigration": AgencyType.IMMIGRATION,
    "National Crime Agency": AgencyType.NATIONAL_AGENCY,
    "Crown Prosecution Service": AgencyType.CPS,
    "Gangmasters and Labour Abuse Authority": AgencyType.GLAA,
    "HM Revenue and Customs": AgencyType.HMRC,
    "NHS": AgencyType.NHS,
    **dict.fromkeys(
        ("The Salvation Army", "Migrant Help", "Barnardo's", "NSPCC", "Unseen",
         "TARA (Trafficking Awareness Raising Alliance)"),
        AgencyType.NGO,
    ),
}  # fmt: skip


class CallerSection(FormSection):
    """Who is calling; the agency starts unchosen so that nobody is recorded as police by default."""

    def __init__(self) -> None:
        super().__init__(_tr("Caller"))
        self.name = QLineEdit()
        self.rank = QLineEdit()
        self.rank.setPlaceholderText(_tr("e.g. DC, Sergeant, social worker"))
        self.agency: EnumCombo[AgencyType] = EnumCombo(list(AgencyType), none_text=_tr("Choose…"))
        self.organisation = CompletingLineEdit(POLICE_FORCES + OTHER_ORGANISATIONS)
        self.organisation.setPlaceholderText(_tr("Type to choose a force or agency"))
        self.collar = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(_tr("e.g. 07700 900123"))
        self.phone_hint = QLabel()
        self.phone_hint.setObjectName("muted")
        self.phone_hint.setWordWrap(True)
        self.email = QLineEdit()
        self.blocks = {
            "caller.name": FieldBlock(_tr("Officer &name"), self.name, required=True),
            "caller.rank": FieldBlock(_tr("Ran&k or role"), self.rank),
            "caller.agency_type": FieldBlock(_tr("A&gency type"), self.agency, required=True),
            "caller.organisation": FieldBlock(_tr("Organisation / fo&rce"), self.organisation),
            "caller.collar_number": FieldBlock(_tr("Co&llar / warrant number"), self.collar),
            "caller.phone": FieldBlock(_tr("Call&back number"), self.phone, hint=self.phone_hint),
            "caller.email": FieldBlock(_tr("&Email"), self.email),
        }
        layout = grid(2, self.em)
        for i, block in enumerate(self.blocks.values()):
            layout.addWidget(block, i // 2, i % 2, Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(layout)
        self.body.addStretch(1)
        self._watch(self.name, self.rank, self.agency, self.organisation, self.collar, self.phone, self.email)
        self.organisation.textChanged.connect(self._organisation_changed)
        self.phone.textChanged.connect(lambda text: self.check_phone(text))
        self.phone.editingFinished.connect(lambda: self.check_phone(self.phone.text(), final=True))
        self.check_phone("")

    def focus_widgets(self) -> list[QWidget]:
        return [block.widget for block in self.blocks.values()]

    def caller(self, *, agency_fallback: Any) -> Caller:
        """As typed; the phone number too (the service normalises it, or names what is wrong)."""
        return Caller(
            name=self.name.text(),
            agency_type=self.agency.value() or agency_fallback,
            rank=self.rank.text(),
            organisation=self.organisation.text(),
            collar_number=self.collar.text(),
            phone=self.phone.text(),
            email=self.email.text(),
        )

    def fill(self, caller: Caller, *, agency_chosen: bool = True) -> None:
        self.name.setText(caller.name)
        self.rank.setText(caller.rank)
        self.agency.set_value(caller.agency_type if agency_chosen else None)
        self.organisation.setText(caller.organisation)
        self.collar.setText(caller.collar_number)
        self.phone.setText(display_phone(caller.phone))
        self.email.setText(caller.email)

    def _organisation_changed(self, text: str) -> None:
        agency = AGENCY_OF.get(text.strip())
        if agency is not None and self.agency.value() is None:
            self.agency.set_value(agency)

    def fill_from(self, caller: Caller) -> None:
        """A repeat caller: every field from their earlier call (a field it left empty keeps
        what is typed here)."""
        for edit, value in (
            (self.name, caller.name), (self.rank, caller.rank), (self.organisation, caller.organisation),
            (self.collar, caller.collar_number), (self.phone, display_phone(caller.phone)),
            (self.email, caller.email),
        ):  # fmt: skip
            if value:
                edit.setText(value)
        self.agency.set_value(caller.agency_type)
        self.check_phone(self.phone.text(), final=True)

    def check_phone(self, text: str, *, final: bool = False) -> None:
        """Under the field: the number as it will be stored, or (once typing stops) what is wrong."""
        try:
            number = normalise_phone(text)
        except PhoneNumberError as exc:
            role = "error" if final else "muted"
            hint = sentence(str(exc)) if final else _tr("Keep typing: not a full number yet")
        else:
            role = "muted"
            hint = _tr("Saved as %s") % number if number else ""
        if self.phone_hint.objectName() != role:
            self.phone_hint.setObjectName(role)
            self.phone_hint.style().unpolish(self.phone_hint)
            self.phone_hint.style().polish(self.phone_hint)
        self.phone_hint.setText(hint)
        self.phone_hint.setVisible(bool(hint))
        self.phone.setAccessibleDescription(hint)  # said, not only shown (issue 11)


class CallSection(FormSection):
    def __init__(self) -> None:
        super().__init__(_tr("The call"))
        self.channel: EnumCombo[Channel] = EnumCombo(list(Channel))
        self.urgency: EnumCombo[Urgency] = EnumCombo(list(Urgency))
        self.consent: EnumCombo[ConsentLevel] = EnumCombo(list(ConsentLevel))
        self.summary = QLineEdit()
        self.summary.setPlaceholderText(_tr("One line that will identify the call in the list"))
        self.narrative = QPlainTextEdit()
        self.narrative.setTabChangesFocus(True)
        self.narrative.setPlaceholderText(_tr("What the caller says, as it comes"))
        self.narrative.setMinimumHeight(self.em * 8)
        self.narrative.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.blocks = {
            "channel": FieldBlock(_tr("Channel"), self.channel),
            "urgency": FieldBlock(_tr("&Urgency"), self.urgency),
            "consent_level": FieldBlock(_tr("Consent level"), self.consent),
            "summary": FieldBlock(_tr("Short summar&y"), self.summary),
            "narrative": FieldBlock(_tr("Narra&tive"), self.narrative),
        }
        layout = grid(3, self.em)
        layout.addWidget(self.blocks["channel"], 0, 0)
        layout.addWidget(self.blocks["urgency"], 0, 1)
        layout.addWidget(self.blocks["consent_level"], 0, 2)
        layout.addWidget(self.blocks["summary"], 1, 0, 1, 3)
        layout.addWidget(self.blocks["narrative"], 2, 0, 1, 3)
        self.blocks["narrative"].setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.body.addLayout(layout)
        self._watch(self.channel, self.urgency, self.consent, self.summary, self.narrative)

    def focus_widgets(self) -> list[QWidget]:
        return [self.channel, self.urgency, self.consent, self.summary, self.narrative]

    def values(self) -> dict[str, Any]:
        return {
            "channel": self.channel.value() or Channel.PHONE,
            "urgency": self.urgency.value() or Urgency.ROUTINE,
            "consent_level": self.consent.value() or ConsentLevel.SHARE,
            "summary": self.summary.text(),
            "narrative": self.narrative.toPlainText(),
        }

    def fill(self, data: CallData) -> None:
        self.channel.set_value(data.channel)
        self.urgency.set_value(data.urgency)
        self.consent.set_value(data.consent_level)
        self.summary.setText(data.summary)
        self.narrative.setPlainText(data.narrative)


class CaseSection(FormSection):
    def __init__(self) -> None:
        super().__init__(_tr("The case"))
        self.where: EnumCombo[WhereExploited] = EnumCombo(list(WhereExploited))
        self.force_area = CompletingLineEdit(POLICE_FORCES)
        self.force_area.setPlaceholderText(_tr("Type to choose a force"))
        self.nrm_consent: EnumCombo[NrmConsent] = EnumCombo(list(NrmConsent), none_text=_tr("Not recorded"))
        self.county_lines = ToggleCheckBox(_tr("County lines"))
        self.county_lines.setAccessibleName(_tr("County lines"))
        self.suspect_may_be_victim = ToggleCheckBox(_tr("Suspect may be a victim"))
        self.suspect_may_be_victim.setAccessibleName(_tr("Suspect may be a victim"))
        self.suspect_may_be_victim.setToolTip(
            _tr("Someone treated as a suspect may be a victim of trafficking (s.45 defence)")
        )
        self.victim_at_scene = ToggleCheckBox(_tr("Victim at the scene"))
        self.victim_at_scene.setAccessibleName(_tr("Victim at the scene"))
        self.victim_at_scene.setToolTip(_tr("A potential victim is with the caller or at the scene now"))
        self.exploitation: EnumChecks[ExploitationType] = EnumChecks(
            list(ExploitationType), columns=3, group_name=_tr("Exploitation types")
        )
        self.indicators: EnumChecks[Indicator] = EnumChecks(
            list(Indicator), columns=3, group_name=_tr("Indicators")
        )
        self.persons = PersonList()
        self.blocks = {
            "where_exploited": FieldBlock(_tr("&Where exploited"), self.where),
            "force_area": FieldBlock(_tr("Force area"), self.force_area),
            "nrm_consent": FieldBlock(_tr("Adult consent to NR&M"), self.nrm_consent),
            "exploitation_types": group_block(
                _tr("E&xploitation types"), self.exploitation, self.exploitation.first()
            ),
            "indicators": group_block(
                _tr("Indic&ators (ILO forced-labour indicators)"), self.indicators, self.indicators.first()
            ),
            "persons": group_block(_tr("Potential victims"), self.persons, self.persons.add_button),
        }
        layout = grid(3, self.em)
        layout.addWidget(self.blocks["where_exploited"], 0, 0)
        layout.addWidget(self.blocks["force_area"], 0, 1)
        layout.addWidget(self.blocks["nrm_consent"], 0, 2)
        layout.addWidget(self.county_lines, 1, 0)
        layout.addWidget(self.suspect_may_be_victim, 1, 1)
        layout.addWidget(self.victim_at_scene, 1, 2)
        self.body.addLayout(layout)
        for key in ("exploitation_types", "indicators", "persons"):
            self.body.addWidget(self.blocks[key])
        self._watch(
            self.where, self.force_area, self.nrm_consent, self.county_lines,
            self.suspect_may_be_victim, self.victim_at_scene,
            self.exploitation, self.indicators, self.persons,
        )  # fmt: skip

    def focus_widgets(self) -> list[QWidget]:
        return [
            self.where, self.force_area, self.nrm_consent, self.county_lines,
            self.suspect_may_be_victim, self.victim_at_scene,
            *self.exploitation.widgets(), *self.indicators.widgets(), *self.persons.focus_widgets(),
        ]  # fmt: skip

    def values(self) -> dict[str, Any]:
        return {
            "where_exploited": self.where.value() or WhereExploited.UNKNOWN,
            "force_area": self.force_area.text(),
            "nrm_consent": self.nrm_consent.value(),
            "county_lines": self.county_lines.isChecked(),
            "suspect_may_be_victim": self.suspect_may_be_victim.isChecked(),
            "victim_at_scene": self.victim_at_scene.isChecked(),
            "exploitation_types": self.exploitation.values(),
            "indicators": self.indicators.values(),
            "persons": self.persons.persons(),
        }

    def fill(self, data: CallData) -> None:
        self.where.set_value(data.where_exploited)
        self.force_area.setText(data.force_area)
        self.nrm_consent.set_value(data.nrm_consent)
        self.county_lines.setChecked(data.county_lines)
        self.suspect_may_be_victim.setChecked(data.suspect_may_be_victim)
        self.victim_at_scene.setChecked(data.victim_at_scene)
        self.exploitation.set_values(data.exploitation_types)
        self.indicators.set_values(data.indicators)
        self.persons.set_persons(data.persons)

    def error_target(self, path: str) -> Target | None:
        index, key = _indexed(path, "persons")
        if index is not None and index < len(self.persons.rows):
            row = self.persons.rows[index]
            block = row.blocks.get(key)
            return (block.widget, block.error) if block else (row.age_group, row.error)
        return super().error_target(path)

    def clear_errors(self) -> None:
        super().clear_errors()
        for row in self.persons.rows:
            row.clear_errors()


class AdviceSection(FormSection):
    """Routes chosen, outcomes, referrals and the (first) follow-up."""

    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__(_tr("Advice and outcome"))
        self._follow_up_id = uuid.uuid4()  # a new follow-up keeps one id across reads
        self.routes: EnumChecks[Route] = EnumChecks(list(Route), columns=4, group_name=_tr("Advice routes"))
        # Under each route: why it is suggested (the operator ticks to accept, or leaves it).
        self.suggestion_labels: dict[Route, QLabel] = {}
        route_grid = self.routes.layout()
        for column, route in enumerate(Route):
            label = QLabel()
            label.setObjectName("suggestion")
            label.setStyleSheet(f"QLabel#suggestion {{ color: {style.current().accent}; }}")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            label.hide()
            if isinstance(route_grid, QGridLayout):
                route_grid.addWidget(label, 1, column, Qt.AlignmentFlag.AlignTop)
            self.suggestion_labels[route] = label
        self.outcomes: EnumChecks[Outcome] = EnumChecks(list(Outcome), columns=3, group_name=_tr("Outcomes"))
        self.referrals = ReferralList()
        self.follow_up = ToggleCheckBox(_tr("Book a follow-u&p"))
        self.follow_up.setAccessibleName(_tr("Book a follow-up"))
        # A refusal of the follow-ups as a whole ("follow-up booked" given without one) is shown
        # here, under the box that books one, and said with it.
        self.follow_up_error = ErrorLabel()
        self.follow_up_error.describe(self.follow_up)
        # Follow-ups done or snoozed (by the follow-ups service): shown as they are, never edited
        # or removed by the form (the save refuses both).
        self.follow_ups_kept = QLabel()
        self.follow_ups_kept.setObjectName("muted")
        self.follow_ups_kept.setWordWrap(True)
        self.follow_ups_kept.setTextFormat(Qt.TextFormat.PlainText)
        self.follow_ups_kept.hide()
        self._zone = zone
        self._editing_id: uuid.UUID | None = None  # the open follow-up the inputs edit
        self._sent_ids: list[uuid.UUID] = []  # the follow-ups as last read, for error paths
        self._outcome_ticked_for_follow_up = False
        self.follow_due = LocalDateTimeEdit(zone)
        self.follow_note = QLineEdit()
        self.follow_note.setPlaceholderText(_tr("e.g. Call the DS back after the NRM decision"))
        self.blocks = {
            "routes": group_block(_tr("Adv&ice routes chosen"), self.routes, self.routes.first()),
            "outcomes": group_block(_tr("&Outcomes"), self.outcomes, self.outcomes.first()),
            "referrals": group_block(_tr("Referrals"), self.referrals, self.referrals.add_button),
            "follow_ups.due_at": FieldBlock(_tr("Follow-up due"), self.follow_due),
            "follow_ups.note": FieldBlock(_tr("Follow-up note"), self.follow_note),
        }
        # Who to escalate to now, per route (the rota: ui/escalation.py), under the routes.
        self.escalation = QLabel()
        self.escalation.setObjectName("muted")
        self.escalation.setTextFormat(Qt.TextFormat.PlainText)
        self.escalation.setWordWrap(True)
        self.escalation.setAccessibleName(_tr("Escalate to now"))
        self.escalation.hide()
        for key in ("routes", "outcomes", "referrals"):
            self.body.addWidget(self.blocks[key])
            if key == "routes":
                self.body.addWidget(self.escalation)
        layout = grid(3, self.em)
        layout.addWidget(self.follow_ups_kept, 0, 0, 1, 3)
        layout.addWidget(self.follow_up, 1, 0, 1, 3)
        layout.addWidget(self.follow_up_error, 2, 0, 1, 3)
        layout.addWidget(self.blocks["follow_ups.due_at"], 3, 0)
        layout.addWidget(self.blocks["follow_ups.note"], 3, 1, 1, 2)
        self.body.addLayout(layout)
        self.follow_up.toggled.connect(self._follow_up_toggled)
        self.outcomes.boxes[Outcome.FOLLOW_UP_BOOKED].toggled.connect(self._outcome_toggled)
        self._watch(
            self.routes, self.outcomes, self.referrals, self.follow_up, self.follow_due, self.follow_note
        )

    def focus_widgets(self) -> list[QWidget]:
        return [
            *self.routes.widgets(), *self.outcomes.widgets(), *self.referrals.focus_widgets(),
            self.follow_up, self.follow_due, self.follow_note,
        ]  # fmt: skip

    def values(self, base: CallData) -> dict[str, Any]:
        chosen = self.routes.values()
        routes: list[RouteData] = []
        for r in base.routes:
            # A suggestion not taken, or advice already worked through, stays on record.
            if r.route in chosen or r.suggested or r.checklist or r.advice_summary or r.template_id:
                routes.append(dataclasses.replace(r, chosen=r.route in chosen))
        known = {r.route for r in base.routes}
        routes += [RouteData(route=route) for route in Route if route in chosen and route not in known]
        # Every follow-up of the call is kept as it is, but the open one the inputs edit (changed,
        # or removed when the box is unticked); a new one is added when there was none open.
        editing = self._editing_id or self._follow_up_id
        booked = self.follow_up.isChecked()
        due, note = self.follow_due.moment(), self.follow_note.text()
        follow_ups: list[FollowUpData] = []
        edited = False
        for f in base.follow_ups:
            if f.id == editing and editable(f):
                edited = True
                if booked:
                    follow_ups.append(dataclasses.replace(f, due_at=due, note=note))
                continue
            follow_ups.append(f)
        if booked and not edited:
            follow_ups.append(FollowUpData(due_at=due, note=note, id=editing))
        self._sent_ids = [f.id for f in follow_ups]
        return {
            "routes": tuple(routes),
            "outcomes": self.outcomes.values(),
            "referrals": self.referrals.referrals(),
            "follow_ups": tuple(follow_ups),
        }

    def set_suggestions(self, reasons: dict[Route, tuple[str, ...]]) -> None:
        """Show beside each route why it is suggested (nothing where it is not)."""
        for route, label in self.suggestion_labels.items():
            box = self.routes.boxes[route]
            if route in reasons:
                text = _tr("Suggested: %s") % "; ".join(r[:1].lower() + r[1:] for r in reasons[route])
                # Short on screen (the whole reason in the tooltip and to a screen reader), so
                # narrow columns do not wrap to many lines (issue 11).
                first = reasons[route][0]
                more = len(reasons[route]) - 1
                shown = _tr("Suggested: %s") % (first[:1].lower() + first[1:])
                label.setText(shown + (_tr(" (+%d more)") % more if more else ""))
                label.show()
                # Said with the box's name, not only in its description (issue 11).
                box.setAccessibleName(_tr("%s, suggested") % route.label)
                box.setAccessibleDescription(text)
                label.setToolTip(text)
            else:
                label.clear()
                label.hide()
                box.setAccessibleName(route.label)
                box.setAccessibleDescription(_tr("Advice routes"))

    def set_escalation(self, lines: dict[Route, str], problem: str = "") -> None:
        """The rota's "Legal: duty adviser A. Khan until 07:00, then J. Osei", a line per route."""
        text = "\n".join(lines[r] for r in Route if lines.get(r))
        self.escalation.setText(_tr("Escalate to now (duty rota):") + "\n" + text if text else "")
        self.escalation.setToolTip(problem or _tr("Who to escalate to now, from the duty rota"))
        self.escalation.setVisible(bool(text))

    def suggestion_text(self, route: Route) -> str:
        label = self.suggestion_labels[route]
        return "" if label.isHidden() else label.text()

    def fill(self, data: CallData) -> None:
        self.routes.set_values(r.route for r in data.routes if r.chosen)
        self.outcomes.set_values(data.outcomes)
        self.referrals.set_referrals(data.referrals)
        first = next((f for f in data.follow_ups if editable(f)), None)
        self._editing_id = first.id if first else None
        self._sent_ids = [f.id for f in data.follow_ups]
        self._outcome_ticked_for_follow_up = False
        self._show_kept([f for f in data.follow_ups if not editable(f)])
        self.follow_up.blockSignals(True)
        self.follow_up.setChecked(first is not None)
        self.follow_up.blockSignals(False)
        self.follow_due.set_moment(first.due_at if first else data.opened_at + timedelta(days=1))
        self.follow_note.setText(first.note if first else "")
        self.follow_due.setEnabled(first is not None)
        self.follow_note.setEnabled(first is not None)

    def _show_kept(self, kept: list[FollowUpData]) -> None:
        """The follow-ups done or snoozed, each with its status, above the box that books one."""
        lines = []
        for f in kept:
            due = f"{f.due_at.astimezone(self._zone):%a %d %b %Y %H:%M}"
            if f.done_at is not None or f.status is FollowUpStatus.DONE:
                done = f.done_at.astimezone(self._zone) if f.done_at else None
                state = _tr("Done %s") % f"{done:%d %b %H:%M}" if done else _tr("Done")
            else:
                state = _tr("Snoozed")
            line = _tr("%s (due %s)") % (state, due)
            lines.append(f"{line}: {f.note}" if f.note else line)
        if lines:
            heading = _tr("Follow-ups kept as they are (done or snoozed in the Due panel):")
            text = "\n".join([heading, *(f"• {line}" for line in lines)])
        else:
            text = ""
        self.follow_ups_kept.setText(text)
        self.follow_ups_kept.setAccessibleName(text)
        self.follow_ups_kept.setVisible(bool(lines))
        # Said with the box too: a screen reader does not reach a label by Tab.
        description = "; ".join(lines)
        if self.follow_up_error.message():
            self.follow_up_error.clear_message()
        self.follow_up.setAccessibleDescription(
            _tr("Already on this call, kept as they are: %s") % description if lines else ""
        )

    def kept_follow_ups_text(self) -> str:
        return "" if self.follow_ups_kept.isHidden() else self.follow_ups_kept.text()

    def _follow_up_toggled(self, on: bool) -> None:
        self.follow_due.setEnabled(on)
        self.follow_note.setEnabled(on)
        if on and self.follow_due.moment() < datetime.now(UTC):
            self.follow_due.set_moment(datetime.now(UTC) + timedelta(days=1))
        # Booking a follow-up is the outcome "follow-up booked": it is ticked with it (and
        # unticked again if the booking is, when the form ticked it).
        outcome = self.outcomes.boxes[Outcome.FOLLOW_UP_BOOKED]
        if on and not outcome.isChecked():
            outcome.setChecked(True)
            self._outcome_ticked_for_follow_up = True
        elif not on and self._outcome_ticked_for_follow_up:
            self._outcome_ticked_for_follow_up = False
            outcome.setChecked(False)
        if on:
            self.follow_up_error.clear_message()

    def _outcome_toggled(self, on: bool) -> None:
        if not on:
            self._outcome_ticked_for_follow_up = False

    def error_target(self, path: str) -> Target | None:
        index, key = _indexed(path, "referrals")
        if index is not None and index < len(self.referrals.rows):
            row = self.referrals.rows[index]
            block = row.blocks.get(key)
            return (block.widget, block.error) if block else (row.target, row.error)
        if _indexed(path, "routes")[0] is not None:
            return target(self.blocks["routes"])
        index, key = _indexed(path, "follow_ups")
        if index is not None:
            editing = self._editing_id or self._follow_up_id
            if index < len(self._sent_ids) and self._sent_ids[index] == editing:
                return target(self.blocks["follow_ups.note" if key == "note" else "follow_ups.due_at"])
            return self.follow_up, self.follow_up_error
        if path == "follow_ups":
            return self.follow_up, self.follow_up_error
        return super().error_target(path)

    def clear_errors(self) -> None:
        super().clear_errors()
        self.follow_up_error.clear_message()
        for row in self.referrals.rows:
            row.clear_errors()


def editable(follow_up: FollowUpData) -> bool:
    """An open follow-up: the form may change or remove it (a done or snoozed one it keeps)."""
    return follow_up.status is FollowUpStatus.OPEN and follow_up.done_at is None


def _indexed(path: str, name: str) -> tuple[int | None, str]:
    """``persons[2].sex`` → (2, "sex") for name "persons"; (None, "") when it is not one of those."""
    prefix = name + "["
    if not path.startswith(prefix) or "]" not in path:
        return None, ""
    number, _, rest = path[len(prefix) :].partition("]")
    if not number.isdigit():
        return None, ""
    return int(number), rest.removeprefix(".")
