"""The PDF report: the figures a supervisor hands on, and optionally one block per call.

**Layout** (A4 portrait, ReportLab platypus): a title page (period in local dates, the filters in
words, the profile, who exported it and when — never the purpose, which is in the audit log); a
summary with the change against the previous period of the same length; charts (calls per day,
by advice route, by caller agency, potential victims by exploitation type and age group); every
figures table (:meth:`figures.Figures.tables`) in the shape of the published statistics; and,
when asked for (``ExportOptions.appendix``, never with the figures profile), an appendix with
one block per call, oldest first, pseudonymised when the profile says so.

**Every page** carries the protective marking (``ExportOptions.marking``) in its header and its
footer, and "Page X of Y". An export from the training database starts that line with
"TRAINING – NOT LIVE DATA", has "TRAINING" across every page and says so on the title page.

**Fonts.** DejaVu Sans (``resources/fonts``, with its licence) is embedded, so names in any
Latin, Greek or Cyrillic script print as they were typed.

**Memory.** The appendix is laid out as the calls are read (a page of calls at a time, see
:func:`supportline.exports.common.iter_records`), never as one list of every call. "of Y" is a
PDF form object drawn on every page and defined once at the end, when the number of pages is
known: one pass, and no page has to be kept in memory to be numbered later (the usual
"NumberedCanvas" keeps every page's drawing until the end).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import IO, TYPE_CHECKING, Any, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab import rl_config
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from supportline.enums import AgeGroup, LabelledEnum, Sex
from supportline.exports.common import TRAINING_CELL, ExportFormat, ExportJob, Profile, job_filter_words
from supportline.reference_data import country_name, language_name
from supportline.resources import resource_path
from supportline.services.call_types import CallQuery, CallRecord, PersonData

if TYPE_CHECKING:
    from supportline.exports.figures import Figures
    from supportline.exports.figures import Table as FigureTable

FORMAT: Final = ExportFormat.PDF
TITLE: Final = "Advice line report"

FONT: Final = "SupportlineSans"
FONT_BOLD: Final = "SupportlineSans-Bold"
FONT_FILES: Final = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN: Final = 20 * mm
TOP_MARGIN: Final = 24 * mm
BOTTOM_MARGIN: Final = 22 * mm
FRAME_WIDTH: Final = PAGE_WIDTH - 2 * MARGIN
PAGE_TOTAL_FORM: Final = "supportlinePageTotal"
#: Flowables kept ahead of the one being laid out while the appendix streams (keep-with-next).
LOOKAHEAD: Final = 4

# Calm colours: one dark blue for headings and bars, greys for rules and secondary text.
INK: Final = colors.HexColor("#1A1A1A")
NAVY: Final = colors.HexColor("#1F3A5F")
MUTED: Final = colors.HexColor("#5F6B7A")
RULE: Final = colors.HexColor("#B8C0CC")
STRIPE: Final = colors.HexColor("#F2F4F7")
#: A training export's watermark: light enough to read the page through it.
TRAINING_WATERMARK: Final = colors.Color(0.75, 0.1, 0.37, alpha=0.13)
BAR_COLOURS: Final = (
    colors.HexColor("#1F3A5F"),
    colors.HexColor("#6A8CAF"),
    colors.HexColor("#C9D4E0"),
)
DASH: Final = "—"
MINUS: Final = "−"


@cache
def register_fonts() -> tuple[str, str]:
    """Embed DejaVu Sans (regular and bold) once per process; returns the two font names."""
    from reportlab.lib.fonts import addMapping

    for name, file_name in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", file_name))))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(FONT, bold, italic, FONT_BOLD if bold else FONT)
    return FONT, FONT_BOLD


# --- words ---------------------------------------------------------------------------------------------


#: English month names whatever the process locale (the GUI sets one; ``%B`` would follow it).
MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1][:3]}"


def local_time(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{short_date(local)} {local.year} {local:%H:%M}"


def period_days(query: CallQuery, zone: ZoneInfo) -> tuple[date | None, date | None]:
    """The first and last local day of the query's period (``opened_to`` is exclusive)."""
    first = None if query.opened_from is None else query.opened_from.astimezone(zone).date()
    last = None
    if query.opened_to is not None:
        last = (query.opened_to - timedelta(microseconds=1)).astimezone(zone).date()
    return first, last


def period_words(query: CallQuery, zone: ZoneInfo) -> str:
    first, last = period_days(query, zone)
    if first is None and last is None:
        return "All calls on record"
    if first is None:
        assert last is not None
        return f"Up to and including {long_date(last)}"
    if last is None:
        return f"From {long_date(first)}"
    if first == last:
        return long_date(first)
    return f"{long_date(first)} to {long_date(last)}"


