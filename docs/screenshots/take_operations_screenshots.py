"""The duty rota, a shift handover, a page of its PDF and a call form's escalation line, from the
real windows, on a fresh database of fictitious staff and calls, with a fixed clock (Wednesday
21 October 2026, 22:30 in London; the clocks go back that Sunday).

    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb SUPPORTLINE_HOME=$(mktemp -d) \\
        python docs/screenshots/take_operations_screenshots.py docs/screenshots
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QApplication

from supportline.bootstrap import load_environment, migrate, open_database
from supportline.enums import CallStatus, DutyRole, Role, Route, Urgency
from supportline.services import accounts, calls, followups, handover, rota
from tests.factories import full_call, without_advice
from ui import style
from ui.escalation import EscalationFeed
from ui.tasks import TaskRunner
from ui.views.handover_window import NOTE, HandoverWindow
from ui.views.rota_grid import RotaWindow

LONDON = ZoneInfo("Europe/London")
PASSWORD = "Saffron-kettle-41-dune"  # noqa: S105 (a fictitious demo password)
NOW = datetime(2026, 10, 21, 22, 30, tzinfo=LONDON).astimezone(UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


def settle(app: QApplication, until: Callable[[], bool] = lambda: False, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while not until() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(25):
        app.processEvents()
        time.sleep(0.02)


def main(out: str) -> None:
    app = QApplication(["supportline"])
    style.apply(app)
    env = load_environment()
    db = open_database(env)
    migrate(env, db)
    admin = accounts.actor_for(accounts.create_first_admin(db, "ada.admin", "Ada Admin", PASSWORD))

    def user(name: str, display: str, role: Role) -> accounts.Actor:
        return accounts.actor_for(accounts.create_user(db, admin, name, display, role, PASSWORD))

    sam = user("sam.supervisor", "Sam Whitlock", Role.SUPERVISOR)
    user("sue.supervisor", "Sue Marchetti", Role.SUPERVISOR)
    olu = user("olu.operator", "Olu Adeyemi", Role.OPERATOR)
    people = {
        "khan": user("aisha.khan", "Aisha Khan", Role.ADVISER),
        "osei": user("joe.osei", "Joe Osei", Role.ADVISER),
        "reed": user("mia.reed", "Mia Reed", Role.ADVISER),
        "shah": user("priya.shah", "Priya Shah", Role.ADVISER),
        "byrne": user("cian.byrne", "Cian Byrne", Role.ADVISER),
    }
    # The week of 19 October: day and night shifts on three routes, Immigration days only.
    plan = {
        Route.TACTICAL: ("reed", "byrne"),
        Route.VICTIM: ("shah", "osei"),
        Route.LEGAL: ("osei", "khan"),
    }
    for offset in range(7):
        day = 19 + offset
        for route, (by_day, by_night) in plan.items():
            rota.add_shift(
                db,
                sam,
                route,
                DutyRole.DUTY,
                people[by_day].user_id,
                local(2026, 10, day, 7),
                local(2026, 10, day, 19),
            )
            rota.add_shift(
                db, sam, route, DutyRole.DUTY, people[by_night].user_id,
                local(2026, 10, day, 19), datetime(2026, 10, day, 7) + timedelta(days=1),
            )  # fmt: skip
        if offset < 5:
            rota.add_shift(
                db, sam, Route.IMMIGRATION, DutyRole.DUTY, people["byrne" if offset % 2 else "khan"].user_id,
                local(2026, 10, day, 9), local(2026, 10, day, 17),
            )  # fmt: skip
            rota.add_shift(
                db,
                sam,
                Route.LEGAL,
                DutyRole.DEPUTY,
                sam.user_id,
                local(2026, 10, day, 9),
                local(2026, 10, day, 17),
            )
    # The shift's calls: opened in the afternoon and evening, a crisis still open.
    made = []
    shift_calls = (
        (1, Urgency.CRISIS, False),
        (2.5, Urgency.URGENT, True),
        (4, Urgency.ROUTINE, False),
        (5.5, Urgency.URGENT, False),
        (6, Urgency.ROUTINE, True),
    )
    for hours, urgency, closed in shift_calls:
        opened = local(2026, 10, 21, 15) + timedelta(hours=hours)
        data = without_advice(
            full_call(
                id=uuid.uuid4(), opened_at=opened, persons=(), follow_ups=(), urgency=urgency,
                status=CallStatus.CLOSED if closed else CallStatus.OPEN,
                closed_at=opened + timedelta(minutes=35) if closed else None,
            )
        )  # fmt: skip
        made.append(calls.save_call(db, olu, data))
    booked = local(2026, 10, 21, 16)
    followups.book_follow_up(
        db, olu, made[0].id, local(2026, 10, 21, 21), now=booked, note="Call the DS back"
    )
    followups.book_follow_up(
        db,
        olu,
        made[2].id,
        local(2026, 10, 22, 1, 30),
        now=booked,
        assignee_route=Route.LEGAL,
        note="NRM query",
    )
    followups.hand_to_duty_adviser(db, olu, made[3].id, Route.LEGAL, now=local(2026, 10, 21, 21))

    tasks = TaskRunner()
    # --- the rota ---
    grid = RotaWindow(db, sam, tasks, clock=lambda: NOW)
    grid.resize(1340, 700)
    grid.show()
    settle(app, lambda: grid.table.rowCount() > 0 and grid.cell_text(0, 0) != "")
    grid.table.setCurrentCell(6, 2)
    settle(app)
    grid.grab().save(f"{out}/rota.png")

    # --- the handover, with notes ---
    h = handover.start_handover(db, sam, now=NOW)
    notes = {i.key: "" for i in h.items}
    crisis = next(i for i in h.items if i.section is handover.Section.CRISIS_URGENT)
    notes[crisis.key] = "DS rang back at 21:40; NRM referral agreed, Legal to confirm by 09:00"
    gap = next(i for i in h.items if i.section is handover.Section.ROUTES_WITHOUT_DUTY)
    notes[gap.key] = "Immigration: ring the on-call manager if needed"
    handover.update_notes(
        db, sam, h.id, expected_version=h.version, now=NOW,
        notes="Quiet evening apart from the crisis call. The NCA desk knows about the car wash case.",
        item_notes={k: v for k, v in notes.items() if v},
    )  # fmt: skip
    window = HandoverWindow(db, sam, tasks, marking=env.settings.protective_marking, clock=lambda: NOW)
    window.resize(1340, 740)
    window.show()
    settle(app, lambda: window.list.count() > 0)
    window.open_handover(h.id)
    settle(app, lambda: window.record is not None)
    window.table.setCurrentCell(window.item_rows()[crisis.key], NOTE)
    settle(app)
    window.grab().save(f"{out}/handover.png")

    # --- a page of its PDF ---
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "handover.pdf"
        handover.print_handover(db, sam, h.id, pdf, marking=env.settings.protective_marking, now=NOW)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "90",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                f"{out}/handover-pdf",
            ],
            check=True,
        )

    # --- a call form with who to escalate to now ---
    from supportline.guidance.loader import GuidanceLibrary, configured_dir
    from ui.views.call_form import CallForm

    feed = EscalationFeed(db, olu, tasks, clock=lambda: NOW)
    feed.start()
    settle(app, lambda: bool(feed.lines))
    form = CallForm(db, olu, tasks, db.zone, library=GuidanceLibrary(configured_dir(env.settings)))
    form.set_escalation(feed)
    form.resize(1340, 740)
    form.show()
    form.advice.routes.boxes[Route.LEGAL].setChecked(True)
    settle(app, lambda: Route.LEGAL in form.panes)
    form.advice.routes.boxes[Route.LEGAL].setFocus()
    form.bring_into_view(form.panes[Route.LEGAL].escalation)
    form.bring_into_view(form.advice.escalation)
    settle(app)
    form.grab().save(f"{out}/escalation.png")
    tasks.wait_until_idle()
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
