"""A shift handover as a PDF, on the report's page template (``pdf_report.MarkedDocument``):
the protective marking in the header and footer of every page, "Page X of Y", who printed it
and when; from the training database, TRAINING in the marking and across every page.

**Layout.** A first page with the shift (local times and zone), who wrote it, whether and by
whom it was acknowledged, the overall note and the shift's figures; then one section per kind
of item (open calls, follow-ups overdue and due in the next shift, crisis and urgent calls,
calls waiting for an adviser, routes without a duty adviser), each item a row: the reference,
when, what the app found, and the outgoing supervisor's note. An empty section says so, so a
reader can tell "nothing" from "not looked at". Times are local (the line's zone); a wall time
the clocks repeat carries its zone abbreviation.

Called through :func:`supportline.services.handover.print_handover` (permission and audit);
:func:`write` itself only lays out a record it is given.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, NextPageTemplate, Spacer, Table, TableStyle

from supportline.exports.common import TRAINING_MARK
from supportline.exports.pdf_report import (
    FRAME_WIDTH,
    NAVY,
    RULE,
    STRIPE,
    MarkedDocument,
    binary_streams,
    number,
    para,
    register_fonts,
    styles,
)
from supportline.services import local_time

if TYPE_CHECKING:
    from supportline.services.handover import HandoverItem, HandoverRecord

TITLE: Final = "Shift handover"


def when(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{local.day} {local:%b %Y} {local_time.clock(value, zone)}"


def short_when(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{local.day} {local:%b} {local_time.clock(value, zone)}"


def shift_words(record: HandoverRecord, zone: ZoneInfo) -> str:
    return f"{when(record.shift_start, zone)} to {when(record.shift_end, zone)}"


def _details(record: HandoverRecord, zone: ZoneInfo) -> Table:
    s = styles()
    if record.acknowledged_at is not None:
        acknowledged = f"by {record.acknowledged_by_name} at {when(record.acknowledged_at, zone)}"
    else:
        acknowledged = "NOT ACKNOWLEDGED: a draft, not the signed handover"
    rows = [
        ("Shift", f"{shift_words(record, zone)} ({zone.key})"),
        ("Written by", f"{record.author_name}; items found at {when(record.prefilled_at, zone)}"),
        ("Acknowledged", acknowledged),
        ("Overall note", record.notes or "None"),
    ]
    grid = Table(
        [[para(k, s.label), para(v, s.cell)] for k, v in rows],
        colWidths=[34 * mm, FRAME_WIDTH - 34 * mm],
        hAlign="LEFT",
    )
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("LINEABOVE", (0, 0), (-1, 0), 0.9, NAVY),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return grid


def _figures(record: HandoverRecord) -> list[Flowable]:
    s = styles()
    f = record.figures
    totals: list[tuple[str, int | str]] = [
        ("Calls opened", f.calls),
        ("Cases", f.cases),
        ("Potential victims", f.potential_victims),
        ("NRM referrals made", f.nrm_referrals),
        ("Duty-to-notify advised", f.dtn_reports),
    ]
    urgency: list[tuple[str, int | str]] = [("Urgency", ""), *((u.label, n) for u, n in f.by_urgency)]
    routes: list[tuple[str, int | str]] = [("Advice route", ""), *((r.label, n) for r, n in f.by_route)]
    columns = [totals, urgency, routes]
    height = max(len(c) for c in columns)
    rows: list[list[Any]] = []
    for i in range(height):
        row: list[Any] = []
        for column in columns:
            label, value = column[i] if i < len(column) else ("", "")
            row += [para(label, s.label), para(number(value) if value != "" else "", s.cell)]
        rows.append(row)
    third = FRAME_WIDTH / 3
    table = Table(rows, colWidths=[third * 0.7, third * 0.3] * 3, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [para("The shift's figures", s.h2), table]


def _section(title: str, items: tuple[HandoverItem, ...], zone: ZoneInfo) -> list[Flowable]:
    s = styles()
    out: list[Flowable] = [para(f"{title} ({len(items)})", s.h2)]
    if not items:
        out.append(para("None.", s.small))
        return out
    head = [para(h, s.head) for h in ("Reference", "When", "What the app found", "Note")]
    rows: list[list[Any]] = [head]
    for item in items:
        text = item.text if item.current else f"{item.text} (no longer current when refreshed)"
        rows.append(
            [
                para(item.reference, s.cell_bold),
                para(short_when(item.at, zone) if item.at else "", s.cell),
                para(text, s.cell),
                para(item.note, s.cell),
            ]
        )
    rest = FRAME_WIDTH - 58 * mm
    widths = [33 * mm, 25 * mm, rest * 0.55, rest * 0.45]
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, NAVY),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]
    style += [("BACKGROUND", (0, r), (-1, r), STRIPE) for r in range(2, len(rows), 2)]
    table.setStyle(TableStyle(style))
    out.append(table)
    return out


def story(record: HandoverRecord, zone: ZoneInfo) -> list[Flowable]:
    from supportline.services.handover import Section

    s = styles()
    out: list[Flowable] = [
        para("SUPPORTLINE · MODERN SLAVERY ADVICE LINE", s.kicker),
        Spacer(1, 2 * mm),
        para(TITLE, s.h1),
        para(shift_words(record, zone), s.subtitle),
        Spacer(1, 6 * mm),
        _details(record, zone),
        Spacer(1, 2 * mm),
        *_figures(record),
        NextPageTemplate("body"),
    ]
    for section in Section:
        out += _section(section.heading, record.section(section), zone)
    out += [
        Spacer(1, 6 * mm),
        para(
            "Items hold references, times and staff names only; open a call in Supportline for what it "
            "records. Every printing of a handover is recorded in the audit log.",
            s.note,
        ),
    ]
    return out


def write(
    out: IO[bytes],
    record: HandoverRecord,
    *,
    zone: ZoneInfo,
    marking: str,
    printed_by: str,
    printed_at: datetime,
    training: bool = False,
) -> None:
    """Lay out ``record`` as a PDF into ``out``; a ``training`` one (from the training database)
    says so in every header and footer and across every page, as a training report does."""
    register_fonts()
    doc = MarkedDocument(
        out,
        marking=f"{TRAINING_MARK} · {marking}" if training else marking,
        running_title=shift_words(record, zone),
        stamp=f"Printed {when(printed_at, zone)} by {printed_by}",
        title=TITLE,
        training=training,
    )
    with binary_streams():
        doc.stream(story(record, zone))