PROFILE_WORDS: Final = {
    Profile.FULL: "Full: names, contact details and free text included",
    Profile.PSEUDONYMISED: "Pseudonymised: identifiers replaced by pseudonyms, free text removed",
    Profile.FIGURES: "Figures only: no information about any single call",
}


def number(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}".replace("-", MINUS)
    if isinstance(value, float):
        return f"{value:,.1f}".replace("-", MINUS)
    return str(value)


def percent_change(value: float | None) -> str:
    if value is None:
        return DASH
    sign = "+" if value > 0 else (MINUS if value < 0 else "")
    return f"{sign}{abs(value):,.1f}%"


# --- styles --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    note: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    kicker: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    head: ParagraphStyle
    head_right: ParagraphStyle
    label: ParagraphStyle
    when: ParagraphStyle


@cache
def styles() -> Styles:
    regular, bold = register_fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13.5, textColor=INK)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11)
    head = ParagraphStyle("head", parent=cell, fontName=bold, textColor=NAVY)
    return Styles(
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=MUTED),
        note=ParagraphStyle("note", parent=body, fontSize=7.5, leading=10, textColor=MUTED, spaceBefore=3),
        h1=ParagraphStyle(
            "h1", parent=body, fontName=bold, fontSize=16, leading=20, textColor=NAVY, spaceAfter=8
        ),
        h2=ParagraphStyle(
            "h2",
            parent=body,
            fontName=bold,
            fontSize=11.5,
            leading=15,
            textColor=NAVY,
            spaceBefore=10,
            spaceAfter=5,
        ),
        h3=ParagraphStyle("h3", parent=body, fontName=bold, fontSize=10, leading=13, textColor=INK),
        title=ParagraphStyle("title", parent=body, fontName=bold, fontSize=26, leading=32, textColor=NAVY),
        subtitle=ParagraphStyle("subtitle", parent=body, fontSize=13, leading=18, textColor=MUTED),
        kicker=ParagraphStyle("kicker", parent=body, fontName=bold, fontSize=9, leading=12, textColor=MUTED),
        cell=cell,
        cell_bold=ParagraphStyle("cell_bold", parent=cell, fontName=bold),
        head=head,
        head_right=ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT),
        label=ParagraphStyle("label", parent=cell, textColor=MUTED, alignment=TA_LEFT),
        when=ParagraphStyle(
            "when", parent=body, fontSize=8, leading=10.5, textColor=MUTED, alignment=TA_RIGHT
        ),
    )


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# --- pages ---------------------------------------------------------------------------------------------


class _Canvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """Defines the page-total form, drawn as "of Y" on every page, once the last page is done."""

    def save(self) -> None:
        if self._code:
            self.showPage()
        pages = self.getPageNumber() - 1
        register_fonts()
        self.beginForm(PAGE_TOTAL_FORM, 0, -3, 60, 10)
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        self.drawString(0, 0, str(pages))
        self.endForm()
        super().save()


class MarkedDocument(BaseDocTemplate):  # type: ignore[misc]  # reportlab has no type hints
    """The page template every PDF of the line shares (the report, the handover): A4, the
    protective marking in the header and the footer of every page, "Page X of Y", a stamp
    (who and when) at the foot, and from the second page a running header (``title`` on the
    left, ``running_title`` on the right). Pages use the ``title`` template until a flowable
    switches to ``body`` (``NextPageTemplate("body")``). A ``training`` document has TRAINING
    across every page."""

    def __init__(
        self,
        out: IO[bytes],
        *,
        marking: str,
        running_title: str,
        stamp: str,
        title: str = TITLE,
        training: bool = False,
    ) -> None:
        super().__init__(
            out,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=TOP_MARGIN,
            bottomMargin=BOTTOM_MARGIN,
            title=title,
            subject=marking,
            creator="Supportline",
            author="",
        )
        self.marking = marking
        self.document_title = title
        self.training = training
        self.running_title = running_title
        self.stamp = stamp
        frame = Frame(MARGIN, BOTTOM_MARGIN, FRAME_WIDTH, PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)  # fmt: skip
        self.addPageTemplates(
            [
                PageTemplate(id="title", frames=[frame], onPage=self._title_page),
                PageTemplate(id="body", frames=[frame], onPage=self._body_page),
            ]
        )

    def _marking(self, canvas: Any, y: float) -> None:
        canvas.setFont(FONT_BOLD, 9.5)
        canvas.setFillColor(INK)
        canvas.drawCentredString(PAGE_WIDTH / 2, y, self.marking)

    def _watermark(self, canvas: Any) -> None:
        """TRAINING across the page, pale, under the page's content."""
        canvas.saveState()
        canvas.setFont(FONT_BOLD, 96)
        canvas.setFillColor(TRAINING_WATERMARK)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canvas.rotate(52)
        canvas.drawCentredString(0, -34, "TRAINING")
        canvas.restoreState()

    def _furniture(self, canvas: Any, doc: Any, *, running: bool) -> None:
        if self.training:
            self._watermark(canvas)
        canvas.saveState()
        top, bottom = PAGE_HEIGHT - 12 * mm, 10 * mm
        self._marking(canvas, top)
        self._marking(canvas, bottom)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, bottom + 5.5 * mm, PAGE_WIDTH - MARGIN, bottom + 5.5 * mm)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        if running:
            canvas.line(MARGIN, top - 3.5 * mm, PAGE_WIDTH - MARGIN, top - 3.5 * mm)
            canvas.drawString(MARGIN, top - 0.3 * mm, self.document_title)
            canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 0.3 * mm, self.running_title)
        label = f"Page {doc.page} of "
        canvas.drawString(MARGIN, bottom, label)
        canvas.translate(MARGIN + canvas.stringWidth(label, FONT, 7.5), bottom)
        canvas.doForm(PAGE_TOTAL_FORM)
        canvas.restoreState()
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, bottom, self.stamp)
        canvas.restoreState()

    def _title_page(self, canvas: Any, doc: Any) -> None:
        self._furniture(canvas, doc, running=False)

    def _body_page(self, canvas: Any, doc: Any) -> None:
        self._furniture(canvas, doc, running=True)

    def stream(self, flowables: Iterable[Flowable]) -> None:
        """``build`` for a story read as it is laid out: only a few flowables are held at once."""
        self._startBuild(None, _Canvas)
        canv = self.canv
        canv._doctemplate = self
        pending: list[Flowable] = []
        try:
            for flowable in flowables:
                pending.append(flowable)
                while len(pending) > LOOKAHEAD:
                    self.clean_hanging()
                    self.handle_flowable(pending)
            while pending:
                self.clean_hanging()
                self.handle_flowable(pending)
        finally:
            del canv._doctemplate
        self._endBuild()


