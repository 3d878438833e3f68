"""The shift handover window (issue 14) on SQLite and PostgreSQL, with a fixed clock: the
outgoing supervisor starts it (the items shown are the database's, checked against an
independent query), writes notes by the keyboard and saves; the same supervisor's signature is
refused in words; another supervisor's is accepted; then it is read-only; the history finds it;
the PDF is written where asked and read back with pdftotext. The supervisor's banner in the main
window flags the shift with no acknowledged handover and the routes without a duty adviser.

Every person is invented.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import bindparam, text

from supportline.db import Database
from supportline.db.types import UTCDateTime
from supportline.enums import CallStatus, DutyRole, Role, Route, Urgency
from supportline.services import calls, handover, rota
from supportline.services.actor import Actor
from supportline.services.handover import Section
from tests.conftest import IN_CI
from tests.factories import PASSWORD, full_call, make_admin, make_user, without_advice
from tests.ui.conftest import MakeWindow
from tests.ui.keyboard_helpers import ALT, CTRL, SHIFT, Key, clashes, focused, press, type_text
from ui.operations import OperationsWatch
from ui.tasks import TaskRunner
from ui.views.handover_window import NOTE, AcknowledgeDialog, HandoverWindow

# The shift 15:00-23:00 GMT on Friday 27 November 2026, seen at 22:30 near its end.
START = datetime(2026, 11, 27, 15, tzinfo=UTC)
END = datetime(2026, 11, 27, 23, tzinfo=UTC)
NOW = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)


@dataclass
class World:
    db: Database
    sam: Actor  # the outgoing supervisor
    sue: Actor  # the incoming supervisor
    refs: dict[str, str]
    ids: dict[str, uuid.UUID]


def _call(db: Database, who: Actor, opened: datetime, urgency: Urgency, *, closed: bool) -> calls.CallRecord:
    data = without_advice(
        full_call(
            id=uuid.uuid4(), opened_at=opened, persons=(), follow_ups=(), urgency=urgency,
            status=CallStatus.CLOSED if closed else CallStatus.OPEN,
            closed_at=opened + timedelta(minutes=30) if closed else None,
        )
    )  # fmt: skip
    return calls.save_call(db, who, data)


@pytest.fixture
def world(db: Database) -> World:
    admin = make_admin(db)
    sam = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    sue = make_user(db, admin, "sue.supervisor", Role.SUPERVISOR)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    khan = make_user(db, admin, "aisha.khan", Role.ADVISER)
    made = {
        "crisis": _call(db, operator, datetime(2026, 11, 27, 16, tzinfo=UTC), Urgency.CRISIS, closed=False),
        "urgent": _call(db, operator, datetime(2026, 11, 27, 18, tzinfo=UTC), Urgency.URGENT, closed=True),
        "earlier": _call(db, operator, datetime(2026, 11, 27, 9, tzinfo=UTC), Urgency.ROUTINE, closed=False),
        "done": _call(db, operator, datetime(2026, 11, 27, 20, tzinfo=UTC), Urgency.ROUTINE, closed=True),
    }
    # Legal is covered through the night; the other routes are not.
    rota.add_shift(db, sam, Route.LEGAL, DutyRole.DUTY, khan.user_id, START, END + timedelta(hours=8))
    return World(db, sam, sue, {k: v.reference for k, v in made.items()}, {k: v.id for k, v in made.items()})


def _ids(db: Database, sql: str, **params: datetime) -> list[uuid.UUID]:
    statement = text(sql).bindparams(*(bindparam(k, type_=UTCDateTime()) for k in params))
    with db.engine.connect() as conn:
        return [uuid.UUID(str(v)) for v in conn.execute(statement, params).scalars()]


def open_window(
    qtbot: QtBot, tasks: TaskRunner, w: World, actor: Actor, clock: list[datetime]
) -> HandoverWindow:
    window = HandoverWindow(w.db, actor, tasks, marking="OFFICIAL-SENSITIVE", clock=lambda: clock[0])
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.history_loaded, timeout=10_000):
        window.show()
    window.activateWindow()
    return window


def signing(qtbot: QtBot, window: HandoverWindow) -> AcknowledgeDialog:
    """The signature dialog, once it is the active window (activation comes through the loop)."""
    qtbot.waitUntil(lambda: window.ack_dialog is not None and window.ack_dialog.isActiveWindow())
    dialog = window.ack_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: focused().window() is dialog)
    return dialog


def shown_ids(window: HandoverWindow, section: Section) -> list[uuid.UUID]:
    assert window.record is not None
    return [i.call_id for i in window.record.section(section) if i.call_id is not None]


def test_from_prefill_to_acknowledgement_then_read_only(
    qtbot: QtBot, tasks: TaskRunner, world: World, tmp_path: Path
) -> None:
    w, db = world, world.db
    clock = [NOW]
    window = open_window(qtbot, tasks, w, w.sam, clock)
    assert clashes(window) == {}
    # Alt+S: the outgoing supervisor starts this shift's handover.
    window.start_button.setFocus()
    with qtbot.waitSignal(window.shown, timeout=10_000):
        press(Key.Key_S, ALT)
    record = window.record
    assert record is not None and (record.shift_start, record.shift_end) == (START, END)
    assert window.heading.text() == "Handover of the shift Fri 27 Nov 15:00 to Fri 27 Nov 23:00"
    # What is shown is what the database holds (independent queries).
    assert shown_ids(window, Section.OPEN_CALLS) == _ids(
        db, "SELECT id FROM calls WHERE status = 'open' ORDER BY opened_at"
    )
    assert set(shown_ids(window, Section.OPEN_CALLS)) == {w.ids["crisis"], w.ids["earlier"]}
    assert shown_ids(window, Section.CRISIS_URGENT) == _ids(
        db,
        "SELECT id FROM calls WHERE opened_at >= :s AND opened_at < :e AND urgency IN ('crisis', 'urgent') "
        "ORDER BY opened_at",
        s=START,
        e=END,
    )
    gaps = [i.reference for i in record.section(Section.ROUTES_WITHOUT_DUTY)]
    assert gaps == ["Tactical", "Immigration", "Victim"]  # Legal is on the rota
    rows = window.item_rows()
    for item in record.items:
        row = rows[item.key]
        assert window.table.item(row, 0).text() == item.reference
        assert window.table.item(row, 2).text() == item.text
    assert window.figures.text().startswith("The shift's figures: 3 call(s)")
    # Empty sections say "None." (nothing, not "not looked at").
    assert [window.table.item(r, 2).text() for r in range(window.table.rowCount())].count("None.") == 3

    # Enter on an item opens its call (the main window listens).
    crisis_row = rows[f"crisis_urgent:{w.ids['crisis']}"]
    window.table.setFocus()
    window.table.setCurrentCell(crisis_row, 0)
    with qtbot.waitSignal(window.call_requested, timeout=2000) as opened:
        press(Key.Key_Return)
    assert opened.args == [w.ids["crisis"]]
    # A note on the crisis call's row, typed, and an overall note; Alt+V saves.
    window.table.setCurrentCell(crisis_row, NOTE)
    press(Key.Key_F2)
    type_text("Ring the DS at 23:30")
    press(Key.Key_Return)
    assert window.save_button.isEnabled()
    window.notes.setFocus()
    type_text("Zoe on the NCA desk knows about the crisis call")
    with qtbot.waitSignal(window.shown, timeout=10_000):
        press(Key.Key_V, ALT)
    saved = handover.get_handover(db, w.sue, record.id, audited=False)
    assert saved.notes == "Zoe on the NCA desk knows about the crisis call"
    assert {i.key: i.note for i in saved.items if i.note} == {
        f"crisis_urgent:{w.ids['crisis']}": "Ring the DS at 23:30"
    }
    assert window.message.text() == "Notes saved." and not window.save_button.isEnabled()

    # The author signs it: refused, in words.
    press(Key.Key_A, ALT)
    dialog = signing(qtbot, window)
    assert dialog.username.text() == "" and focused() is dialog.username
    type_text("sam.supervisor")
    press(Key.Key_Tab)
    type_text(PASSWORD)
    with qtbot.waitSignal(window.said, timeout=10_000):
        press(Key.Key_Return)
    assert window.message.text() == (
        "Not acknowledged: the supervisor who wrote a handover cannot acknowledge it: the incoming "
        "supervisor signs it with their own password"
    )
    assert not handover.get_handover(db, w.sue, record.id, audited=False).acknowledged
    # A wrong password of the incoming supervisor: refused too.
    qtbot.waitUntil(window.isActiveWindow)
    press(Key.Key_A, ALT)
    signing(qtbot, window)
    type_text("sue.supervisor")
    press(Key.Key_Tab)
    type_text("not the password")
    with qtbot.waitSignal(window.said, timeout=10_000):
        press(Key.Key_Return)
    assert window.message.text().startswith("Not acknowledged: ")
    assert not handover.get_handover(db, w.sue, record.id, audited=False).acknowledged
    # The incoming supervisor, at the same desk, with their own password: accepted.
    clock[0] = END + timedelta(minutes=10)
    qtbot.waitUntil(window.isActiveWindow)
    press(Key.Key_A, ALT)
    signing(qtbot, window)
    type_text("sue.supervisor")
    press(Key.Key_Tab)
    type_text(PASSWORD)
    with qtbot.waitSignal(window.shown, timeout=10_000):
        press(Key.Key_Return)
    signed = window.record
    assert signed is not None and signed.acknowledged and signed.acknowledged_by_name == "Sue Supervisor"
    assert window.message.text() == "Acknowledged by Sue Supervisor: the handover is now read-only."
    assert window.state.text().startswith(
        "Written by Sam Supervisor. Acknowledged by Sue Supervisor at Fri 27 Nov 23:10"
    )
    # Read-only: no note can be typed or saved, no second signature.
    assert window.notes.isReadOnly()
    assert not (
        window.table.item(crisis_row, NOTE).flags()
        & window.table.item(crisis_row, NOTE).flags().ItemIsEditable
    )
    assert not window.save_button.isEnabled() and not window.refresh_button.isEnabled()
    assert not window.ack_button.isEnabled()

    # The history finds it by its note.
    window.search.setFocus()
    type_text("nca desk")
    with qtbot.waitSignal(window.history_loaded, timeout=10_000):
        press(Key.Key_Return)
    assert window.list.count() == 1
    assert "acknowledged by Sue Supervisor" in window.list.item(0).text()
    window.search.clear()
    type_text("no such words")
    with qtbot.waitSignal(window.history_loaded, timeout=10_000):
        press(Key.Key_Return)
    assert window.list.item(0).text() == "No handovers found"

    # Print: the PDF is written where asked, with the marking and the notes.
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("poppler-utils missing: apt-get install poppler-utils", pytrace=False)
        return
    target = tmp_path / "out" / "handover"
    target.parent.mkdir()
    asked: list[str] = []
    window.ask_pdf_path = lambda suggested: (asked.append(suggested), target)[1]  # type: ignore[method-assign]
    with qtbot.waitSignal(window.said, timeout=20_000):
        window.print_button.click()
    assert asked == ["handover-2026-11-27-1500.pdf"]
    pdf = target.with_suffix(".pdf")
    assert window.message.text() == f"Written to {pdf} (recorded in the audit log)."
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout
    whole = " ".join(out.decode("utf-8").split())
    assert "OFFICIAL-SENSITIVE" in whole and "Shift handover" in whole
    assert "27 Nov 2026 15:00 to 27 Nov 2026 23:00 (Europe/London)" in whole
    assert "by Sue Supervisor at 27 Nov 2026 23:10" in whole
    assert "Ring the DS at 23:30" in whole and "Zoe on the NCA desk knows about the crisis call" in whole
    assert w.refs["crisis"] in whole and w.refs["done"] not in whole


def test_the_incoming_supervisor_opens_it_from_the_history(
    qtbot: QtBot, tasks: TaskRunner, world: World
) -> None:
    w = world
    started = handover.start_handover(w.db, w.sam, now=NOW)
    window = open_window(qtbot, tasks, w, w.sue, [NOW])
    assert window.list.count() == 1 and "not acknowledged yet" in window.list.item(0).text()
    window.list.setFocus()
    window.list.setCurrentRow(0)
    with qtbot.waitSignal(window.shown, timeout=10_000):
        press(Key.Key_Return)
    assert window.record is not None and window.record.id == started.id
    # Not the author: the notes are Sam's, read-only to Sue, but Sue may sign.
    assert window.notes.isReadOnly() and not window.save_button.isEnabled() and window.ack_button.isEnabled()
    window.ack_button.setFocus()
    press(Key.Key_A, ALT)
    dialog = signing(qtbot, window)
    assert dialog.username.text() == "sue.supervisor" and focused() is dialog.password
    type_text(PASSWORD)
    with qtbot.waitSignal(window.shown, timeout=10_000):
        press(Key.Key_Return)
    assert window.record.acknowledged and window.record.acknowledged_by_name == "Sue Supervisor"


def test_tab_goes_round_the_handover_window(qtbot: QtBot, tasks: TaskRunner, world: World) -> None:
    from tests.ui.keyboard_helpers import tab_problems

    w = world
    window = open_window(qtbot, tasks, w, w.sam, [NOW])
    with qtbot.waitSignal(window.shown, timeout=10_000):
        window.start()
    assert tab_problems(window, window.start_button) == []
    window.ask_acknowledge()
    dialog = signing(qtbot, window)
    assert tab_problems(dialog, dialog.username) == [] and clashes(dialog) == {}
    dialog.reject()


def test_a_shift_without_an_acknowledged_handover_is_flagged_to_supervisors(
    qtbot: QtBot, tasks: TaskRunner, world: World
) -> None:
    w = world
    at = [END + timedelta(minutes=35)]  # 23:35: the night shift began 35 minutes ago
    watch = OperationsWatch(w.db, w.sam, tasks, clock=lambda: at[0])
    with qtbot.waitSignal(watch.checked, timeout=10_000):
        watch.check()
    assert watch.text.endswith(
        "No acknowledged handover for the shift that started Fri 23:00 (Ctrl+Shift+H: Shift handover)."
    )
    # Legal is covered until 07:00; the other routes not at all (named together).
    assert watch.text.startswith(
        "No duty adviser on the rota: Tactical, Immigration and Victim Fri 23:35 to Sat 11:35; "
        "Legal Sat 07:00 to Sat 11:35 (Duty rota, in the View menu). "
    )
    h = handover.start_handover(w.db, w.sam, START, END, now=NOW)
    handover.acknowledge(
        w.db, w.sue, h.id, PASSWORD, expected_version=h.version, now=END + timedelta(minutes=5)
    )
    with qtbot.waitSignal(watch.checked, timeout=10_000):
        watch.check()
    assert "handover" not in watch.text and "No duty adviser" in watch.text


def test_the_main_window_for_a_supervisor_and_for_an_operator(
    qtbot: QtBot, sqlite_db: Database, make_window: MakeWindow
) -> None:
    admin = make_admin(sqlite_db)
    sam = make_user(sqlite_db, admin, "sam.supervisor", Role.SUPERVISOR)
    olu = make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    window = make_window(sqlite_db, sam)
    # No rota at all: every route is flagged in the supervisor's banner.
    qtbot.waitUntil(lambda: window.operations_banner.isVisible(), timeout=10_000)
    assert window.operations_banner.text().startswith(
        "No duty adviser on the rota: Tactical, Immigration, Victim and Legal "
    )
    assert clashes(window) == {}
    texts = [a.text() for a in window.view_menu.actions()]
    assert "Duty r&ota…" in texts and "Shift &handover…" in texts
    press(Key.Key_H, CTRL | SHIFT)
    qtbot.waitUntil(lambda: window.handover_window is not None and window.handover_window.isVisible())
    handovers = window.handover_window
    assert handovers is not None
    with qtbot.waitSignal(handovers.shown, timeout=10_000):
        handovers.start()
    dialog = handovers.ask_acknowledge()
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    dialog.password.setText("half typed")
    # The screen lock takes the handover and its signature dialog away, the password with it.
    window.lock()
    assert not handovers.isVisible() and not dialog.isVisible() and dialog.password.text() == ""
    window.unlock()
    window.rota_action.trigger()
    assert window.rota_window is not None and window.rota_window.isVisible()
    window.lock()
    assert not window.rota_window.isVisible()
    window.unlock()
    other = make_window(sqlite_db, olu)
    texts = [a.text() for a in other.view_menu.actions()]
    assert "Duty r&ota…" in texts and "Shift &handover…" not in texts
    assert other.handover_action is None and not hasattr(other, "operations_banner")
    assert other.escalation is not None
