"""The read-only view of one call beside the list, with its edit history.

It is rich text in a ``QTextBrowser``: selectable, printable, scrolls as one page, and reflows
at any width. Every value that came from a person is escaped before it goes into the HTML.
Colours come from the theme on show, so the pane is re-rendered when the theme changes.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QTextBrowser, QWidget

from supportline.reference_data import country_name, language_name
from supportline.services.call_types import CallRecord, PersonData, RouteData
from supportline.services.history import HistoryEntry
from ui import formatting as fmt
from ui import style


def _e(text: object) -> str:
    return html.escape(str(text))


def _phone(number: str) -> str:
    """+447700900123 reads as 07700 900123 to a UK caller."""
    if number.startswith("+44") and len(number) == 13:
        national = "0" + number[3:]
        return f"{national[:5]} {national[5:]}"
    return number


def _rows(pairs: Iterable[tuple[str, str]]) -> str:
    muted = style.current().muted
    cells = "".join(
        f'<tr><td style="color:{muted}; padding-right:12px;" width="120">{_e(k)}</td><td>{v}</td></tr>'
        for k, v in pairs
        if v
    )
    return f'<table cellspacing="0" cellpadding="3">{cells}</table>' if cells else ""


def _section(title: str, body: str) -> str:
    if not body:
        return ""
    accent = style.current().accent
    return f'<h3 style="color:{accent}; margin-top:16px; margin-bottom:4px;">{_e(title)}</h3>{body}'


def _paragraphs(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return "".join(f"<p>{_e(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))


def _list(items: Iterable[str]) -> str:
    entries = "".join(f"<li>{item}</li>" for item in items if item)
    return f'<ul style="margin-top:0px;">{entries}</ul>' if entries else ""


def _person(index: int, p: PersonData) -> str:
    age = p.age_group.label + (" (age disputed: treated as a child)" if p.age_disputed else "")
    facts = [age, p.sex.label]
    if p.nationalities:
        facts.append(", ".join(country_name(c) for c in p.nationalities))
    if p.languages:
        languages = ", ".join(language_name(c) for c in p.languages)
        facts.append(languages + (" (interpreter needed)" if p.interpreter_needed else ""))
    name = p.name or f"Person {index + 1}"
    notes = f'<br><span style="color:{style.current().muted};">{_e(p.notes)}</span>' if p.notes else ""
    return f"<b>{_e(name)}</b>: {_e(' · '.join(facts))}{notes}"


def _route(r: RouteData, zone: ZoneInfo) -> str:
    state = "chosen" if r.chosen else "suggested, not taken"
    text = f"<b>{_e(r.route.label)}</b> <span style='color:{style.current().muted};'>({state})</span>"
    if r.suggestion_reasons:
        text += f"<br>Why suggested: {_e('; '.join(r.suggestion_reasons))}"
    if r.advice_summary:
        text += f"<br>Advice: {_e(r.advice_summary)}"
    if r.checklist:
        ticked = sum(1 for c in r.checklist if c.state == "ticked")
        text += f"<br>Checklist: {ticked} ticked, {len(r.checklist) - ticked} skipped"
    if r.closed_at:
        text += f"<br>Closed {_e(fmt.when(r.closed_at, zone))}"
    return text


def _history(entries: Sequence[HistoryEntry], zone: ZoneInfo) -> str:
    muted = style.current().muted
    lines = []
    for entry in entries:
        what = _e(entry.action)
        if entry.fields:
            what += f": {_e(', '.join(entry.fields))}"
        lines.append(
            f'<span style="color:{muted};">{_e(fmt.when(entry.at, zone))}</span> · '
            f"<b>{_e(entry.actor_name)}</b> {what}"
        )
    return _list(lines)


def _last_change(history: Sequence[HistoryEntry] | None, zone: ZoneInfo) -> str:
    """The header's pointer to the history at the bottom, when the call was changed after creation."""
    if not history or len(history) < 2:
        return ""
    last = history[-1]
    return f"<br>Last {_e(last.action)} {_e(fmt.when(last.at, zone))} by {_e(last.actor_name)}"