# --- tables --------------------------------------------------------------------------------------------


def _table_style(columns: int, rows: int, total_rows: Sequence[int] = ()) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("LEADING", (0, 0), (-1, -1), 11),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        # A label that wraps keeps its numbers on its first line; headings sit on the rule below.
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("LINEABOVE", (0, 0), (-1, 0), 0.9, NAVY),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, NAVY),
        ("LINEBELOW", (0, -1), (-1, -1), 0.9, NAVY),
    ]
    for row in range(2, rows, 2):
        commands.append(("BACKGROUND", (0, row), (-1, row), STRIPE))
    for row in total_rows:
        commands += [
            ("FONTNAME", (0, row), (-1, row), FONT_BOLD),
            ("LINEABOVE", (0, row), (-1, row), 0.6, NAVY),
            ("BACKGROUND", (0, row), (-1, row), colors.white),
        ]
    return TableStyle(commands)


def _column_widths(columns: int, width: float = FRAME_WIDTH) -> list[float]:
    if columns == 2:
        return [width - 28 * mm, 28 * mm] if width < FRAME_WIDTH else [95 * mm, 30 * mm]
    number_width = 24 * mm if columns <= 5 else max(17 * mm, (width * 0.6) / (columns - 1))
    return [max(width - number_width * (columns - 1), 45 * mm)] + [number_width] * (columns - 1)


#: Figures tables the summary already shows (with the change against the previous period).
IN_SUMMARY: Final = frozenset({"totals", "change"})
#: Two-column tables up to this many rows are set side by side, two to a row.
PAIR_ROWS: Final = 20
PAIR_GAP: Final = 6 * mm
PAIR_WIDTH: Final = (FRAME_WIDTH - PAIR_GAP) / 2


def _is_list(table: FigureTable) -> bool:
    """A long two-column table with short labels (a row per day or per hour): set in columns."""
    rows = [r for r, k in zip(table.rows, table.keys, strict=False) if k != "total"]
    return len(table.columns) == 2 and len(rows) > PAIR_ROWS and max(len(str(r[0])) for r in rows) <= 20


def _is_pairable(table: FigureTable) -> bool:
    return len(table.columns) == 2 and len(table.rows) <= PAIR_ROWS


def _grid(table: FigureTable, width: float) -> Table:
    s = styles()
    header = [para(table.columns[0], s.head)] + [para(c, s.head_right) for c in table.columns[1:]]
    body: list[list[Any]] = [header]
    totals: list[int] = []
    for index, (row, key) in enumerate(zip(table.rows, table.keys, strict=False), start=1):
        if key == "total":
            totals.append(index)
        label_style = s.cell_bold if key == "total" else s.cell
        body.append([para(str(row[0]) or "Not recorded", label_style), *(number(v) for v in row[1:])])
    grid = Table(body, colWidths=_column_widths(len(table.columns), width), repeatRows=1, hAlign="LEFT")
    grid.setStyle(_table_style(len(table.columns), len(body), totals))
    return grid


