"""Take the Due panel's screenshot (docs/screenshots/due-panel.png) from the real main window.

On a database of its own, under Xvfb::

    export SUPPORTLINE_HOME=$(mktemp -d)
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        python docs/screenshots/take_due_panel_screenshot.py docs/screenshots

It makes a few invented calls, puts an adviser on the Legal rota, books follow-ups for them
(one overdue, one due now, two later) and has an operator hand them a call; then signs the
adviser in with the clock fixed at 14:05 and opens the panel (F9). Every name is invented.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from supportline.bootstrap import load_environment, open_database
from supportline.db.migrate import upgrade
from supportline.enums import AgencyType, DutyRole, FollowUpKind, FollowUpPriority, Role, Route
from supportline.services import accounts, calls, followups, rota
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller
from ui import style
from ui.main_window import MainWindow
from ui.tasks import TaskRunner

NOW = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
PASSWORD = "a screenshot password, not a real one"  # noqa: S105 (an invented account's)

CALLS = (
    ("DC Priya Hallam", "Northumbria Police", "Workers housed above a hand car wash"),
    ("PC Gethin Morcambe", "Dyfed-Powys Police", "Cannabis farm: a teenager found inside"),
    ("DS Morwenna Tregarthen", "Devon and Cornwall Police", "Nail bar staff with passports held"),
    ("Imogen Saltire", "Wyvern County Council", "A care worker's visa held by the agency"),
)


def main(out: str) -> None:
    app = QApplication(["supportline"])
    style.apply(app)
    env = load_environment()
    db = open_database(env)
    upgrade(db)
    admin = accounts.actor_for(accounts.create_first_admin(db, "ada.admin", "Ada Admin", PASSWORD))

    def person(username: str, name: str, role: Role) -> Actor:
        return accounts.actor_for(accounts.create_user(db, admin, username, name, role, PASSWORD))

    operator = person("olu.operator", "Olu Okafor", Role.OPERATOR)
    khan = person("aisha.khan", "Aisha Khan", Role.ADVISER)
    osei = person("joe.osei", "Joe Osei", Role.ADVISER)
    saved = []
    for n, (name, organisation, summary) in enumerate(CALLS):
        data = CallData(
            id=uuid.uuid4(),
            caller=Caller(name=name, agency_type=AgencyType.POLICE, organisation=organisation,
                          phone=f"07700 900{100 + n:03d}"),
            opened_at=NOW - timedelta(hours=6 + n),
            summary=summary,
        )  # fmt: skip
        saved.append(calls.save_call(db, operator, data))
    rota.add_shift(db, admin, Route.LEGAL, DutyRole.DUTY, khan.user_id, NOW - timedelta(hours=7),
                   NOW + timedelta(hours=5))  # fmt: skip
    rota.add_shift(db, admin, Route.LEGAL, DutyRole.DUTY, osei.user_id, NOW + timedelta(hours=5),
                   NOW + timedelta(hours=17))  # fmt: skip
    booked = NOW - timedelta(hours=3)
    followups.book_follow_up(
        db, operator, saved[0].id, NOW - timedelta(minutes=50), kind=FollowUpKind.CALLBACK,
        priority=FollowUpPriority.HIGH, assignee_id=khan.user_id,
        note="Call the DC back on the s.45 question", now=booked,
    )  # fmt: skip
    followups.book_follow_up(
        db, operator, saved[1].id, NOW - timedelta(minutes=5), kind=FollowUpKind.CHASE_REFERRAL,
        assignee_route=Route.LEGAL, note="Chase the NRM referral with the SCA", now=booked,
    )  # fmt: skip
    followups.book_follow_up(
        db, operator, saved[2].id, NOW + timedelta(minutes=70), kind=FollowUpKind.REVIEW_CASE,
        assignee_id=khan.user_id, note="Review before the strategy meeting", now=booked,
    )  # fmt: skip
    followups.book_follow_up(
        db, operator, saved[3].id, NOW + timedelta(hours=3), kind=FollowUpKind.CALLBACK,
        priority=FollowUpPriority.LOW, assignee_route=Route.LEGAL, note="Officer back on shift at 17:00",
        now=booked,
    )  # fmt: skip
    followups.hand_to_duty_adviser(
        db, operator, saved[1].id, Route.LEGAL, note="Needs a view on a s.45 defence today",
        now=NOW - timedelta(minutes=12),
    )  # fmt: skip

    tasks = TaskRunner()

    def pump(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            tasks.wait_until_idle(20)
            time.sleep(0.01)

    def wait(condition: Callable[[], bool], seconds: float = 20) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise SystemExit("the window did not get there in time")
            pump(0.05)

    window = MainWindow(env, db, khan, tasks=tasks, clock=lambda: NOW)
    window.due_notifier.tray_available = lambda: False  # the notice across the window shows
    window.setGeometry(window.screen().availableGeometry())
    window.show()
    window.activateWindow()
    wait(lambda: window.model.loaded_once and window.due_panel.current is not None)
    QTest.keyClick(window, Qt.Key.Key_F9)
    wait(lambda: window.due_panel.isVisible())
    window.resizeDocks([window.due_panel], [560], Qt.Orientation.Horizontal)
    pump(1.0)
    window.due_panel.tree.setFocus()
    pump(0.5)
    screen = window.screen()
    g = screen.geometry()
    path = f"{out}/due-panel.png"
    screen.grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(path)
    print("saved", path)
    window.close()
    tasks.wait_until_idle()


if __name__ == "__main__":
    main(*sys.argv[1:2])