def call_html(
    record: CallRecord,
    zone: ZoneInfo,
    now: datetime | None = None,
    history: Sequence[HistoryEntry] | None = None,
) -> str:
    """The whole call as rich text, times in the line's zone; its history last (oldest first)."""
    d, c = record.data, record.data.caller
    length = fmt.duration(d.closed_at - d.opened_at) if d.closed_at else ""
    header = (
        f'<h2 style="margin-bottom:2px;">{_e(record.reference)}</h2>'
        f'<p style="color:{style.current().muted}; margin-top:0px;">Case {_e(record.case_reference)} · '
        f"handled by {_e(record.handler_name)}{_last_change(history, zone)}</p>"
    )
    overview = _rows(
        [
            ("Opened", _e(fmt.when_with_zone(d.opened_at, zone))),
            ("Closed", _e(fmt.when_with_zone(d.closed_at, zone) + (f" ({length})" if length else ""))),
            ("Status", _e(d.status.label)),
            ("Urgency", _e(d.urgency.label)),
            ("Channel", _e(d.channel.label)),
            ("Consent", _e(d.consent_level.label)),
        ]
    )
    caller = _rows(
        [
            ("Name", _e(c.name)),
            ("Rank", _e(c.rank)),
            ("Agency", _e(c.agency_type.label)),
            ("Organisation", _e(c.organisation)),
            ("Collar number", _e(c.collar_number)),
            ("Phone", _e(_phone(c.phone))),
            ("Email", _e(c.email)),
            ("Force area", _e(d.force_area)),
        ]
    )
    situation = _rows(
        [
            ("Exploitation", _e(fmt.labels(sorted(d.exploitation_types)))),
            ("Where", _e(d.where_exploited.label) if d.where_exploited != "unknown" else ""),
            ("County lines", "Yes" if d.county_lines else ""),
            ("Indicators", _e(fmt.labels(sorted(d.indicators)))),
            ("NRM consent", _e(d.nrm_consent.label) if d.nrm_consent else ""),
        ]
    )
    referrals = _list(
        _e(
            " · ".join(
                x for x in (r.target.label, r.organisation, r.reference and f"ref. {r.reference}") if x
            )
        )
        + (f" · made {_e(fmt.when(r.made_at, zone))}" if r.made_at else "")
        + (f"<br><span style='color:{style.current().muted};'>{_e(r.notes)}</span>" if r.notes else "")
        for r in d.referrals
    )
    follow_ups = _list(
        f"{_e(fmt.when(f.due_at, zone))}: {_e(f.note)}" + (" (done)" if f.done_at else "")
        for f in d.follow_ups
    )
    return "".join(
        [
            header,
            overview,
            _section("Summary", _paragraphs(d.summary)),
            _section("Caller", caller),
            _section("Situation", situation),
            _section("Narrative", _paragraphs(d.narrative)),
            _section("Potential victims", _list(_person(i, p) for i, p in enumerate(d.persons))),
            _section("Routes", _list(_route(r, zone) for r in d.routes)),
            _section("Outcomes", _list(_e(o.label) for o in sorted(d.outcomes))),
            _section("Referrals", referrals),
            _section("Follow-ups", follow_ups),
            _section("History", _history(history, zone)) if history else "",
        ]
    )


class CallDetailPane(QTextBrowser):
    """Shows one call and its history, or a short line saying why there is none to show."""

    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self.record: CallRecord | None = None
        self.history: tuple[HistoryEntry, ...] = ()
        self._placeholder = ""
        self.setOpenLinks(False)
        self.setAccessibleName(self.tr("Selected call"))
        self.document().setDocumentMargin(16)
        self.show_placeholder(self.tr("Select a call in the list to see it here."))

    def show_record(self, record: CallRecord, history: Sequence[HistoryEntry] = ()) -> None:
        self.record = record
        self.history = tuple(history)
        self.setHtml(call_html(record, self._zone, history=self.history))

    def show_placeholder(self, text: str) -> None:
        self.record = None
        self.history = ()
        self._placeholder = text
        muted = style.current().muted
        self.setHtml(f'<p style="color:{muted}; margin-top:24px;" align="center">{_e(text)}</p>')

    def restyle(self) -> None:
        """Render again in the colours of the theme now on show."""
        if self.record is not None:
            self.show_record(self.record, self.history)
        else:
            self.show_placeholder(self._placeholder)