def _parts(table: FigureTable, width: float) -> list[Flowable]:
    s = styles()
    parts: list[Flowable] = [para(table.title, s.h2), _grid(table, width)]
    if table.note:
        parts.append(para(table.note, s.note))
    return parts


def figures_table(table: FigureTable) -> list[Flowable]:
    """One figures table: its title, the numbers right-aligned under bold headings, the note."""
    if _is_list(table):
        return _list_table(table)
    parts = _parts(table, FRAME_WIDTH)
    parts.append(Spacer(1, 4 * mm))
    if len(table.rows) <= 30:
        return [KeepTogether(parts)]
    # A long table may run on over pages (its heading row repeats); its title stays with it.
    return [CondPageBreak(50 * mm), *parts]


def paired_tables(left: FigureTable, right: FigureTable | None) -> list[Flowable]:
    """Two short tables side by side, tops aligned."""
    cells = [_parts(left, PAIR_WIDTH), [] if right is None else _parts(right, PAIR_WIDTH)]
    pair = Table([[cells[0], "", cells[1]]], colWidths=[PAIR_WIDTH, PAIR_GAP, PAIR_WIDTH], hAlign="LEFT")
    pair.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [pair, Spacer(1, 5 * mm)]


def tables_section(tables: Iterable[FigureTable]) -> Iterator[Flowable]:
    """The figures tables in report order: short two-column ones two to a row."""
    waiting: FigureTable | None = None
    for table in tables:
        if table.key in IN_SUMMARY:
            continue
        if _is_pairable(table):
            if waiting is None:
                waiting = table
            else:
                yield from paired_tables(waiting, table)
                waiting = None
            continue
        if waiting is not None:
            yield from paired_tables(waiting, None)
            waiting = None
        yield from figures_table(table)
    if waiting is not None:
        yield from paired_tables(waiting, None)


#: Rows per column in a list table set in columns (three columns to a block).
LIST_ROWS: Final = 16
LIST_GROUPS: Final = 3


def _list_table(table: FigureTable) -> list[Flowable]:
    """A long two-column table with short labels (a row per day, say) in blocks of three columns,
    each read down, then the total."""
    s = styles()
    rows = [r for r, k in zip(table.rows, table.keys, strict=False) if k != "total"]
    total = [r for r, k in zip(table.rows, table.keys, strict=False) if k == "total"]
    out: list[Flowable] = []
    block = LIST_ROWS * LIST_GROUPS
    for start in range(0, len(rows), block):
        chunk = rows[start : start + block]
        out.append(_list_block(table, chunk))
        out.append(Spacer(1, 3 * mm))
    if total:
        line = Table(
            [[para(str(total[0][0]), s.cell_bold), number(total[0][1])]],
            colWidths=[FRAME_WIDTH - 30 * mm, 30 * mm],
            hAlign="LEFT",
        )
        line.setStyle(_table_style(2, 1, [0]))
        out.append(line)
    if table.note:
        out.append(para(table.note, s.note))
    out.append(Spacer(1, 4 * mm))
    return [KeepTogether([para(table.title, s.h2), out[0]]), *out[1:]]


def _list_block(table: FigureTable, rows: Sequence[tuple[Any, ...]]) -> Table:
    s = styles()
    groups = LIST_GROUPS
    per_group = math.ceil(len(rows) / groups)
    header: list[Any] = []
    for g in range(groups):
        header += [para(table.columns[0], s.head), para(table.columns[1], s.head_right)]
        if g < groups - 1:
            header.append("")
    body: list[list[Any]] = [header]
    for r in range(per_group):
        line: list[Any] = []
        for g in range(groups):
            i = g * per_group + r
            line += [str(rows[i][0]), number(rows[i][1])] if i < len(rows) else ["", ""]
            if g < groups - 1:
                line.append("")
        body.append(line)
    pair = (FRAME_WIDTH - PAIR_GAP * (groups - 1)) / groups
    widths: list[float] = []
    for g in range(groups):
        widths += [pair - 18 * mm, 18 * mm]
        if g < groups - 1:
            widths.append(PAIR_GAP)
    grid = Table(body, colWidths=widths, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    for g in range(groups):
        first, last = g * 3, g * 3 + 1
        commands += [
            ("ALIGN", (last, 0), (last, -1), "RIGHT"),
            ("LINEABOVE", (first, 0), (last, 0), 0.9, NAVY),
            ("LINEBELOW", (first, 0), (last, 0), 0.6, NAVY),
            ("LINEBELOW", (first, -1), (last, -1), 0.9, NAVY),
        ]
        for row in range(2, len(body), 2):
            commands.append(("BACKGROUND", (first, row), (last, row), STRIPE))
    grid.setStyle(TableStyle(commands))
    return grid


# --- charts --------------------------------------------------------------------------------------------


def _axis_fonts(chart: Any) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
        axis.labels.fillColor = INK
        axis.strokeColor = RULE
        axis.strokeWidth = 0.5
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#E3E7ED")
    chart.valueAxis.gridStrokeWidth = 0.4
    chart.valueAxis.forceZero = True
    chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    chart.valueAxis.avoidBoundFrac = 0.05
    chart.categoryAxis.visibleTicks = False


def _value_scale(axis: Any, largest: int) -> None:
    """Whole numbers on the value axis, which starts at 0 even when every count is 0."""
    axis.valueMin = 0
    if largest <= 0:
        axis.valueMax, axis.valueStep = 5, 1
    elif largest <= 10:
        axis.valueStep = 1 if largest <= 6 else 2


def _chart_title(drawing: Drawing, text: str, height: float) -> None:
    drawing.add(String(0, height - 10, text, fontName=FONT_BOLD, fontSize=9.5, fillColor=NAVY))


def calls_per_day_chart(
    days: Sequence[tuple[date, int]], width: float = FRAME_WIDTH, *, hours: bool = False
) -> Drawing:
    """Calls per day (or, with ``hours``, ``days`` holds the 24 hours of the day)."""
    height = (48 if hours else 62) * mm
    drawing = Drawing(width, height)
    _chart_title(drawing, "Calls by hour of day (local time)" if hours else "Calls per day", height)
    chart = VerticalBarChart()
    chart.x, chart.y = 28, 22
    chart.width, chart.height = width - chart.x - 6, height - 42
    chart.data = [[n for _, n in days] or [0]]
    long_span = len(days) > 2 and (days[-1][0] - days[0][0]).days > 200
    labels = [f"{d:%H}" if hours else short_date(d) + (f" {d:%y}" if long_span else "") for d, _ in days]
    labels = labels or [""]
    every = 1 if hours else max(1, math.ceil(len(labels) / (8 if long_span else 12)))
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.visibleLabels = False  # drawn below, only every so often: a year has 365
    chart.bars[0].fillColor = BAR_COLOURS[0]
    chart.bars[0].strokeColor = None
    chart.barSpacing = 0
    chart.groupSpacing = 1 if len(labels) > 60 else (4 if hours else 2)
    _axis_fonts(chart)
    _value_scale(chart.valueAxis, max(chart.data[0]))
    drawing.add(chart)
    step = chart.width / len(labels)
    for i in range(0, len(labels), every):
        x = chart.x + (i + 0.5) * step
        drawing.add(
            String(x, chart.y - 10, labels[i], fontName=FONT, fontSize=7, fillColor=INK, textAnchor="middle")
        )
    return drawing


def horizontal_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Sequence[int]],
    names: Sequence[str] = (),
    width: float = FRAME_WIDTH,
) -> Drawing:
    """Horizontal bars, one row per label (stacked when there are several series)."""
    row = 13
    legend_height = 14 if names else 0
    plot_height = max(row * len(labels), 30)
    height = plot_height + 40 + legend_height
    drawing = Drawing(width, height)
    _chart_title(drawing, title, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 16 + legend_height
    chart.width, chart.height = width - chart.x - 12, plot_height
    # Read top to bottom in the given order: reportlab draws the first category at the bottom.
    chart.data = [list(reversed(values)) for values in series]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    for i in range(len(series)):
        chart.bars[i].fillColor = BAR_COLOURS[i % len(BAR_COLOURS)]
        chart.bars[i].strokeColor = None
    if len(series) > 1:
        chart.categoryAxis.style = "stacked"
    chart.barSpacing = 0
    chart.groupSpacing = 3
    _axis_fonts(chart)
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    largest = max((sum(v) for v in zip(*series, strict=True)), default=0)
    _value_scale(chart.valueAxis, largest)
    drawing.add(chart)
    if names:
        legend = Legend()
        legend.x, legend.y = chart.x, 6
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.fontName = FONT
        legend.fontSize = 7.5
        legend.dx = legend.dy = 7
        legend.deltax = 70
        legend.strokeColor = None
        legend.colorNamePairs = [(BAR_COLOURS[i % len(BAR_COLOURS)], n) for i, n in enumerate(names)]
        drawing.add(legend)
    return drawing


def charts(f: Figures) -> list[Flowable]:
    s = styles()
    out: list[Flowable] = [para("Charts", s.h1)]
    if f.calls_per_day:
        out += [calls_per_day_chart(f.calls_per_day), Spacer(1, 5 * mm)]
    else:
        out += [para("No calls in this period.", s.body), Spacer(1, 5 * mm)]
    midnight = datetime(2000, 1, 1)
    by_hour = [(midnight + timedelta(hours=h), n) for h, n in enumerate(f.calls_per_hour)]
    out += [calls_per_day_chart(by_hour, hours=True), Spacer(1, 6 * mm)]
    out.append(
        KeepTogether(
            horizontal_chart(
                "Calls by advice route", [r.label for r, _ in f.by_route], [[n for _, n in f.by_route]]
            )
        )
    )
    out.append(Spacer(1, 6 * mm))
    out.append(
        KeepTogether(
            horizontal_chart(
                "Calls by caller agency", [a.label for a, _ in f.by_agency], [[n for _, n in f.by_agency]]
            )
        )
    )
    out.append(Spacer(1, 6 * mm))
    victims = f.victims_by_type_age
    out.append(
        KeepTogether(
            horizontal_chart(
                "Potential victims by exploitation type",
                [t.label for t, *_ in victims],
                [[v[1] for v in victims], [v[2] for v in victims], [v[3] for v in victims]],
                names=("Adults", "Children (or age disputed)", "Age unknown"),
            )
        )
    )
    return out


# --- the summary ---------------------------------------------------------------------------------------


def summary(f: Figures, zone: ZoneInfo) -> list[Flowable]:
    from supportline.exports.figures import TOTALS_LABELS

    s = styles()
    change = f.change()
    has_previous = f.previous is not None
    header = [para("Measure", s.head), para("This period", s.head_right)]
    if has_previous:
        header += [para("Previous period", s.head_right), para("Change", s.head_right)]
    body: list[list[Any]] = [header]
    for field_name, (now, before, pct) in change.items():
        label = TOTALS_LABELS.get(field_name, field_name.replace("_", " ").capitalize())
        line: list[Any] = [para(label, s.cell), number(now)]
        if has_previous:
            line += [DASH if before is None else number(before), percent_change(pct)]
        body.append(line)
    widths = [71 * mm, 33 * mm] + ([33 * mm, 33 * mm] if has_previous else [])
    grid = Table(body, colWidths=widths, hAlign="LEFT")
    grid.setStyle(_table_style(len(widths), len(body)))
    out: list[Flowable] = [para("Summary", s.h1)]
    out.append(para(_summary_sentence(f), s.body))
    out.append(Spacer(1, 4 * mm))
    out.append(grid)
    if has_previous and f.period_start is not None and f.period_end is not None:
        length = f.period_end - f.period_start
        previous = CallQuery(opened_from=f.period_start - length, opened_to=f.period_start)
        out.append(
            para(
                f"The previous period is {period_words(previous, zone)}, the same length, with the same "
                "filters. Change is shown as a percentage of the previous period; "
                f"{DASH} where there is nothing to compare with.",
                s.note,
            )
        )
    elif not has_previous:
        out.append(para("No change is shown: the report does not cover a whole date range.", s.note))
    out.append(Spacer(1, 8 * mm))
    return out


def _summary_sentence(f: Figures) -> str:
    t = f.totals
    if not t.calls:
        return "No calls match the period and filters of this report."
    parts = [
        f"The line took {number(t.calls)} call{'s' if t.calls != 1 else ''} about "
        f"{number(t.cases)} case{'s' if t.cases != 1 else ''}, concerning {number(t.potential_victims)} "
        f"potential victim{'s' if t.potential_victims != 1 else ''}."
    ]
    if t.calls:
        share = 100 * t.not_modern_slavery / t.calls
        parts.append(f"{share:.1f}% of calls were found not to be about modern slavery.")
    if f.county_lines_calls:
        parts.append(
            f"{number(f.county_lines_calls)} call{'s' if f.county_lines_calls != 1 else ''} concerned "
            f"county lines ({number(f.county_lines_victims)} potential victims)."
        )
    return " ".join(parts)


# --- the title page ------------------------------------------------------------------------------------


def title_page(job: ExportJob, f: Figures | None) -> list[Flowable]:
    s = styles()
    zone = job.db.zone
    exported_at = job.started_at or datetime.now(zone)
    filters = job_filter_words(job)
    calls = f.totals.calls if f is not None else job.total
    details: list[tuple[str, str]] = [
        ("Period", period_words(job.query, zone)),
        ("Time zone", f"{zone.key} (days are local days)"),
        ("Filters", "\n".join(filters)),
        ("Calls counted", number(calls)),
        *([("Training", TRAINING_CELL)] if job.training else []),
        ("Profile", PROFILE_WORDS[job.profile]),
        ("Appendix", "One block per call, oldest first" if job.options.appendix else "None"),
        ("Exported by", f"{job.options.exported_by or 'Unknown'} at {local_time(exported_at, zone)}"),
    ]
    rows = [[para(k, s.label), para(v, s.cell)] for k, v in details]
    grid = Table(rows, colWidths=[34 * mm, FRAME_WIDTH - 34 * mm], hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("LINEABOVE", (0, 0), (-1, 0), 0.9, NAVY),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    personal = job.profile is not Profile.FIGURES and job.options.appendix
    contents = (
        "personal data about individual calls and the people in them"
        if personal
        else "aggregated figures only, but they describe sensitive casework"
    )
    handling = (
        f"This report is marked {job.options.marking}. It contains {contents}. Store and share it only as "
        "its marking allows and no further than its purpose requires; every export is recorded in the "
        "audit log."
    )
    box = Table([[para(handling, s.small)]], colWidths=[FRAME_WIDTH])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), STRIPE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return [
        Spacer(1, 38 * mm),
        para("SUPPORTLINE · MODERN SLAVERY ADVICE LINE", s.kicker),
        Spacer(1, 3 * mm),
        para(TITLE, s.title),
        Spacer(1, 2 * mm),
        para("Calls, potential victims, outcomes and referrals", s.subtitle),
        Spacer(1, 1 * mm),
        para(period_words(job.query, zone), s.subtitle),
        Spacer(1, 16 * mm),
        grid,
        Spacer(1, 14 * mm),
        box,
        NextPageTemplate("body"),
        PageBreak(),
    ]


# --- the appendix --------------------------------------------------------------------------------------


def _labels(values: Iterable[LabelledEnum]) -> str:
    return ", ".join(sorted(v.label for v in values))


#: Appendix label widths: the short facts run in two columns of label and value.
FACT_LABEL: Final = 22 * mm
FACT_VALUE: Final = (FRAME_WIDTH - 2 * FACT_LABEL - PAIR_GAP) / 2
HAIRLINE: Final = colors.HexColor("#E3E7ED")


def _person_line(person: PersonData) -> str:
    age = {AgeGroup.ADULT: "adult", AgeGroup.CHILD: "child"}.get(person.age_group, "age unknown")
    bits = [age + (" (age disputed)" if person.age_disputed else "")]
    bits.append("sex unknown" if person.sex is Sex.UNKNOWN else person.sex.label.lower())
    if person.nationalities:
        bits.append("nationality " + ", ".join(country_name(c) for c in person.nationalities))
    if person.languages:
        bits.append("speaks " + ", ".join(language_name(c) for c in person.languages))
    if person.interpreter_needed:
        bits.append("needs an interpreter")
    line = ", ".join(bits)
    line = f"{person.name}: {line}" if person.name else line[:1].upper() + line[1:]
    return line + (f"\n{person.notes}" if person.notes else "")


def call_facts(record: CallRecord, zone: ZoneInfo) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """One call's facts: the short ones (set two to a line) and the long ones (a line each)."""
    data = record.data
    caller = data.caller
    short: list[tuple[str, str]] = [
        ("Caller", caller.name),
        ("Case", record.case_reference),
        ("Agency", ", ".join(x for x in (caller.agency_type.label, caller.organisation) if x)),
        ("Urgency", f"{data.urgency.label} ({data.status.label.lower()})"),
        ("Rank, collar", ", ".join(x for x in (caller.rank, caller.collar_number) if x)),
        ("Channel", f"{data.channel.label}; consent: {data.consent_level.label.lower()}"),
        ("Phone", caller.phone),
        ("Force area", data.force_area),
        ("Email", caller.email),
        ("Where", data.where_exploited.label + ("; county lines" if data.county_lines else "")),
        ("Routes", _labels(r.route for r in data.routes if r.chosen)),
        ("NRM consent", "" if data.nrm_consent is None else data.nrm_consent.label),
        ("Handled by", record.handler_name),
    ]
    long: list[tuple[str, str]] = [
        ("Exploitation", _labels(data.exploitation_types)),
        ("Indicators", _labels(data.indicators)),
        ("Outcomes", _labels(data.outcomes)),
    ]
    flags = [
        text
        for flag, text in (
            (data.victim_at_scene, "a potential victim was at the scene"),
            (data.suspect_may_be_victim, "a suspect may be a victim"),
        )
        if flag
    ]
    if flags:
        long.append(("Noted", "; ".join(flags).capitalize()))
    for i, person in enumerate(data.persons, start=1):
        long.append((f"Person {i}", _person_line(person)))
    for referral in data.referrals:
        bits = [x for x in (referral.organisation, referral.reference) if x]
        if referral.made_at is not None:
            bits.append("made " + local_time(referral.made_at, zone))
        line = referral.target.label + (": " + ", ".join(bits) if bits else "")
        long.append(("Referral", line + (f"\n{referral.notes}" if referral.notes else "")))
    for follow_up in data.follow_ups:
        line = "Due " + local_time(follow_up.due_at, zone)
        if follow_up.done_at is not None:
            line += ", done " + local_time(follow_up.done_at, zone)
        long.append(("Follow-up", line + (f": {follow_up.note}" if follow_up.note else "")))
    long += [("Summary", data.summary), ("Narrative", data.narrative)]
    return [f for f in short if f[1].strip()], [f for f in long if f[1].strip()]


def _fact(value: str, width: float) -> str | Paragraph:
    """A value as plain text when it fits on one line (much quicker to lay out), else a paragraph."""
    if "\n" not in value and pdfmetrics.stringWidth(value, FONT, 8.5) < width - 6:
        return value
    return para(value, styles().cell)


def call_block(record: CallRecord, zone: ZoneInfo) -> list[Flowable]:
    """One call in the appendix: a heading line, then its facts as label and value.

    The block may run on to the next page (between two lines of facts); its heading never
    stands alone at the foot of a page."""
    s = styles()
    data = record.data
    when = local_time(data.opened_at, zone)
    if data.closed_at is not None:
        closed = data.closed_at.astimezone(zone)
        same_day = closed.date() == data.opened_at.astimezone(zone).date()
        when += " to " + (f"{closed:%H:%M}" if same_day else local_time(data.closed_at, zone))
    short, long = call_facts(record, zone)
    heading = Table(
        [[para(record.reference, s.h3), para(when, s.when)]],
        colWidths=[FRAME_WIDTH / 2, FRAME_WIDTH / 2],
    )
    heading.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, NAVY),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    rows: list[list[Any]] = []
    for i in range(0, len(short), 2):
        line = [short[i][0], _fact(short[i][1], FACT_VALUE), ""]
        if i + 1 < len(short):
            line += [short[i + 1][0], _fact(short[i + 1][1], FACT_VALUE)]
        else:
            line += ["", ""]
        rows.append(line)
    spans = len(rows)
    for label, value in long:
        rows.append([label, _fact(value, FRAME_WIDTH - FACT_LABEL), "", "", ""])
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("LEADING", (0, 0), (-1, -1), 11),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("TEXTCOLOR", (3, 0), (3, -1), MUTED),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1.4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
    ]
    for row in range(len(rows) - 1):  # a hairline under every fact but the last
        if row >= spans:
            commands.append(("LINEBELOW", (0, row), (4, row), 0.25, HAIRLINE))
            continue
        commands.append(("LINEBELOW", (0, row), (1, row), 0.25, HAIRLINE))
        if rows[row][3] != "" and (row + 1 < spans or rows[row + 1][3] != "" or row + 1 >= spans):
            commands.append(("LINEBELOW", (3, row), (4, row), 0.25, HAIRLINE))
    for row in range(spans, len(rows)):
        commands.append(("SPAN", (1, row), (4, row)))
    widths = [FACT_LABEL, FACT_VALUE, PAIR_GAP, FACT_LABEL, FACT_VALUE]
    grid = Table(rows or [[""] * 5], colWidths=widths, hAlign="LEFT")
    grid.setStyle(TableStyle(commands))
    return [CondPageBreak(40 * mm), heading, Spacer(1, 1.5 * mm), grid, Spacer(1, 6 * mm)]


def appendix(job: ExportJob) -> Iterator[Flowable]:
    s = styles()
    zone = job.db.zone
    yield PageBreak()
    yield para("Appendix: the calls", s.h1)
    words = f"{number(job.total)} call{'s' if job.total != 1 else ''}, oldest first. "
    words += f"Times are local ({zone.key})."
    if job.profile is Profile.PSEUDONYMISED:
        words += (
            " Names and contact details are pseudonyms (the same value has the same pseudonym throughout"
            " this report); free text is removed."
        )
    yield para(words, s.small)
    yield Spacer(1, 6 * mm)
    for record in job.records():
        job.tick()
        yield from call_block(record, zone)


# --- the writer ----------------------------------------------------------------------------------------


def story(job: ExportJob, f: Figures) -> Iterator[Flowable]:
    zone = job.db.zone
    yield from title_page(job, f)
    yield from summary(f, zone)
    yield from charts(f)
    s = styles()
    yield PageBreak()
    yield para("Tables", s.h1)
    yield para(
        "Each table counts the calls (or the potential victims) that match the report's filters. "
        "A call or a person can appear in more than one row where the note says so.",
        s.small,
    )
    yield Spacer(1, 2 * mm)
    job.check_cancelled()
    yield from tables_section(f.tables())
    if job.options.appendix and job.profile is not Profile.FIGURES:
        yield from appendix(job)


def write(out: IO[bytes], job: ExportJob) -> None:
    """The PDF writer of :func:`supportline.exports.service.export`."""
    from supportline.exports import figures

    register_fonts()
    f = figures.compute(job.db, job.query, cancelled=job.cancelled)
    job.check_cancelled()
    doc = MarkedDocument(
        out,
        marking=job.page_marking,
        training=job.training,
        running_title=period_words(job.query, job.db.zone),
        stamp=f"Exported {local_time(job.started_at or datetime.now(job.db.zone), job.db.zone)}",
    )
    with binary_streams():
        doc.stream(story(job, f))


@contextmanager
def binary_streams() -> Iterator[None]:
    """Page streams compressed but not also ASCII85-encoded: a quarter smaller and quicker (the
    setting is ReportLab's global; it is put back)."""
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before
